"""The audit trail on the real cluster stack (FAB users admin / operator / viewer).

One scenario (module fixture) acts through the REST API: ``operator`` unpauses, triggers, marks,
clears and pauses ``e2e_echo``; ``viewer`` tries the same and is refused (403); an anonymous
client and a forged token are refused too (401 / 403); a CLI trigger is made as the OS user.
The tests then read the audit trail through ``dataplatform.audit`` with an Admin connection
(``AIRFLOW_CONN_AUDIT_ADMIN``), and through the ``dataplatform-audit`` console script.

Set ``DATAPLATFORM_AUDIT_RECORD=<file>`` to write the raw ``/api/v2/eventLogs`` items the scenario
produced to that file (how ``tests/fixtures/audit/event_logs_airflow_3_3_2.json`` was recorded).
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from dataplatform.audit.events import AuditEvent
from dataplatform.audit.query import AuditAccessError, AuditQuery, read_events
from devstack.config import airflow_env

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_echo"
TASK_ID = "echo"
CONN_ID = "audit_admin"
VIEWER_CONN_ID = "audit_viewer"
AUDIT_BIN = Path(sys.executable).with_name("dataplatform-audit")


@dataclass
class Scenario:
    """What the scenario did: the window, the run, and the status of every request it made."""

    since: datetime
    run_id: str = ""
    cli_run_id: str = ""
    statuses: dict[str, int] = field(default_factory=dict)
    until: datetime | None = None


def _conn(cluster, user: str) -> str:
    return json.dumps(
        {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": cluster.cfg.api_port,
            "login": user,
            "password": cluster.passwords[user],
        }
    )


@pytest.fixture(scope="module")
def audit_env(cluster) -> Iterator[dict[str, str]]:
    """``AIRFLOW_CONN_AUDIT_ADMIN`` (Admin) and ``AIRFLOW_CONN_AUDIT_VIEWER`` in this process."""
    env = {
        f"AIRFLOW_CONN_{CONN_ID.upper()}": _conn(cluster, "admin"),
        f"AIRFLOW_CONN_{VIEWER_CONN_ID.upper()}": _conn(cluster, "viewer"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield env


def _status(scenario: Scenario, what: str, response: httpx.Response) -> httpx.Response:
    scenario.statuses[what] = response.status_code
    return response


def _wait_success(client, run_id: str) -> None:
    assert client.wait_for_run(DAG_ID, run_id, timeout=180) == "success", client.task_states(DAG_ID, run_id)


def _airflow_cli(cluster, *args: str) -> subprocess.CompletedProcess:
    """An ``airflow`` CLI command against the cluster's metadata DB (as this OS user)."""
    env = {**os.environ, **airflow_env(cluster.cfg), **cluster.stack.extra_env}
    env = {k: v for k, v in env.items() if k not in cluster.stack.unset_env}
    cmd = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def scenario(cluster, audit_env) -> Scenario:
    admin, op, viewer = (cluster.client(u) for u in ("admin", "operator", "viewer"))
    op.wait_for_dag(DAG_ID)
    done = Scenario(since=datetime.now(UTC) - timedelta(seconds=1))
    runs = f"/dags/{DAG_ID}/dagRuns"

    # operator: every action answers 200
    _status(done, "op unpause", op.http.patch(f"/dags/{DAG_ID}", json={"is_paused": False}))
    body = {"conf": {"message": "audit"}, "logical_date": datetime.now(UTC).isoformat()}
    trigger = _status(done, "op trigger", op.http.post(runs, json=body))
    done.run_id = trigger.json()["dag_run_id"]
    _wait_success(op, done.run_id)
    ti = f"{runs}/{done.run_id}/taskInstances/{TASK_ID}"
    _status(done, "op mark task failed", op.http.patch(ti, json={"new_state": "failed"}))
    _status(done, "op mark run success", op.http.patch(f"{runs}/{done.run_id}", json={"state": "success"}))
    _status(done, "op clear run", op.http.post(f"{runs}/{done.run_id}/clear", json={"dry_run": False}))
    _wait_success(op, done.run_id)
    clear_tis = {"dry_run": False, "dag_run_id": done.run_id, "task_ids": [TASK_ID], "only_failed": False}
    _status(done, "op clear tasks", op.http.post(f"/dags/{DAG_ID}/clearTaskInstances", json=clear_tis))
    _wait_success(op, done.run_id)
    _status(done, "op pause", op.http.patch(f"/dags/{DAG_ID}", json={"is_paused": True}))

    # viewer: may read, may not act
    _status(done, "viewer get dags", viewer.http.get("/dags"))
    _status(done, "viewer get runs", viewer.http.get(runs))
    _status(done, "viewer get tis", viewer.http.get(f"{runs}/{done.run_id}/taskInstances"))
    _status(done, "viewer trigger", viewer.http.post(runs, json={"conf": {}, "logical_date": None}))
    _status(done, "viewer clear", viewer.http.post(f"{runs}/{done.run_id}/clear", json={"dry_run": False}))
    _status(done, "viewer pause", viewer.http.patch(f"/dags/{DAG_ID}", json={"is_paused": True}))
    _status(done, "viewer mark task", viewer.http.patch(ti, json={"new_state": "success"}))
    clear_tis_path = f"/dags/{DAG_ID}/clearTaskInstances"
    _status(done, "viewer clear tasks", viewer.http.post(clear_tis_path, json=clear_tis))
    _status(done, "viewer event logs", viewer.http.get("/eventLogs"))
    _status(done, "viewer unknown dag", viewer.http.post("/dags/no_such_dag/dagRuns", json={"conf": {}}))

    # no token, a forged token
    api = f"{cluster.cfg.api_url}/api/v2"
    _status(done, "anonymous get dags", httpx.get(f"{api}/dags", timeout=10))
    forged = {"Authorization": "Bearer not.a.jwt"}
    _status(done, "forged get dags", httpx.get(f"{api}/dags", headers=forged, timeout=10))

    # the CLI, as the OS user (the DAG stays paused: the run waits, queued); recording also
    # probes the CLI's pause / unpause events (~10 s each)
    record = os.environ.get("DATAPLATFORM_AUDIT_RECORD")
    if record:
        _airflow_cli(cluster, "dags", "unpause", DAG_ID)
    _airflow_cli(cluster, "dags", "trigger", DAG_ID)
    if record:
        _airflow_cli(cluster, "dags", "pause", DAG_ID)
    [done.cli_run_id] = [
        r["dag_run_id"]
        for r in op.http.get(runs).json()["dag_runs"]
        if r["triggering_user_name"] == getpass.getuser()
    ]
    _status(done, "op delete run", op.http.delete(f"{runs}/{done.cli_run_id}"))
    done.until = datetime.now(UTC) + timedelta(seconds=1)
    if record:
        _record(admin, done, Path(record))
    return done


