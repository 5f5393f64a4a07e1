"""Secrets from AWS Secrets Manager never leave in logs or alerts; task logs go to CloudWatch Logs
and come back through the REST API; every component logs JSON."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import psutil
import pytest

from dataplatform.conn_ids import WAREHOUSE_CONN_ID
from tests.support.cluster_stack import LOG_GROUP
from tests.support.patient_rows import HEADER, good
from tests.support.slack_messages import settle

pytestmark = pytest.mark.e2e


def _stream_prefix(dag_id: str, run_id: str) -> str:
    """CloudWatch stream names of a run's task tries (``:`` is not allowed in stream names)."""
    return f"dag_id={dag_id}/run_id={run_id.replace(':', '_')}/"


def _wait_for_log_events(cluster, prefix: str, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for e in cluster.log_events() if e["stream"].startswith(prefix)]
        if events:
            return events
        time.sleep(1)
    raise AssertionError(f"no CloudWatch events in {LOG_GROUP} for streams {prefix}*")


def test_warehouse_connection_comes_only_from_secrets_manager(cluster, s3_server, warehouse):
    env_var = f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"
    for proc in cluster.stack.procs:
        assert env_var not in psutil.Process(proc.pid).environ(), proc.name
    body = "\n".join([HEADER, *(good(i) for i in range(900_001, 900_006))]) + "\n"
    s3_server.put_object(Bucket="landing", Key="patients/2026-08-01/patients.csv", Body=body.encode())
    client = cluster.client("admin")
    client.wait_for_dag("patient_data_pipeline")
    run_id = client.trigger(
        "patient_data_pipeline", conf={"poke_interval_seconds": 1}, logical_date="2026-08-01T06:00:00Z"
    )
    assert client.wait_for_run("patient_data_pipeline", run_id, timeout=240) == "success"
    count = warehouse.execute("SELECT count(*) FROM public.patients WHERE patient_id > 900000").fetchone()[0]
    assert count == 5


def test_task_log_lands_in_cloudwatch_and_the_api_reads_it_back(cluster):
    client = cluster.client("admin")
    client.wait_for_dag("e2e_echo")
    marker = f"cloudwatch-marker-{secrets.token_hex(4)}"
    run_id = client.trigger("e2e_echo", conf={"message": marker}, logical_date="2026-08-02T06:00:00Z")
    assert client.wait_for_run("e2e_echo", run_id, timeout=120) == "success"
    events = _wait_for_log_events(cluster, _stream_prefix("e2e_echo", run_id))
    assert any(marker in e["message"] for e in events)
    assert all(json.loads(e["message"]) for e in events)  # structured events, one per log line
    log = client.task_log("e2e_echo", run_id, "echo")
    assert f"Reading remote log from Cloudwatch log_group: {LOG_GROUP}" in log
    assert f"echo: {marker}" in log


def test_no_secret_in_logs_task_logs_slack_or_email(cluster, slack_sink, smtp_sink):
    password, token = f"pw-{secrets.token_hex(8)}", f"tok-{secrets.token_hex(8)}"
    cluster.put_connection(
        "partner_api",
        {"conn_type": "http", "host": "partner.example", "login": "svc", "password": password},
    )
    cluster.put_variable("partner_api_token", token)
    client = cluster.client("admin")
    client.wait_for_dag("cluster_secret_leak")
    run_id = client.trigger("cluster_secret_leak", logical_date="2026-08-03T06:00:00Z")
    assert client.wait_for_run("cluster_secret_leak", run_id, timeout=120) == "failed"
    alerts = settle(slack_sink, run_id, expected=2)  # the task's alert and the run's summary
    assert len(alerts) == 2, [a["text"] for a in alerts]
    smtp_sink.wait_for(1, timeout=30)
    events = _wait_for_log_events(cluster, _stream_prefix("cluster_secret_leak", run_id))
    task_log = client.task_log("cluster_secret_leak", run_id, "use_partner_api")
    # the task did read both secrets: their masks are where it printed them
    assert "calling the partner API with password *** and token ***" in task_log
    assert "password=***" in json.dumps(alerts)
    places = {
        "task log (REST)": task_log,
        "CloudWatch events": json.dumps(events),
        "Slack payloads": json.dumps(slack_sink.messages),
        "emails": "\n".join(m.as_string() for m in smtp_sink.messages),
    }
    for path in Path(cluster.cfg.airflow_home).rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_text(errors="replace")
    leaks = {
        where: secret for where, text in places.items() for secret in (password, token) if secret in text
    }
    assert leaks == {}
    assert len(places) > 10  # component logs, task log files, dag-processor logs were searched


#: flask-appbuilder's own handler echoes this warning besides the JSON record of it.
FAB_ECHO = "appbuilder.app is deprecated and will be removed in a future version. Use current_app instead"


def _without_celery_banner(lines: list[str]) -> list[str]:
    """The lines without Celery's start-up banner (printed with print() at every worker start,
    from `` -------------- worker-N@host v5.x`` to the ``[tasks]`` list)."""
    kept: list[str] = []
    in_banner = in_tasks = False
    for line in lines:
        if line.startswith(" -------------- worker-"):
            in_banner = True
            while kept and not kept[-1].strip():
                kept.pop()
        elif not in_banner:
            kept.append(line)
        elif line.startswith("[tasks]"):
            in_tasks = True
        elif in_tasks and line.strip() and not line.startswith("  . "):
            in_banner = in_tasks = False
            kept.append(line)
    return kept


#: Printed (not logged) by a task process whose supervisor is gone: the orphan of the worker that
#: test_celery_workers kills by PID writes it to the stderr it inherited from that worker.
ORPHAN_LAST_WORDS = "--- Supervised process Last chance exception handler ---"


def _without_orphan_tracebacks(lines: list[str]) -> list[str]:
    """The lines without an orphaned task process's last-chance traceback (to the next JSON line)."""
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line == ORPHAN_LAST_WORDS:
            skipping = True
        elif skipping and not _not_json(line):
            skipping = False
        if not skipping:
            kept.append(line)
    return kept


def _not_json(line: str) -> bool:
    try:
        return not isinstance(json.loads(line), dict)
    except ValueError:
        return True


def test_every_component_logs_json(cluster):
    unexplained: dict[str, list[str]] = {}
    for name, path in cluster.component_logs().items():
        lines = path.read_text(errors="replace").splitlines()
        assert sum(not _not_json(line) for line in lines) > 5, f"{name} wrote almost nothing as JSON"
        if name.startswith("worker-"):
            lines = _without_orphan_tracebacks(_without_celery_banner(lines))
        odd = [ln for ln in lines if _not_json(ln) and ln != FAB_ECHO]
        if odd:
            unexplained[name] = odd[:10]
    assert unexplained == {}
