"""Platform health check: proves the warehouse, the landing bucket and alerting are reachable."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args

DOC_MD = """
# platform_healthcheck

Hourly probe of the services every production DAG depends on.

* **check_warehouse** runs `SELECT 1` on `warehouse_db` and logs the server version.
* **check_landing_bucket** confirms the landing bucket (Variable `landing_bucket`, default
  `landing`) exists on `aws_default`.

A failure means the platform, not a pipeline, is broken: check the connection named in the log.
Owner: platform team. Safe to re-run at any time; it writes nothing.
"""


@dag(
    dag_id="platform_healthcheck",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["platform", "healthcheck"],
    doc_md=DOC_MD,
    default_args=default_args(owner="platform"),
    **dag_callbacks(),
)
def platform_healthcheck():
    @task
    def check_warehouse() -> str:
        from dataplatform.platform.health import check_warehouse

        return check_warehouse()

    @task
    def check_landing_bucket(bucket: str) -> str:
        from dataplatform.platform.health import check_bucket

        return check_bucket(bucket)

    check_warehouse()
    check_landing_bucket("{{ var.value.get('landing_bucket', 'landing') }}")


platform_healthcheck()
