"""The steps of one load, as the load task group runs them: validate -> deduplicate -> load ->
reconcile -> cleanup.

Each step takes plain arguments (the contract, the run, the previous steps' small dicts) and
returns a small dict: locations and counts, never data, so the tasks hand each other XCom-sized
results and every step is testable without Airflow. Errors follow one policy
(:func:`failing_for_good`): a bad file, a rule of the contract, a constraint of the target fail at
once without retries, naming file, line, key or table; connection problems, lock and statement
timeouts are raised as they are, for Airflow to retry.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException
from psycopg import sql

from dataplatform.conn_ids import AWS_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading import csv_scan, dedup, ledger, reconcile, staging
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.ddl import ensure_tables
from dataplatform.loading.errors import FatalInputError
from dataplatform.loading.landing_file import local_copy
from dataplatform.loading.period import LoadRun
from dataplatform.loading.validate import validate_file
from dataplatform.warehouse.errors import WarehouseLoadError, is_transient

log = logging.getLogger(__name__)


@contextmanager
def failing_for_good(what: str) -> Iterator[None]:
    """Turn errors a retry cannot fix into ``AirflowFailException`` (no retries), naming ``what``."""
    try:
        yield
    except AirflowFailException:
        raise
    except FatalInputError as err:
        raise AirflowFailException(f"{what}: file rejected, nothing loaded: {err}") from err
    except reconcile.ReconciliationError as err:
        raise AirflowFailException(f"{what}: reconciliation failed: {err}") from err
    except (WarehouseLoadError, ValueError) as err:
        if is_transient(err):
            raise
        raise AirflowFailException(f"{what}: {err}") from err


def _hook(conn_id: str) -> WarehouseHook:
    return WarehouseHook(postgres_conn_id=conn_id)


def validate(
    contract: SourceContract,
    source: str,
    run: LoadRun,
    *,
    force: bool = False,
    max_reject_ratio: float | None = None,
    conn_id: str = WAREHOUSE_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
) -> dict[str, Any]:
    """Validate ``source`` into the run's staging tables and quarantine its bad rows.

    A file already loaded -- same bytes, same contract, table untouched since (see
    :mod:`~dataplatform.loading.ledger`) -- is not validated again unless ``force``: the result
    says ``skipped`` and the next steps pass it through. More than ``max_reject_ratio`` rejected
    rows (default: the contract's) fail the run, the rejects kept in quarantine.
    """
    hook = _hook(conn_id)
    limit = contract.max_reject_ratio if max_reject_ratio is None else max_reject_ratio
    with failing_for_good(f"{contract.name} {source}"), tempfile.TemporaryDirectory(prefix="dp-load-") as tmp:
        with local_copy(source, Path(tmp), aws_conn_id=aws_conn_id) as local:
            with hook.transaction() as conn:
                ledger.ensure_ledger(conn)
                ensure_tables(conn, contract)
                previous = None if force else ledger.last_load(conn, contract, run)
                if previous is not None:
                    previous = ledger.unchanged_since_last_load(
                        conn, contract, run, csv_scan.file_sha256(local.path)
                    )
            if previous is not None:
                log.info(
                    "%s was loaded unchanged by run %s (load %d): nothing to do",
                    source,
                    previous.run_id,
                    previous.id,
                )
                return {
                    "skipped": True,
                    "source": source,
                    "previous_load": previous.id,
                    "run": run.as_dict(),
                    **previous.counts,
                }
            result = validate_file(hook, contract, local, run, Path(tmp))
        out = {"skipped": False, "run": run.as_dict(), **result.as_dict()}
        if result.reject_ratio > limit:
            with hook.transaction() as conn:
                staging.drop_run(conn, contract, run.dag_id, run.run_id)
            raise AirflowFailException(
                f"{source}: {result.rows_rejected} of {result.rows_read} rows rejected ({result.reject_ratio:.1%} > "
                f"{limit:.1%} allowed); they are in {contract.quarantine} (logical_date {run.period.start}, "
                f"run_id {run.run_id!r}); {contract.target} was not touched. Reasons: {result.reasons}"
            )
    return out


def deduplicate(
    contract: SourceContract, validated: dict[str, Any], *, conn_id: str = WAREHOUSE_CONN_ID
) -> dict[str, Any]:
    """Keep one row per key in the staging table (the latest, per the contract)."""
    if validated["skipped"]:
        return {"skipped": True, "superseded": validated["rows_superseded"], "rows": validated["rows_loaded"]}
    with failing_for_good(f"{contract.name} {validated['source']}"), _hook(conn_id).transaction() as conn:
        superseded = dedup.supersede(conn, contract, validated["rows_table"], validated["dups_table"])
    rows = validated["rows_valid"] - superseded
    log.info(
        "deduplicated %s: %d superseded rows removed, %d rows remain",
        validated["rows_table"],
        superseded,
        rows,
    )
    return {"skipped": False, "superseded": superseded, "rows": rows}


def load(
    contract: SourceContract,
    validated: dict[str, Any],
    deduplicated: dict[str, Any],
    *,
    conn_id: str = WAREHOUSE_CONN_ID,
) -> dict[str, Any]:
    """Apply the staging table to the target -- merge on the key, or replace the period's partition --
    and record the load in the ledger, all in one transaction: every row or none."""
    if validated["skipped"]:  # nothing written: every row of the earlier load is unchanged
        rows = validated["rows_loaded"]
        return {
            "skipped": True,
            "load_id": validated["previous_load"],
            "rows": rows,
            "inserted": 0,
            "updated": 0,
            "unchanged": rows,
            "deleted": 0,
        }
    run = LoadRun.from_dict(validated["run"])
    hook = _hook(conn_id)
    with (
        failing_for_good(f"{contract.name} {validated['source']} -> {contract.target}"),
        hook.load_into(
            contract.target, source_table=validated["rows_table"], columns=contract.header
        ) as target,
    ):
        written_at = target.connection.execute("SELECT now()").fetchone()[0]
        stamp = {"loaded_at": sql.SQL("now()"), "loaded_by_run": run.run_id}
        if contract.partition_column:
            result = target.replace_partition({contract.partition_column: run.period.start}, stamp=stamp)
        else:
            result = target.merge(contract.key, stamp=stamp)
        totals = reconcile.control_totals(target.connection, contract, validated["rows_table"])
        facts = {
            "source": validated["source"],
            "sha256": validated["sha256"],
            "bytes": validated["bytes"],
            "rows_read": validated["rows_read"],
            "rows_rejected": validated["rows_rejected"],
            "rows_superseded": deduplicated["superseded"],
            "rows_loaded": result.rows,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "deleted": result.deleted,
            "target_rows": ledger.period_rows(target.connection, contract, run.period.start),
            "totals": totals,
            "written_at": written_at,
        }
        load_id = ledger.record_load(target.connection, contract, run, facts)
    out = {
        "skipped": False,
        "load_id": load_id,
        **result.as_dict(),
        "totals": totals,
        "written_at": written_at.isoformat(),
    }
    log.info("loaded %s into %s: %s", validated["rows_table"], contract.target, out)
    return out


def reconcile_load(
    contract: SourceContract,
    validated: dict[str, Any],
    deduplicated: dict[str, Any],
    loaded: dict[str, Any],
    *,
    conn_id: str = WAREHOUSE_CONN_ID,
) -> dict[str, Any]:
    """Check every row read is accounted for and the target holds what the load wrote; mark the
    ledger row. Returns the load's summary (the Asset event's extra)."""
    run = LoadRun.from_dict(validated["run"])
    with failing_for_good(f"{contract.name} {validated['source']}"), _hook(conn_id).transaction() as conn:
        counts = reconcile.Counts(
            read=validated["rows_read"],
            rejected=validated["rows_rejected"],
            superseded=deduplicated["superseded"],
            loaded=loaded["rows"],
        )
        counts.check()
        if validated["skipped"]:
            load_id = _record_skip(conn, contract, run, validated)
        else:
            reconcile.check_quarantine(conn, contract, run, validated["source"], validated["rows_rejected"])
            reconcile.check_target(conn, contract, run, loaded)
            ledger.mark(conn, loaded["load_id"], "reconciled")
            load_id = loaded["load_id"]
    summary = {
        "contract": contract.name,
        "target": contract.target,
        "period": run.period.label,
        "source": validated["source"],
        "skipped": validated["skipped"],
        "load_id": load_id,
        "rows_read": counts.read,
        "rejected": counts.rejected,
        "superseded": counts.superseded,
        "loaded": counts.loaded,
        "inserted": loaded["inserted"],
        "updated": loaded["updated"],
        "unchanged": loaded["unchanged"],
        "deleted": loaded["deleted"],
        "reasons": validated.get("reasons", {}),
    }
    log.info("reconciled: %s", summary)
    return summary


def _record_skip(conn, contract: SourceContract, run: LoadRun, validated: dict[str, Any]) -> int:
    row = conn.execute(
        "INSERT INTO dataplatform.loads (contract, fingerprint, target, period_kind, period_start, source, sha256, "
        "bytes, dag_id, run_id, try_number, rows_read, rows_rejected, rows_superseded, rows_loaded, inserted, "
        "updated, unchanged, deleted, target_rows, totals, written_at, status, reconciled_at) "
        "SELECT contract, fingerprint, target, period_kind, period_start, %s, sha256, bytes, %s, %s, %s, rows_read, "
        "rows_rejected, rows_superseded, rows_loaded, 0, 0, rows_loaded, 0, target_rows, totals, written_at, "
        "'skipped', now() FROM dataplatform.loads WHERE id = %s RETURNING id",
        (validated["source"], run.dag_id, run.run_id, run.try_number, validated["previous_load"]),
    ).fetchone()
    return int(row[0])


def cleanup(
    contract: SourceContract,
    dag_id: str,
    run_id: str,
    *,
    keep_failed_days: int = 7,
    conn_id: str = WAREHOUSE_CONN_ID,
) -> list[str]:
    """Drop this run's staging tables of ``contract``, and those of failed runs older than ``keep_failed_days``."""
    with _hook(conn_id).transaction() as conn:
        if conn.execute("SELECT to_regnamespace('staging')").fetchone()[0] is None:
            return []
        dropped = staging.drop_run(conn, contract, dag_id, run_id)
        dropped += staging.drop_stale(conn, contract, keep_failed_days)
    log.info("dropped staging tables: %s", dropped)
    return dropped
