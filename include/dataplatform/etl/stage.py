"""Stage a landing file: stream it once, split good rows from rejected rows, COPY both to staging.

Good rows go to a typed UNLOGGED staging table, rejected rows (line number, exact raw text,
reason) to a rejects table; the file is never held in memory. Problems of the whole file raise
:class:`~dataplatform.etl.errors.FatalInputError` and leave nothing behind.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from psycopg import sql

from dataplatform.etl.contract import FileContract
from dataplatform.etl.csv_records import CsvRecords
from dataplatform.etl.source import open_binary
from dataplatform.etl.staging import ident, staging_table, stamp_created

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """Where the staged rows are, and how many of each kind there were."""

    source: str
    valid_table: str
    rejects_table: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def reject_ratio(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def stage_file(
    contract: FileContract,
    source: str,
    *,
    key: str,
    today: str,
    connect,
    aws_conn_id: str,
) -> StageResult:
    """Stream ``source`` into ``staging.<contract>_valid__<key>`` and ``..._rejects__<key>``.

    ``connect()`` returns a new psycopg connection to the warehouse (two are used: one COPY each).
    """
    started = time.monotonic()
    result = StageResult(
        source=source,
        valid_table=staging_table(f"{contract.name}_valid", key),
        rejects_table=staging_table(f"{contract.name}_rejects", key),
    )
    reasons: Counter[str] = Counter()
    valid_cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in contract.columns
    )
    with connect() as good, connect() as bad:
        for conn, table, cols in (
            (good, result.valid_table, sql.SQL("line_no integer NOT NULL, {}").format(valid_cols)),
            (
                bad,
                result.rejects_table,
                sql.SQL("line_no integer NOT NULL, raw_line text NOT NULL, reason text NOT NULL"),
            ),
        ):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident(table)))
            conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(ident(table), cols))
            stamp_created(conn, table)
        check_row = contract.check_row
        with (
            open_binary(source, aws_conn_id) as stream,
            good.cursor().copy(
                sql.SQL("COPY {} FROM STDIN (NULL '')").format(ident(result.valid_table))
            ) as good_copy,
            bad.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(ident(result.rejects_table))) as bad_copy,
        ):
            records = CsvRecords(stream, source, contract.header)
            write_good, write_bad = good_copy.write_row, bad_copy.write_row
            for line_no, fields, problem in records:
                if problem is None:
                    values, problem = check_row(fields, today)
                    if values is not None:
                        write_good((line_no, *values))
                        continue
                reasons[problem] += 1
                write_bad((line_no, records.raw(), problem))
            result.rows_read = records.records
        good.commit()
        bad.commit()
    result.rows_rejected = sum(reasons.values())
    result.rows_valid = result.rows_read - result.rows_rejected
    result.reasons = dict(reasons.most_common())
    result.seconds = round(time.monotonic() - started, 3)
    log.info(
        "staged %s: %d rows read, %d valid, %d rejected %s in %.1fs",
        source,
        result.rows_read,
        result.rows_valid,
        result.rows_rejected,
        result.reasons,
        result.seconds,
    )
    return result
