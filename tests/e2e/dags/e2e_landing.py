"""Test-only DAG: a deferrable LandingZoneSensor waits for the S3 keys given in ``dag_run.conf``."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.landing import MinSizeRule
from dataplatform.sensors import LandingZoneSensor


@dag(
    dag_id="e2e_landing",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["e2e", "landing"],
    doc_md=(
        "Test-only: `wait_for_files` (deferrable `LandingZoneSensor`) waits for `conf['files']` "
        "(a list of `s3://` keys), polling every `conf['poke_interval']` s (default 1) for at most "
        "`conf['timeout']` s (default 60); `summarise` logs the files and sizes it returned."
    ),
    default_args=default_args(owner="platform"),
    render_template_as_native_obj=True,  # conf['files'] renders as a list, timeouts as numbers
    **dag_callbacks(),
)
def e2e_landing():
    files = LandingZoneSensor(
        task_id="wait_for_files",
        files="{{ dag_run.conf['files'] }}",
        rules=[MinSizeRule(1)],
        deferrable=True,
        poke_interval="{{ dag_run.conf.get('poke_interval', 1) }}",
        timeout="{{ dag_run.conf.get('timeout', 60) }}",
    )

    @task
    def summarise(landed: list[dict]) -> int:
        for item in landed:
            print(f"landed: {item['path']} ({item['size']} bytes)")
        return len(landed)

    summarise(files.output)


e2e_landing()
