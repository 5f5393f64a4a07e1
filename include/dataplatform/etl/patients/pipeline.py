"""The patient ETL steps the ``patient_data_pipeline`` DAG runs: validate -> transform -> load -> reconcile.

Each step takes plain arguments and returns a small dict (locations and counts, never data), so it
is testable without Airflow and the tasks hand each other only XCom-sized results.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from dataplatform.conn_ids import AWS_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.etl import staging
from dataplatform.etl.errors import FatalInputError
from dataplatform.etl.load import merge_final
from dataplatform.etl.patients.contract import DDL, PATIENTS, REJECTS_TABLE, TARGET_TABLE
from dataplatform.etl.quarantine import quarantine
from dataplatform.etl.reconcile import ReconciliationError, check_counts, check_target
from dataplatform.etl.stage import stage_file
from dataplatform.etl.transform import dedup_latest

log = logging.getLogger(__name__)

DEFAULT_MAX_REJECT_RATIO = 0.05


@dataclass(frozen=True)
class RunInfo:
    """Which run (and try) a step works for: names its staging tables and stamps its rows."""

    dag_id: str
    run_id: str
    try_number: int
    logical_date: str  # ISO date: the file's date, also "today" for birth-date checks

    @property
    def key(self) -> str:
        return staging.run_key(self.dag_id, self.run_id, self.try_number)

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> RunInfo:
        """From a task's context; a manual run without a logical date uses its ``run_after`` date."""
        dag_run = context["dag_run"]
        when = context.get("logical_date") or dag_run.logical_date or dag_run.run_after
        return cls(dag_run.dag_id, dag_run.run_id, context["ti"].try_number, when.date().isoformat())


def default_source(bucket: str, logical_date: str) -> str:
    """Where the landing file of ``logical_date`` arrives: ``s3://<bucket>/patients/<date>/patients.csv``."""
    return f"s3://{bucket}/patients/{logical_date}/patients.csv"


def _connect(conn_id: str):
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=conn_id)
    return hook.get_conn


def ensure_tables(conn_id: str = WAREHOUSE_CONN_ID) -> None:
    """Create the target, quarantine and staging schema if missing (idempotent)."""
    with _connect(conn_id)() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('dataplatform.patients.ddl'))")
        conn.execute(DDL)


def validate(
    source: str,
    run: RunInfo,
    *,
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO,
    conn_id: str = WAREHOUSE_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
) -> dict[str, Any]:
    """Stage ``source``, quarantine its rejected rows, and fail if too many were rejected.

    Fatal input problems and a breached reject threshold raise ``AirflowFailException`` (retrying
    cannot fix a bad file); the target table is never touched here.
    """
    ensure_tables(conn_id)
    connect = _connect(conn_id)
    try:
        staged = stage_file(
            PATIENTS, source, key=run.key, today=run.logical_date, connect=connect, aws_conn_id=aws_conn_id
        )
    except FatalInputError as err:
        raise AirflowFailException(f"patients file rejected, nothing loaded: {err}") from err
    with connect() as conn:
        quarantined = quarantine(
            conn,
            staged.rejects_table,
            REJECTS_TABLE,
            source=source,
            run_id=run.run_id,
            logical_date=run.logical_date,
        )
    result = {**staged.as_dict(), "quarantined": quarantined}
    if staged.reject_ratio > max_reject_ratio:
        raise AirflowFailException(
            f"{source}: {staged.rows_rejected} of {staged.rows_read} rows rejected "
            f"({staged.reject_ratio:.1%} > {max_reject_ratio:.1%} allowed); they are in {REJECTS_TABLE} "
            f"(run_id {run.run_id!r}); {TARGET_TABLE} was not touched. Reasons: {staged.reasons}"
        )
    return result


def transform(staged: dict[str, Any], run: RunInfo, *, conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, Any]:
    """Deduplicate (latest ``admitted_at`` per patient) and normalise codes into a final staging table."""
    with _connect(conn_id)() as conn:
        return dedup_latest(conn, PATIENTS, staged["valid_table"], key=run.key).as_dict()


def load(transformed: dict[str, Any], run: RunInfo, *, conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, Any]:
    """Merge the final rows into ``public.patients`` in one transaction: all rows or none.

    New and changed rows get ``loaded_at = now()`` and ``loaded_by_run = run.run_id``; unchanged rows
    are not rewritten. Returns ``{target, inserted, updated, unchanged, loaded, seconds}``.
    """
    return merge_final(PATIENTS, transformed["final_table"], TARGET_TABLE, run_id=run.run_id, conn_id=conn_id)


def reconcile(
    staged: dict[str, Any],
    transformed: dict[str, Any],
    loaded: dict[str, Any],
    *,
    conn_id: str = WAREHOUSE_CONN_ID,
) -> dict[str, Any]:
    """Check rows read = loaded + rejected + superseded, and that the target holds every loaded row."""
    try:
        check_counts(
            rows_read=staged["rows_read"],
            loaded=loaded["loaded"],
            rejected=staged["rows_rejected"],
            superseded=transformed["superseded"],
        )
        with _connect(conn_id)() as conn:
            check_target(conn, PATIENTS, transformed["final_table"], TARGET_TABLE, transformed["rows_final"])
    except ReconciliationError as err:
        raise AirflowFailException(f"reconciliation failed for {staged['source']}: {err}") from err
    summary = {
        "source": staged["source"],
        "rows_read": staged["rows_read"],
        "loaded": loaded["loaded"],
        "inserted": loaded["inserted"],
        "updated": loaded["updated"],
        "unchanged": loaded["unchanged"],
        "rejected": staged["rows_rejected"],
        "superseded": transformed["superseded"],
        "reasons": staged["reasons"],
    }
    log.info("reconciled: %s", summary)
    return summary


def cleanup(
    dag_id: str, run_id: str, *, conn_id: str = WAREHOUSE_CONN_ID, keep_failed_days: int = 7
) -> list[str]:
    """Drop this run's staging tables, and those of failed runs older than ``keep_failed_days``."""
    with _connect(conn_id)() as conn:
        dropped = staging.drop_run_tables(conn, dag_id, run_id)
        dropped += staging.drop_stale_tables(conn, dag_id, keep_failed_days)
    log.info("dropped staging tables: %s", dropped)
    return dropped
