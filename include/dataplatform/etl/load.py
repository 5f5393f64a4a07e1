"""Load the transformed rows into the target with a merge on the key, in one transaction."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

from psycopg import sql

from dataplatform.etl.contract import FileContract
from dataplatform.etl.staging import ident

log = logging.getLogger(__name__)


@dataclass
class MergeResult:
    target: str
    inserted: int
    updated: int
    unchanged: int
    seconds: float

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {**asdict(self), "loaded": self.loaded}


def _cols(prefix: str, columns: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{}.{}").format(sql.Identifier(prefix), sql.Identifier(c)) for c in columns
    )


def merge_statements(contract: FileContract, source: str, target: str) -> tuple[sql.Composed, sql.Composed]:
    """UPDATE the rows whose data changed, then INSERT the new keys (anti-join).

    Unchanged rows are not rewritten, so a re-run changes nothing (``loaded_at`` / ``loaded_by_run``
    keep the run that last changed the row). Measured 2x faster than ``INSERT … ON CONFLICT DO
    UPDATE`` for a first load of 1M rows (bench/patient_etl.py); the caller locks the target so
    two loads cannot interleave between the two statements.
    """
    data = contract.data_columns
    cols = [c for c, _ in contract.columns]
    key = sql.Identifier(contract.key)
    update = sql.SQL(
        "UPDATE {target} AS t SET ({data}, loaded_at, loaded_by_run) = ({new}, now(), %(run_id)s) "
        "FROM {source} AS s WHERE t.{key} = s.{key} AND ({old}) IS DISTINCT FROM ({new})"
    ).format(
        target=ident(target),
        source=ident(source),
        key=key,
        data=sql.SQL(", ").join(map(sql.Identifier, data)),
        old=_cols("t", data),
        new=_cols("s", data),
    )
    insert = sql.SQL(
        "INSERT INTO {target} ({cols}, loaded_at, loaded_by_run) SELECT {scols}, now(), %(run_id)s "
        "FROM {source} AS s WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{key} = s.{key})"
    ).format(
        target=ident(target),
        source=ident(source),
        key=key,
        cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
        scols=_cols("s", cols),
    )
    return update, insert


def merge_into(
    conn, contract: FileContract, source: str, target: str, *, run_id: str, rows: int
) -> MergeResult:
    """Merge ``source`` (one row per key, ``rows`` rows) into ``target`` in the caller's transaction."""
    started = time.monotonic()
    update, insert = merge_statements(contract, source, target)
    conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(ident(target)))
    updated = conn.execute(update, {"run_id": run_id}).rowcount
    inserted = conn.execute(insert, {"run_id": run_id}).rowcount
    result = MergeResult(
        target, inserted, updated, rows - inserted - updated, round(time.monotonic() - started, 3)
    )
    log.info(
        "merged %s into %s: %d inserted, %d updated, %d unchanged",
        source,
        target,
        inserted,
        updated,
        result.unchanged,
    )
    return result
