"""Daily report: yesterday's pipeline health and data figures, by email and Slack, every morning."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.reports.daily.task_group import daily_report_params, daily_report_task_group
from dataplatform.sources import CONTRACTS

DOC_MD = """
# daily_report

At 07:00 UTC, for the day before (the run's data interval), one email to the `data-team` route
and one Slack message:

* **DAG runs per DAG** (started that day): states, median and longest duration, the latest run;
* **failed tasks** with the link to each failed try's log;
* **rows loaded and rejected per source**, from the loads' own records (`dataplatform.loads`);
* **freshness** of each warehouse table against its contract's schedule (`fresh` / `late` /
  `never loaded`, as of the end of the day);
* the **top reject reasons** (the quarantine tables).

Pipeline facts come from Airflow's REST API through the `airflow_api` connection (tasks never
touch the metadata DB); data facts from the warehouse. `report.build` records the facts as an
edition; the send tasks deliver it once each (a retry never sends twice). Report on another day
with `{"day": "2026-11-30"}`.
"""


@dag(
    dag_id="daily_report",
    schedule=CronDataIntervalTimetable("0 7 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["reports", "platform"],
    doc_md=DOC_MD,
    default_args=default_args(owner="data-platform"),
    params=daily_report_params(),
    **dag_callbacks(),
)
def daily_report():
    daily_report_task_group(contracts=tuple(CONTRACTS.values()), route="data-team")


daily_report()
