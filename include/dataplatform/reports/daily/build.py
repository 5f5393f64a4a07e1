"""Collect one day's facts and record them as an edition of the daily report."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from dataplatform.hooks.airflow_api import AirflowApiHook
from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.contract import SourceContract
from dataplatform.reports import editions
from dataplatform.reports.daily.data import data_facts
from dataplatform.reports.daily.pipeline import pipeline_facts

log = logging.getLogger(__name__)

REPORT = "daily"


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[day 00:00, next day 00:00)`` in UTC."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def build_daily(
    api: AirflowApiHook,
    warehouse: WarehouseHook,
    contracts: Sequence[SourceContract],
    day: dt.date,
    *,
    dag_id: str,
    run_id: str,
    try_number: int,
) -> dict[str, Any]:
    """The day's pipeline and data facts, recorded as an edition; ``{"edition_id", "day", "totals", ...}``."""
    start, end = day_window(day)
    pipeline = pipeline_facts(api, start, end)
    with warehouse.transaction(snapshot=True) as conn:
        editions.ensure_tables(conn)
        facts = {"day": day.isoformat(), **pipeline, **data_facts(conn, contracts, start, end)}
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()
        edition = editions.new_edition(
            conn,
            report=REPORT,
            period_start=day,
            dag_id=dag_id,
            run_id=run_id,
            try_number=try_number,
            content_sha256=digest,
            figures=facts,
        )
    log.info("daily report %s: edition %d, %s", day, edition.id, pipeline["totals"])
    return {
        "edition_id": edition.id,
        "day": day.isoformat(),
        "content_sha256": digest,
        "totals": pipeline["totals"],
        "late_tables": [f["target"] for f in facts["freshness"] if f["status"] != "fresh"],
    }