def _record(admin, done: Scenario, target: Path) -> None:
    params = {"after": done.since.isoformat(), "order_by": "id", "limit": 100}
    items = admin.http.get("/eventLogs", params=params).json()["event_logs"]
    target.write_text(json.dumps({"statuses": done.statuses, "event_logs": items}, indent=2) + "\n")


def _events(scenario: Scenario, **filters) -> list[AuditEvent]:
    query = AuditQuery(since=scenario.since, until=scenario.until, **filters)
    return list(read_events(query, CONN_ID))


def _summary(events: list[AuditEvent]) -> list[tuple]:
    return [(e.action, e.event, e.dag_id, e.run_id, e.task_id, e.detail) for e in events]


def test_access_rules(scenario: Scenario) -> None:
    s = scenario.statuses
    for what in (
        "unpause",
        "trigger",
        "mark task failed",
        "mark run success",
        "clear run",
        "clear tasks",
        "pause",
    ):
        assert s[f"op {what}"] == 200, (what, s)
    for what in ("get dags", "get runs", "get tis"):
        assert s[f"viewer {what}"] == 200, (what, s)
    for what in ("trigger", "clear", "clear tasks", "pause", "mark task", "event logs", "unknown dag"):
        assert s[f"viewer {what}"] == 403, (what, s)
    assert s["anonymous get dags"] == 401
    assert s["forged get dags"] == 403


def test_operator_actions_name_operator(scenario: Scenario) -> None:
    run = scenario.run_id
    assert _summary(_events(scenario, user="operator")) == [
        ("unpause", "patch_dag", DAG_ID, None, None, ""),
        ("trigger", "trigger_dag_run", DAG_ID, None, None, ""),  # the run id is made after the log
        ("mark", "patch_task_instance", DAG_ID, run, TASK_ID, "state=failed"),
        ("mark", "patch_dag_run", DAG_ID, run, None, "state=success"),
        ("clear", "clear_dag_run", DAG_ID, run, None, ""),
        ("clear", "post_clear_task_instances", DAG_ID, run, None, ""),
        ("pause", "patch_dag", DAG_ID, None, None, ""),
        ("delete", "delete_dag_run", DAG_ID, scenario.cli_run_id, None, ""),
    ]


def test_action_filter(scenario: Scenario) -> None:
    """Server-side by raw names, then by action: the operator's unpause (also patch_dag) is not shown."""
    events = _events(scenario, user="operator", actions=("pause", "trigger"))
    assert [(e.action, e.event) for e in events] == [("trigger", "trigger_dag_run"), ("pause", "patch_dag")]


