"""Test-only DAG: logs its conf, proving test DAGs load beside the repo's DAGs."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args


@dag(
    dag_id="e2e_echo",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["e2e"],
    doc_md="Test-only: echoes `conf['message']` into its log.",
    default_args=default_args(owner="platform"),
    **dag_callbacks(),
)
def e2e_echo():
    @task
    def echo(**context) -> str:
        message = context["dag_run"].conf.get("message", "")
        print(f"echo: {message}")
        return message

    echo()


e2e_echo()
