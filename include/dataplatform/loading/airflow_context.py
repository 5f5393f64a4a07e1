"""What a load group's ``resolve`` task reads from the Airflow context: the run, its period, the file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import LoadRun, Period, PeriodKind


def run_period(kind: PeriodKind, period_date: str, params: Mapping[str, Any]) -> Period:
    """The run's period: the ``period`` param if given, else the one holding ``period_date``."""
    if params.get("period"):
        return Period.parse(kind, params["period"])
    return Period.containing(kind, dt.date.fromisoformat(period_date))


def resolve_load(
    contract: SourceContract, period_date: str, bucket: str, context: Mapping[str, Any]
) -> dict[str, Any]:
    """``{"source", "run"}`` of this run's load of ``contract`` (JSON-ready for XCom).

    The period is the ``period`` param if given, else the one holding ``period_date`` (rendered by
    the group); "today" for the contract's date rules is the run's logical date (its ``run_after``
    for a manual run without one), so re-running a day checks its rows exactly as the first run did.
    """
    dag_run = context["dag_run"]
    params = context["params"]
    period = run_period(contract.period, period_date, params)
    when = context.get("logical_date") or dag_run.logical_date or dag_run.run_after
    run = LoadRun(dag_run.dag_id, dag_run.run_id, context["ti"].try_number, when.date(), period)
    source = params.get(f"{contract.name}_source_uri") or contract.landing_uri(bucket, period.label)
    return {"source": source, "run": run.as_dict()}
