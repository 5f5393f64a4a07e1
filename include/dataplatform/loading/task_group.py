"""``load_task_group``: the loading stack as a task group, built from a contract in one call.

    with DAG(...):
        load_task_group(PATIENTS)

gives ``<name>.resolve -> <name>.wait_for_file -> <name>.validate -> <name>.deduplicate ->
<name>.load -> <name>.reconcile -> <name>.cleanup``: resolve picks the file (the contract's
landing key for the run's period, or the ``<name>_source_uri`` param), the landing sensor waits
for it (deferred, failing with the file's name on timeout), the steps of
:mod:`dataplatform.loading.steps` load it, and ``reconcile`` emits the table's Asset with the
load's counts. The DAG declares the params with :func:`load_params`.

Only ``airflow.sdk`` and the contract are imported here: the steps (DuckDB, psycopg) load inside
the tasks, so a DAG file using this parses in milliseconds.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, Param, TaskGroup, task

from dataplatform.conn_ids import (
    AWS_CONN_ID,
    DEFAULT_LANDING_BUCKET,
    LANDING_BUCKET_VARIABLE,
    WAREHOUSE_CONN_ID,
)
from dataplatform.loading.contract import SourceContract
from dataplatform.sensors.landing import LandingZoneSensor


def load_params(*contracts: SourceContract) -> dict[str, Param]:
    """The params a DAG of these load groups declares (every one optional)."""
    params = {
        "period": Param(
            None,
            type=["null", "string"],
            description="load this day (YYYY-MM-DD) or month (YYYY-MM) instead of the run's",
        ),
        "force_reload": Param(
            False, type="boolean", description="load the file even if it was loaded unchanged before"
        ),
        "max_reject_ratio": Param(
            None,
            type=["null", "number"],
            minimum=0,
            maximum=1,
            description="share of rejected rows that fails the load (default: the contract's)",
        ),
        "wait_timeout_seconds": Param(
            6 * 3600, type="integer", minimum=1, description="how long to wait for a file"
        ),
        "poke_interval_seconds": Param(
            60, type="integer", minimum=1, description="how often to look for a file"
        ),
    }
    for c in contracts:
        params[f"{c.name}_source_uri"] = Param(
            None,
            type=["null", "string"],
            description=f"S3 URI or local path of the {c.name} file, instead of the landing key",
        )
    return params


def table_asset(contract: SourceContract) -> Asset:
    """The Asset of the contract's target table (name only: a URI scheme would load provider code at parse time)."""
    return Asset(name=contract.asset_name)


def load_task_group(
    contract: SourceContract,
    *,
    period_date: str = "{{ (logical_date or dag_run.run_after) | ds }}",
    group_id: str | None = None,
    conn_id: str = WAREHOUSE_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
) -> TaskGroup:
    """The load of ``contract``'s file for the run's period, as a task group (see the module docstring).

    ``period_date``: a template rendering to a date inside the period to load (default: the run's
    logical date; a monthly DAG passes e.g. ``"{{ data_interval_start | ds }}"``).
    """
    name = group_id or contract.name
    asset = table_asset(contract)
    with TaskGroup(group_id=name, tooltip=f"load the {contract.name} file into {contract.target}") as group:

        @task(task_id="resolve")
        def resolve(period_date: str, bucket: str, **context: Any) -> dict[str, Any]:
            from dataplatform.loading.airflow_context import resolve_load

            return resolve_load(contract, period_date, bucket, context)

        @task(task_id="validate")
        def validate(resolved: dict[str, Any], **context: Any) -> dict[str, Any]:
            from dataplatform.loading import steps
            from dataplatform.loading.period import LoadRun

            params = context["params"]
            run = LoadRun.from_dict({**resolved["run"], "try_number": context["ti"].try_number})
            return steps.validate(
                contract,
                resolved["source"],
                run,
                force=bool(params.get("force_reload")),
                max_reject_ratio=params.get("max_reject_ratio"),
                conn_id=conn_id,
                aws_conn_id=aws_conn_id,
            )

        @task(task_id="deduplicate")
        def deduplicate(validated: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.loading import steps

            return steps.deduplicate(contract, validated, conn_id=conn_id)

        @task(task_id="load")
        def load(validated: dict[str, Any], deduplicated: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.loading import steps

            return steps.load(contract, validated, deduplicated, conn_id=conn_id)

        @task(task_id="reconcile", outlets=[asset])
        def reconcile(
            validated: dict[str, Any], deduplicated: dict[str, Any], loaded: dict[str, Any], **context: Any
        ) -> dict[str, Any]:
            from dataplatform.loading import steps

            summary = steps.reconcile_load(contract, validated, deduplicated, loaded, conn_id=conn_id)
            context["outlet_events"][asset].extra = summary
            return summary

        @task(task_id="cleanup")
        def cleanup(**context: Any) -> list[str]:
            from dataplatform.loading import steps

            dag_run = context["dag_run"]
            return steps.cleanup(contract, dag_run.dag_id, dag_run.run_id, conn_id=conn_id)

        resolved = resolve(
            period_date, f"{{{{ var.value.get('{LANDING_BUCKET_VARIABLE}', '{DEFAULT_LANDING_BUCKET}') }}}}"
        )
        wait = LandingZoneSensor(
            task_id="wait_for_file",
            files=f"{{{{ ti.xcom_pull(task_ids='{name}.resolve')['source'] }}}}",
            rules="min_size:0",  # S3 objects appear whole; an empty file is rejected by validate, by name
            aws_conn_id=aws_conn_id,
            deferrable=True,
            poke_interval="{{ params.poke_interval_seconds }}",
            timeout="{{ params.wait_timeout_seconds }}",
        )
        validated = validate(resolved)
        deduplicated = deduplicate(validated)
        loaded = load(validated, deduplicated)
        checked = reconcile(validated, deduplicated, loaded)
        resolved >> wait >> validated
        checked >> cleanup()
    return group