def test_viewer_refusals_name_viewer(scenario: Scenario) -> None:
    run, runs = scenario.run_id, f"/api/v2/dags/{DAG_ID}/dagRuns"
    refused = [
        (e.extra["method"], e.extra["path"], e.extra["status"], e.extra["auth"], e.dag_id)
        for e in _events(scenario, user="viewer", actions=("refused",))
    ]
    assert refused == [
        ("POST", runs, 403, "valid", DAG_ID),
        ("POST", f"{runs}/{run}/clear", 403, "valid", DAG_ID),
        ("PATCH", f"/api/v2/dags/{DAG_ID}", 403, "valid", DAG_ID),
        ("PATCH", f"{runs}/{run}/taskInstances/{TASK_ID}", 403, "valid", DAG_ID),
        ("POST", f"/api/v2/dags/{DAG_ID}/clearTaskInstances", 403, "valid", DAG_ID),
        ("GET", "/api/v2/eventLogs", 403, "valid", None),
        # no such DAG: its id stays in extra (the API hides rows of DAGs nobody may read)
        ("POST", "/api/v2/dags/no_such_dag/dagRuns", 403, "valid", "no_such_dag"),
    ]


def test_refused_attempts_airflow_logged_are_flagged(scenario: Scenario) -> None:
    """Airflow logs these two before checking access: the viewer's rows exist, flagged refused."""
    attempts = [
        (e.event, e.refused, e.detail) for e in _events(scenario, user="viewer") if e.action != "refused"
    ]
    assert attempts == [
        ("patch_task_instance", True, "state=success; refused"),
        ("post_clear_task_instances", True, "post_clear_task_instances; refused"),
    ]
    operator = [e for e in _events(scenario, user="operator") if e.refused]
    assert operator == []


def test_anonymous_and_forged_tokens_are_refused_as_anonymous(scenario: Scenario) -> None:
    refused = [(e.detail, e.extra["auth"]) for e in _events(scenario, user="anonymous", actions=("refused",))]
    assert refused == [("401 GET /api/v2/dags", "missing"), ("403 GET /api/v2/dags", "invalid")]


def test_api_server_logs_one_line_per_refusal(cluster, scenario: Scenario) -> None:
    logged = []
    for line in cluster.component_logs()["api-server"].read_text().splitlines():
        if '"access refused"' in line and line.lstrip().startswith("{"):
            x = json.loads(line)
            if datetime.fromisoformat(x["timestamp"]) < scenario.since:
                continue  # another test's
            logged.append((x["user"], x["method"], x["path"], x["status"], x["auth"]))
    recorded = [
        (e.user, e.extra["method"], e.extra["path"], e.extra["status"], e.extra["auth"])
        for e in _events(scenario, actions=("refused",))
    ]
    assert len(recorded) == 9
    for refusal in recorded:
        assert logged.count(refusal) == 1, (refusal, logged)


def test_cli_trigger_names_the_os_user(scenario: Scenario) -> None:
    [event] = _events(scenario, user=getpass.getuser(), actions=("trigger",))
    assert (event.event, event.dag_id, event.detail) == (
        "cli_dag_trigger",
        DAG_ID,
        f"airflow dags trigger {DAG_ID}",
    )


def test_viewer_connection_may_not_read_the_audit(scenario: Scenario) -> None:
    with pytest.raises(AuditAccessError, match=r"'viewer'.*HTTP 403.*Admin"):
        read_events(AuditQuery(since=scenario.since), VIEWER_CONN_ID)


def test_plugin_registers_the_middleware(cluster) -> None:
    plugins = cluster.client("admin").http.get("/plugins").json()["plugins"]
    [ours] = [p for p in plugins if p["name"] == "dataplatform"]
    assert [m["name"] for m in ours["fastapi_root_middlewares"]] == ["dataplatform_refusal_audit"]


def test_console_script_json_lines(scenario: Scenario, audit_env) -> None:
    cmd = [str(AUDIT_BIN), "--conn-id", CONN_ID, "--json", "--since", scenario.since.isoformat()]
    cmd += [
        "--until",
        scenario.until.isoformat(),
        "--dag",
        DAG_ID,
        "--action",
        "refused",
        "--action",
        "clear",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, **audit_env})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["user"], x["action"]) for x in lines] == [
        ("operator", "clear"),
        ("operator", "clear"),
        ("viewer", "refused"),
        ("viewer", "refused"),
        ("viewer", "refused"),
        ("viewer", "refused"),
        ("viewer", "clear"),  # the refused clearTaskInstances Airflow logged before its check
        ("viewer", "refused"),
    ]
    assert lines[-2]["refused"] is True and lines[-2]["event"] == "post_clear_task_instances"
    assert {"when", "user", "action", "event", "dag_id", "run_id", "task_id", "detail", "extra"} <= set(
        lines[0]
    )
    assert datetime.fromisoformat(lines[0]["when"]) >= scenario.since
