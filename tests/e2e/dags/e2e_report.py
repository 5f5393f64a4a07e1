"""Test-only DAGs with known outcomes for the daily report's end-to-end test."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args


@dag(
    dag_id="e2e_report_ok",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["e2e"],
    doc_md="Test-only: one task that succeeds.",
    default_args=default_args(owner="platform"),
    **dag_callbacks(),
)
def e2e_report_ok():
    @task
    def fine() -> str:
        return "ok"

    fine()


@dag(
    dag_id="e2e_report_fails",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["e2e"],
    doc_md="Test-only: one task that fails on its only try.",
    default_args=default_args(owner="platform", retries=0),
    **dag_callbacks(),
)
def e2e_report_fails():
    @task
    def boom() -> None:
        raise RuntimeError("known failure for the daily report")

    boom()


e2e_report_ok()
e2e_report_fails()
