"""The repo's DAGs on CeleryExecutor with two workers; a worker killed mid-load loses and
duplicates nothing, and the retry on the other worker completes without an alert.

How a kill lands where it hurts: once ``validate`` is done the test takes a SHARE lock on
``public.patients``, so the load's merge waits inside its open transaction; the worker running it
is killed then, and the lock let go.
"""

from __future__ import annotations

import psycopg
import pytest

from devstack.procs import wait_until
from tests.support.cluster_stack import worker_running
from tests.support.patient_rows import HEADER, good
from tests.support.slack_messages import settle

pytestmark = pytest.mark.e2e

DAG_ID = "patient_data_pipeline"
LOAD_TASK = "patients.load"
ROWS = 500


def land_patients(s3, day: str, ids: range) -> None:
    body = "\n".join([HEADER, *(good(i) for i in ids)]) + "\n"
    s3.put_object(Bucket="landing", Key=f"patients/{day}/patients.csv", Body=body.encode())


def trigger(client, day: str) -> str:
    client.wait_for_dag(DAG_ID)
    return client.trigger(DAG_ID, conf={"poke_interval_seconds": 1}, logical_date=f"{day}T06:00:00Z")


def loaded(warehouse, run_id: str) -> list[tuple]:
    """The ledger's rows for ``run_id`` (one per committed load): (validate's try, status, inserted)."""
    return warehouse.execute(
        "SELECT try_number, status, inserted FROM dataplatform.loads WHERE run_id = %s ORDER BY id", (run_id,)
    ).fetchall()


def patients_in(warehouse, ids: range) -> int:
    return warehouse.execute(
        "SELECT count(*) FROM public.patients WHERE patient_id BETWEEN %s AND %s", (ids[0], ids[-1])
    ).fetchone()[0]


def test_patient_pipeline_runs_on_celery_workers(cluster, s3_server, warehouse, slack_sink):
    client = cluster.client("admin")
    land_patients(s3_server, "2026-09-01", range(1, 51))
    run_id = trigger(client, "2026-09-01")
    assert client.wait_for_run(DAG_ID, run_id, timeout=240) == "success", client.task_states(DAG_ID, run_id)
    assert patients_in(warehouse, range(1, 51)) == 50
    workers_log = "".join(
        path.read_text() for name, path in cluster.component_logs().items() if name.startswith("worker-")
    )
    for task in ("patients.validate", "patients.load", "patients.reconcile"):
        assert f"task_id='{task}'" in workers_log and run_id in workers_log
    assert settle(slack_sink, run_id, expected=0) == []


def test_healthcheck_and_daily_report_run_on_celery_workers(cluster, smtp_sink):
    """The daily report reads Airflow's REST API as the Viewer user of the airflow_api connection."""
    client = cluster.client("admin")
    for dag_id, conf in {"platform_healthcheck": {}, "daily_report": {"day": "2026-09-01"}}.items():
        client.wait_for_dag(dag_id)
        run_id = client.trigger(dag_id, conf=conf, logical_date=f"2026-09-01T0{len(conf)}:30:00Z")
        assert client.wait_for_run(dag_id, run_id, timeout=240) == "success", client.task_states(
            dag_id, run_id
        )
    assert smtp_sink.wait_for(1, timeout=30)  # the daily report's email


def _hold_load_at_merge(warehouse_uri: str) -> psycopg.Connection:
    """A connection holding a SHARE lock on public.patients: the load's merge waits for it."""
    conn = psycopg.connect(warehouse_uri)
    conn.execute("LOCK TABLE public.patients IN SHARE MODE")
    return conn


def _waiting_load_backend(warehouse, holder: psycopg.Connection) -> int | None:
    row = warehouse.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        " AND pid <> %s AND xact_start IS NOT NULL",
        (holder.info.backend_pid,),
    ).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("how", "day"),
    [("worker process only", "2026-09-02"), ("worker and its task processes", "2026-09-03")],
)
def test_worker_killed_in_an_open_load_transaction(how, day, cluster, s3_server, warehouse, slack_sink):
    """Killing the worker by PID orphans its task process, which still commits; killing the whole
    process tree (a lost machine) aborts the transaction. Either way the retry on the other worker
    completes, the day's rows are there exactly once, and no alert is sent."""
    client = cluster.client("admin")
    tree = how != "worker process only"
    ids = range(int(day[-2:]) * 10_000, int(day[-2:]) * 10_000 + ROWS)  # new patients of that day
    land_patients(s3_server, day, ids)
    run_id = trigger(client, day)
    # after validate (whose CREATE TABLE IF NOT EXISTS would wait for the lock too), before the merge
    client.wait_for_task_state(DAG_ID, run_id, ["patients.validate"], "success", timeout=180)
    holder = _hold_load_at_merge(cluster.cfg.pg_uri(cluster.cfg.warehouse_db))
    try:
        wait_until(
            lambda: _waiting_load_backend(warehouse, holder), 180, "the load waiting in its transaction"
        )
        backend = _waiting_load_backend(warehouse, holder)
        [ti] = [t for t in client.task_instances(DAG_ID, run_id) if t["task_id"] == LOAD_TASK]
        wait_until(lambda: worker_running(cluster.stack, ti["id"]), 30, f"the worker running {LOAD_TASK}")
        victim = worker_running(cluster.stack, ti["id"])
        cluster.stack.process(victim).kill(tree=tree)
        if tree:  # the server notices the vanished client (client_connection_check_interval 10 s)
            wait_until(lambda: not _alive(warehouse, backend), 60, "the killed load's backend gone")
    finally:
        holder.rollback()
        holder.close()
    try:
        assert client.wait_for_run(DAG_ID, run_id, timeout=300) == "success", client.task_states(
            DAG_ID, run_id
        )
        [ti] = [t for t in client.task_instances(DAG_ID, run_id) if t["task_id"] == LOAD_TASK]
        assert ti["try_number"] == 2  # the killed try failed on its missing heartbeat; the retry ran
        survivor = next(n for n in cluster.component_logs() if n.startswith("worker-") and n != victim)
        survivor_log = cluster.component_logs()[survivor].read_text()
        assert f"task_id='{LOAD_TASK}'" in survivor_log and "try_number=2" in survivor_log
        assert patients_in(warehouse, ids) == ROWS  # not lost, not doubled
        # one ledger row per committed load transaction, each with what it inserted
        inserted = [row[2] for row in loaded(warehouse, run_id)]
        if tree:  # the killed try's transaction rolled back: only the retry's load committed
            assert inserted == [ROWS]
        else:  # the orphaned try committed once the lock went; the retry merged the same rows again
            assert inserted == [ROWS, 0]
        assert settle(slack_sink, run_id, expected=0) == []
    finally:
        cluster.stack.restart(victim)


def _alive(warehouse, pid: int) -> bool:
    return warehouse.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is not None
