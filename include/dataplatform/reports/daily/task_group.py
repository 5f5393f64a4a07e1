"""``daily_report_task_group``: ``report.build -> (report.send_email, report.post_slack)``.

The day is the ``day`` param if given, else the date of ``day_date`` (default: the run's data
interval start, i.e. yesterday for a morning schedule). Only ``airflow.sdk`` is imported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from airflow.sdk import Param, TaskGroup, task

from dataplatform.conn_ids import AIRFLOW_API_CONN_ID, SMTP_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.loading.contract import SourceContract


def daily_report_params() -> dict[str, Param]:
    return {
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="report on this day (YYYY-MM-DD) instead",
        )
    }


def daily_report_task_group(
    *,
    contracts: Sequence[SourceContract],
    route: str,
    day_date: str = "{{ data_interval_start | ds }}",
    group_id: str = "report",
    conn_id: str = WAREHOUSE_CONN_ID,
    api_conn_id: str = AIRFLOW_API_CONN_ID,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> TaskGroup:
    with TaskGroup(group_id=group_id, tooltip="collect the day's facts and send the daily report") as group:

        @task(task_id="build")
        def build(day_date: str, **context: Any) -> dict[str, Any]:
            from dataplatform.reports.daily import steps

            dag_run = context["dag_run"]
            day = dt.date.fromisoformat(context["params"].get("day") or day_date)
            return steps.build(
                contracts,
                day,
                dag_id=dag_run.dag_id,
                run_id=dag_run.run_id,
                try_number=context["ti"].try_number,
                conn_id=conn_id,
                api_conn_id=api_conn_id,
            )

        @task(task_id="send_email")
        def send_email(built: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.reports.daily import steps

            return steps.send_email(
                built, route=route, conn_id=conn_id, smtp_conn_id=smtp_conn_id, api_conn_id=api_conn_id
            )

        @task(task_id="post_slack")
        def post_slack(built: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.reports.daily import steps

            return steps.post_slack(built, route=route, conn_id=conn_id)

        built = build(day_date)
        send_email(built)
        post_slack(built)
    return group
