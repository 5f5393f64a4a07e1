"""The load ledger: one row per load of a file into a table, written in the load's own transaction.

``dataplatform.loads`` records what each load did (file and its SHA-256, the contract's
fingerprint, rows read / rejected / superseded / loaded / inserted / updated / unchanged /
deleted, the target's rows after it, control totals) and its state: ``loaded`` (committed with the
data), ``reconciled`` (checked afterwards), ``skipped`` (a re-run found nothing to do). The daily
report reads it; so does :func:`unchanged_since_last_load`, which lets a re-run of a file that was
already loaded -- same bytes, same contract, table untouched since -- finish without rewriting
anything (the ``force`` param loads it again regardless).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import LoadRun
from dataplatform.warehouse.identifiers import table_identifier

TABLE = "dataplatform.loads"

DDL = """
CREATE SCHEMA IF NOT EXISTS dataplatform;
CREATE TABLE IF NOT EXISTS dataplatform.loads (
    id              bigserial PRIMARY KEY,
    contract        text NOT NULL,
    fingerprint     text NOT NULL,
    target          text NOT NULL,
    period_kind     text NOT NULL,
    period_start    date NOT NULL,
    source          text NOT NULL,
    sha256          text NOT NULL,
    bytes           bigint NOT NULL,
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    try_number      integer NOT NULL,
    rows_read       bigint NOT NULL,
    rows_rejected   bigint NOT NULL,
    rows_superseded bigint NOT NULL,
    rows_loaded     bigint NOT NULL,
    inserted        bigint NOT NULL,
    updated         bigint NOT NULL,
    unchanged       bigint NOT NULL,
    deleted         bigint NOT NULL,
    target_rows     bigint NOT NULL,
    totals          jsonb NOT NULL DEFAULT '{}',
    written_at      timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('loaded', 'reconciled', 'skipped')),
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    reconciled_at   timestamptz
);
CREATE INDEX IF NOT EXISTS loads_target_period ON dataplatform.loads (target, period_start, id DESC);
COMMENT ON TABLE dataplatform.loads IS
    'One row per load of a landing file by the loading stack (dataplatform.loading), written with the data.';
"""


@dataclass(frozen=True)
class LoadRecord:
    """A row of the ledger (the fields the loading steps use)."""

    id: int
    sha256: str
    fingerprint: str
    period_start: Any
    target_rows: int
    status: str
    run_id: str
    counts: dict[str, Any]


def ensure_ledger(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('dataplatform.ddl.loads'))")
    conn.execute(DDL)


def record_load(
    conn: psycopg.Connection, contract: SourceContract, run: LoadRun, facts: dict[str, Any]
) -> int:
    """Insert the ``loaded`` row of this load (in the load's transaction); return its id."""
    row = conn.execute(
        """
        INSERT INTO dataplatform.loads (contract, fingerprint, target, period_kind, period_start, source, sha256,
            bytes, dag_id, run_id, try_number, rows_read, rows_rejected, rows_superseded, rows_loaded, inserted,
            updated, unchanged, deleted, target_rows, totals, written_at, status)
        VALUES (%(contract)s, %(fingerprint)s, %(target)s, %(period_kind)s, %(period_start)s, %(source)s,
            %(sha256)s, %(bytes)s, %(dag_id)s, %(run_id)s, %(try_number)s, %(rows_read)s, %(rows_rejected)s,
            %(rows_superseded)s, %(rows_loaded)s, %(inserted)s, %(updated)s, %(unchanged)s, %(deleted)s,
            %(target_rows)s, %(totals)s, %(written_at)s, %(status)s)
        RETURNING id
        """,
        {
            "contract": contract.name,
            "fingerprint": contract.fingerprint,
            "target": contract.target,
            "period_kind": run.period.kind,
            "period_start": run.period.start,
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "try_number": run.try_number,
            "status": "loaded",
            **facts,
            "totals": json.dumps(facts.get("totals", {})),
        },
    ).fetchone()
    return int(row[0])


def mark(conn: psycopg.Connection, load_id: int, status: str) -> None:
    conn.execute(
        "UPDATE dataplatform.loads SET status = %s, reconciled_at = now() WHERE id = %s", (status, load_id)
    )


def last_load(conn: psycopg.Connection, contract: SourceContract, run: LoadRun) -> LoadRecord | None:
    """The latest reconciled or skipped load of this target that a re-run of ``run`` could repeat:
    of the same period for a partitioned target; of any period for a merged one (a later file
    of another day may have changed its rows since)."""
    return _latest(conn, contract, run.period.start if contract.partition_column else None, finished=True)


def latest_for_period(
    conn: psycopg.Connection, contract: SourceContract, period_start: Any
) -> LoadRecord | None:
    """The latest load of ``contract`` for the period starting ``period_start``, whatever its status
    (a ``loaded`` one was never reconciled)."""
    return _latest(conn, contract, period_start, finished=False)


def _latest(
    conn: psycopg.Connection, contract: SourceContract, period_start: Any, *, finished: bool
) -> LoadRecord | None:
    if conn.execute("SELECT to_regclass('dataplatform.loads')").fetchone()[0] is None:
        return None
    where = "target = %(target)s"
    if finished:
        where += " AND status IN ('reconciled', 'skipped')"
    if period_start is not None:
        where += " AND period_start = %(period)s"
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute(
        f"SELECT * FROM dataplatform.loads WHERE {where} ORDER BY id DESC LIMIT 1",
        {"target": contract.target, "period": period_start},
    ).fetchone()
    if row is None:
        return None
    counts = {
        k: row[k]
        for k in (
            "rows_read",
            "rows_rejected",
            "rows_superseded",
            "rows_loaded",
            "inserted",
            "updated",
            "unchanged",
            "deleted",
        )
    }
    return LoadRecord(
        row["id"],
        row["sha256"],
        row["fingerprint"],
        row["period_start"],
        row["target_rows"],
        row["status"],
        row["run_id"],
        counts,
    )


def period_rows(conn: psycopg.Connection, contract: SourceContract, period_start: Any) -> int:
    """Rows of the target (merge) or of the partition of the period starting ``period_start``."""
    target = table_identifier(contract.target)
    if contract.partition_column:
        stmt = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
            target, sql.Identifier(contract.partition_column)
        )
        return int(conn.execute(stmt, (period_start,)).fetchone()[0])
    return int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(target)).fetchone()[0])


def unchanged_since_last_load(
    conn: psycopg.Connection, contract: SourceContract, run: LoadRun, sha256: str
) -> LoadRecord | None:
    """The previous load this run would repeat -- same file bytes, same contract, same period, and
    the table still holding the rows it left -- or None."""
    last = last_load(conn, contract, run)
    if last is None or last.sha256 != sha256 or last.fingerprint != contract.fingerprint:
        return None
    if last.period_start != run.period.start:
        return None
    if period_rows(conn, contract, run.period.start) != last.target_rows:
        return None
    return last
