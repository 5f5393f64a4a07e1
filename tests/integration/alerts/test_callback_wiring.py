"""The production defaults wire the callbacks; ``dag.test()`` runs them in-process against a real
metadata DB, so the alert ledger (Airflow Variables via the Task SDK) is exercised for real."""

from __future__ import annotations

import json
import time
import uuid

import pendulum
import pytest

from dataplatform.defaults import dag_callbacks, default_args

pytestmark = pytest.mark.integration


def _register(dag) -> None:
    """``dag.test()`` needs the DAG serialized in the metadata DB."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


def _build(dag_id: str):
    from airflow.sdk import dag, task

    @dag(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        default_args=default_args(owner="platform", retries=0),
        **dag_callbacks(),
    )
    def wiring():
        @task
        def explode():
            raise ValueError("wiring test failure")

        @task
        def fine():
            return 1

        explode()
        fine()

    return wiring()


def test_dag_test_sends_one_task_alert_and_one_summary(airflow_db, slack_sink):
    dag_id = f"it_alert_wiring_{uuid.uuid4().hex[:6]}"
    dag = _build(dag_id)
    _register(dag)

    dr = dag.test()

    assert dr.state == "failed"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(slack_sink.messages) < 2:
        time.sleep(0.1)
    time.sleep(1)
    texts = [m["text"] for m in slack_sink.messages if dag_id in json.dumps(m)]
    assert len(texts) == 2, texts
    task_msg, summary = sorted(texts, key=lambda t: "run" in t.split("\n")[0])
    assert task_msg.startswith(f"[FAILED] {dag_id}.explode (try 1/1)")
    assert "ValueError: wiring test failure" in task_msg
    assert f"/dags/{dag_id}/runs/" in task_msg and "/tasks/explode?try_number=1" in task_msg
    assert summary.startswith(f"[FAILED] {dag_id} run {dr.run_id}: 1 failed task")
    # the ledger (Variables) told the summary that "explode" already had its own alert
    assert "no task alert" not in summary
