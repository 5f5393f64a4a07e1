"""Test-only DAG: reads a secret connection and a secret variable, prints both, fails quoting them.

The cluster tests then search every log, the task log in CloudWatch, the Slack payloads and the
emails for the secrets' values.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args

log = logging.getLogger(__name__)


@dag(
    dag_id="cluster_secret_leak",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["e2e"],
    doc_md="Test-only: prints a secret connection's password and a secret variable, then fails quoting them.",
    default_args=default_args(owner="platform", retries=0),
    **dag_callbacks(),
)
def cluster_secret_leak():
    @task
    def use_partner_api() -> None:
        from airflow.sdk import BaseHook, Variable

        conn = BaseHook.get_connection("partner_api")
        token = Variable.get("partner_api_token")
        print(f"calling the partner API with password {conn.password} and token {token}")
        log.warning("partner API at %s", conn.get_uri())
        raise RuntimeError(f"partner API refused us: password={conn.password} token {token}")

    use_partner_api()


cluster_secret_leak()
