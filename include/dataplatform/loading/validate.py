"""Validate one landing file into its run's staging table: good rows typed, bad rows quarantined.

The file is never held in memory, and nothing reaches the target:

1. the header is checked (a wrong one is fatal before anything else);
2. at the same time: Python's byte-level scan in a thread (:mod:`~dataplatform.loading.csv_scan`:
   hash, UTF-8, line ends, blank lines, quoted records), and DuckDB checking every plain line while
   PostgreSQL ``COPY`` stores the results (:mod:`~dataplatform.loading.engine`), the stream's keys
   watched for repeats on the way (:mod:`~dataplatform.loading.repeated_keys`);
3. the records DuckDB stored are counted against the scan's lines (any disagreement is an error,
   never a silently shifted line number); the quoted records go through the same checks;
4. one statement moves the rejected rows (file, line, exact raw text, reason, run) to the
   contract's quarantine table, replacing that file's rows of the same period.

All of it is one transaction: a fatal input, or any failure, leaves no trace but the error.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading import csv_scan, staging
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.ddl import ensure_tables
from dataplatform.loading.engine import DuckSession
from dataplatform.loading.errors import FatalInputError
from dataplatform.loading.landing_file import LocalFile
from dataplatform.loading.period import LoadRun
from dataplatform.loading.repeated_keys import RepeatedKeys
from dataplatform.loading.rules import References
from dataplatform.loading.sqltext import literal
from dataplatform.loading.sqltext import quoted as quoted_name
from dataplatform.loading.validation_sql import (
    BLANK_LINE,
    Params,
    checked_rows,
    output_columns,
    plain_records,
    quoted_records_scan,
)
from dataplatform.warehouse.identifiers import table_identifier

log = logging.getLogger(__name__)
_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
#: Bytes per row assumed to size the repeated-key bitmap from the file size.
BYTES_PER_ROW = 64


@dataclass
class Validation:
    """What validating one file did (JSON-ready: the validate task's XCom)."""

    source: str
    sha256: str
    bytes: int
    rows_table: str
    dups_table: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    repeated_keys: int = 0
    seconds: float = 0.0

    @property
    def reject_ratio(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Scan(threading.Thread):
    """The byte-level scan and the quoted records (written to ``quoted`` for DuckDB), in a thread
    beside DuckDB."""

    def __init__(self, local: LocalFile, width: int, quoted: Path) -> None:
        super().__init__(name="csv-scan", daemon=True)
        self.local, self.width, self.quoted = local, width, quoted
        self.result: csv_scan.FileScan | None = None
        self.records = 0
        self.inside: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = csv_scan.scan_file(self.local.path, self.local.source)
            with QuotedWriter(self.quoted, self.width) as write:
                self.records, self.inside = csv_scan.quoted_records(self.result, self.width, write)
        except UnicodeDecodeError:  # a quoted record that is not UTF-8: name the first bad byte
            self.error = csv_scan.find_bad_utf8(self.local.path, self.local.source)
        except BaseException as err:
            self.error = err

    def get(self) -> csv_scan.FileScan:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class _Load:
    """The parts one validation shares: hook, transaction, DuckDB, contract, tables."""

    def __init__(
        self,
        hook: WarehouseHook,
        conn: psycopg.Connection,
        duck: DuckSession,
        contract: SourceContract,
        tables: staging.StagingTables,
    ) -> None:
        self.hook, self.conn, self.duck, self.contract, self.tables = hook, conn, duck, contract, tables
        self.columns = output_columns(contract)

    def copy(self, query: str, keys: RepeatedKeys | None) -> int:
        """Stream the checked rows of ``query`` into the rows table, watching their keys."""
        with self.duck.stream(query) as chunks:
            rows = keys.watch(chunks) if keys else chunks
            return self.hook.copy_csv(self.conn, self.tables.rows, self.columns, rows, freeze=True)


def validate_file(
    hook: WarehouseHook, contract: SourceContract, local: LocalFile, run: LoadRun, workdir: Path
) -> Validation:
    """Validate ``local`` into the staging tables of ``run`` (see the module docstring)."""
    started = time.monotonic()
    csv_scan.read_header(local.path, local.source, contract.header)
    tables = staging.StagingTables.for_run(contract, run)
    quoted_path = workdir / "quoted.csv"
    scan_thread = _Scan(local, len(contract.columns), quoted_path)
    scan_thread.start()
    expected_rows = max(1, local.path.stat().st_size // BYTES_PER_ROW)
    with hook.transaction() as conn, DuckSession(workdir) as duck:
        ensure_tables(conn, contract)
        staging.create(conn, contract, tables)
        load = _Load(hook, conn, duck, contract, tables)
        params = Params(run.run_date, run.period, _load_references(duck, conn, contract, workdir))
        delimiter = csv_scan.SCAN_DELIMITERS[0].decode()
        keys = RepeatedKeys(len(contract.key), expected_rows, workdir / "keys.csv")
        try:
            plain = load.copy(
                checked_rows(contract, plain_records(contract, local.path, delimiter), params), keys
            )
            scan = scan_thread.get()
        except Exception as err:
            scan_thread.join()
            if scan_thread.error is not None:
                raise scan_thread.error from err  # the scan names the line and column exactly
            if "Invalid unicode" in str(err) and (bad := csv_scan.find_bad_utf8(local.path, local.source)):
                raise bad from err
            raise _engine_error(err, local.source) from err
        if scan.delimiter != delimiter:  # the file holds that control byte: split lines on another one
            conn.execute(sql.SQL("TRUNCATE {}").format(table_identifier(tables.rows)))
            keys = RepeatedKeys(len(contract.key), expected_rows, workdir / "keys.csv")
            plain = load.copy(
                checked_rows(contract, plain_records(contract, local.path, scan.delimiter), params), keys
            )
        if plain != scan.unquoted_lines:  # DuckDB and the scan must agree on every line's number
            raise RuntimeError(
                f"{local.source}: the engine read {plain} lines without quotes but the file has {scan.unquoted_lines} "
                f"({scan.lines} lines, {len(scan.quote_line_numbers)} with quotes): nothing loaded"
            )
        quoted = 0
        if scan_thread.records:
            query = checked_rows(contract, quoted_records_scan(contract, quoted_path), params)
            quoted = load.copy(query, None)
            keys.add(
                duck.execute(
                    f"SELECT DISTINCT {', '.join(map(quoted_name, contract.key))} FROM ({query}) WHERE reason IS NULL"
                )
            )
        hook.copy_csv(conn, tables.dups, list(contract.key), keys.csv(), freeze=True)
        result = Validation(
            local.source, scan.sha256, scan.size, tables.rows, tables.dups, repeated_keys=len(keys.candidates)
        )
        result.reasons, retracted = _quarantine(
            conn, contract, tables, local.source, run, scan, scan_thread.inside
        )
        result.rows_read = plain + quoted - retracted
        result.rows_rejected = sum(result.reasons.values())
        result.rows_valid = result.rows_read - result.rows_rejected
        if result.rows_read == 0:
            raise FatalInputError(local.source, "file has a header but no data rows")
    result.seconds = round(time.monotonic() - started, 3)
    log.info(
        "validated %s: %d rows read, %d valid, %d rejected %s, %d candidate repeated keys, in %.1fs",
        local.source,
        result.rows_read,
        result.rows_valid,
        result.rows_rejected,
        result.reasons,
        result.repeated_keys,
        result.seconds,
    )
    return result


class QuotedWriter:
    """Quoted records as CSV for DuckDB, one per line as the scan parses them: line_no, raw, problem,
    nfields, fields (absent ones NULL)."""

    def __init__(self, path: Path, width: int) -> None:
        self.path, self.width = path, width

    def __enter__(self) -> Callable[[csv_scan.QuotedRecord], None]:
        self._file = open(self.path, "w", encoding="utf-8", newline="")
        return self.write

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write(self, r: csv_scan.QuotedRecord) -> None:
        fields = list(r.fields[: self.width]) + [None] * (self.width - len(r.fields))
        self._file.write(
            ",".join([str(r.line_no), _q(r.raw), _q(r.problem), str(len(r.fields)), *map(_q, fields)]) + "\n"
        )


def _q(value: str | None) -> str:
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def _quarantine(
    conn: psycopg.Connection,
    contract: SourceContract,
    tables: staging.StagingTables,
    source: str,
    run: LoadRun,
    scan: csv_scan.FileScan,
    inside: list[int],
) -> tuple[dict[str, int], int]:
    """In one pass over staging: drop blank lines and the lines inside quoted records (DuckDB saw
    them as lines) and move the rejected rows to quarantine, replacing this file's rows of the
    period; return the reasons with their counts (most frequent first) and the lines dropped."""
    quarantine = table_identifier(contract.quarantine)
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE logical_date = %s AND source_file = %s").format(quarantine),
        (run.period.start, source),
    )
    rows = conn.execute(
        sql.SQL(
            "WITH inside AS MATERIALIZED (SELECT unnest(%(inside)s::bigint[]) AS line_no), "
            "moved AS (DELETE FROM {rows} WHERE reason IS NOT NULL OR line_no IN (SELECT line_no FROM inside) "
            "RETURNING line_no, raw_line, CASE WHEN line_no = %(last)s AND reason = %(wrong)s THEN %(cut)s "
            "ELSE reason END AS reason, reason = %(blank)s OR line_no IN (SELECT line_no FROM inside) AS inside), "
            "kept AS (INSERT INTO {quarantine} (source_file, line_no, raw_line, reason, run_id, logical_date) "
            "SELECT %(source)s, line_no, raw_line, reason, %(run_id)s, %(period)s FROM moved "
            "WHERE NOT inside AND reason IS NOT NULL ORDER BY line_no) "
            "SELECT reason, count(*) FROM moved WHERE NOT inside AND reason IS NOT NULL GROUP BY reason "
            "UNION ALL SELECT NULL, count(*) FROM moved WHERE inside ORDER BY 2 DESC, 1"
        ).format(rows=table_identifier(tables.rows), quarantine=quarantine),
        {
            "inside": inside,
            # a plain last line without its newline and too few fields was cut, not mistyped
            "last": scan.lines if not scan.ends_with_newline else -1,
            "wrong": csv_scan.WRONG_FIELD_COUNT,
            "cut": csv_scan.TRUNCATED_LAST_LINE,
            "blank": BLANK_LINE,
            "source": source,
            "run_id": run.run_id,
            "period": run.period.start,
        },
    ).fetchall()
    return {reason: int(n) for reason, n in rows if reason is not None}, next(
        int(n) for reason, n in rows if reason is None
    )


def _load_references(
    duck: DuckSession, conn: psycopg.Connection, contract: SourceContract, workdir: Path
) -> dict[References, str]:
    """Copy the keys each :class:`References` rule needs from the warehouse into DuckDB tables."""
    tables: dict[References, str] = {}
    for i, rule in enumerate(r for r in contract.rules if isinstance(r, References)):
        found = conn.execute(
            "SELECT to_regclass(%s)", (table_identifier(rule.table).as_string(conn),)
        ).fetchone()
        if found is None or found[0] is None:
            raise FatalInputError(
                contract.name, f"rule {rule.reason!r} needs table {rule.table}, which does not exist yet"
            )
        path = workdir / f"ref_{i}.csv"
        stmt = sql.SQL(
            "COPY (SELECT DISTINCT {k} FROM {t} WHERE {k} IS NOT NULL) TO STDOUT (FORMAT csv)"
        ).format(k=sql.Identifier(rule.table_key), t=table_identifier(rule.table))
        with open(path, "wb") as f, conn.cursor().copy(stmt) as copy:
            for chunk in copy:
                f.write(chunk)
        name = f"ref_{i}"
        duck_type = contract.column(rule.column).type.duck_type
        duck.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv({literal(str(path))}, "
            f"columns={{'k': {literal(duck_type)}}}, header=false, auto_detect=false)"
        )
        tables[rule] = name
    return tables


def _engine_error(err: Exception, source: str) -> Exception:
    """DuckDB's errors about the file (a line too long...) as fatal input errors naming the line."""
    text = str(err)
    if "duckdb" in type(err).__module__ and ("CSV Error" in text or "Invalid unicode" in text):
        line = _DUCK_LINE.search(text)
        problem = (
            "line too long (over 2 MiB)" if "maximum line size" in text.lower() else text.splitlines()[0]
        )
        return FatalInputError(source, problem, int(line.group(1)) if line else None)
    return err
