"""Reading the event log: query parameters, paging, and the errors a user sees.

A small HTTP server stands in for the api-server (``POST /auth/token``, ``GET /api/v2/eventLogs``)
so the real ``AirflowApiHook`` and connection handling are exercised; the event items are the
ones recorded from Airflow 3.3.2.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from dataplatform.audit.query import AuditAccessError, AuditQuery, AuditReadError, read_events
from devstack.procs import free_port

RECORDED = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "audit" / "event_logs_airflow_3_3_2.json").read_text()
)["event_logs"]


class FakeApi(ThreadingHTTPServer):
    """Serves ``items`` in pages; ``token_status`` / ``logs_status`` force errors."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.items: list[dict] = list(RECORDED)
        self.token_status = 201
        self.logs_status = 200
        self.requests: list[dict[str, list[str]]] = []


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.token_status != 201:
            self._reply(self.server.token_status, {"detail": "Invalid credentials"})
        else:
            self._reply(201, {"access_token": "t"})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        params = parse_qs(url.query)
        self.server.requests.append(params)
        if url.path != "/api/v2/eventLogs" or self.headers.get("Authorization") != "Bearer t":
            self._reply(404, {"detail": "Not Found"})
        elif self.server.logs_status != 200:
            self._reply(self.server.logs_status, {"detail": "Forbidden"})
        else:
            items = [i for i in self.server.items if _selected(i, params)]
            offset, limit = int(params["offset"][0]), int(params["limit"][0])
            self._reply(200, {"event_logs": items[offset : offset + limit], "total_entries": len(items)})


def _selected(item: dict, params: dict[str, list[str]]) -> bool:
    """The API's exact filters (``owner``, ``dag_id``, ``included_events``; times are not faked)."""
    return (
        item["owner"] in params.get("owner", [item["owner"]])
        and item["dag_id"] in params.get("dag_id", [item["dag_id"]])
        and item["event"] in params.get("included_events", [item["event"]])
    )


@pytest.fixture
def api(monkeypatch) -> Iterator[FakeApi]:
    port = free_port()
    server = FakeApi(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": port, "login": "admin", "password": "pw"}
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_TEST", json.dumps(conn))
    yield server
    server.shutdown()
    server.server_close()


def test_api_params() -> None:
    q = AuditQuery(
        since=datetime(2026, 12, 1, 8, tzinfo=UTC),
        until=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        user="operator",
        dag_id="e2e_echo",
        actions=("pause", "trigger"),
    )
    assert q.api_params() == {
        "order_by": "id",
        "after": "2026-12-01T07:59:59.999999Z",  # since included: the API's after is strict
        "before": "2026-12-02T09:30:00Z",
        "owner": "operator",
        "dag_id": "e2e_echo",
        "included_events": ["cli_dag_pause", "cli_dag_trigger", "patch_dag", "patch_dags", "trigger_dag_run"],
    }
    assert AuditQuery().api_params() == {"order_by": "id"}


def test_actions_airflow_logs_before_its_access_check_also_fetch_refusals() -> None:
    assert "access_refused" in AuditQuery(actions=("mark",)).api_params()["included_events"]
    assert "access_refused" in AuditQuery(actions=("clear",)).api_params()["included_events"]
    assert "access_refused" not in AuditQuery(actions=("trigger",)).api_params()["included_events"]
    assert AuditQuery(actions=("delete_variable",)).api_params()["included_events"] == [
        "access_refused",
        "delete_variable",
    ]


def test_reads_every_page_in_order(api: FakeApi, monkeypatch) -> None:
    monkeypatch.setattr("dataplatform.audit.query.PAGE_SIZE", 7)
    events = read_events(AuditQuery(), "audit_test")
    assert [e.id for e in events] == [item["event_log_id"] for item in RECORDED]
    assert [int(r["offset"][0]) for r in api.requests] == list(range(0, len(RECORDED), 7))
    assert all(r["order_by"] == ["id"] for r in api.requests)


def test_filters_by_normalised_action_after_the_api(api: FakeApi) -> None:
    events = read_events(AuditQuery(actions=("pause",)), "audit_test")
    assert {e.action for e in events} == {"pause"}
    assert [e.user for e in events] == ["operator", "root"]
    assert api.requests[0]["included_events"] == ["cli_dag_pause", "patch_dag", "patch_dags"]


def test_refused_attempts_are_flagged(api: FakeApi) -> None:
    [attempt] = read_events(AuditQuery(user="viewer", actions=("mark",)), "audit_test")
    assert (attempt.event, attempt.refused, attempt.detail) == (
        "patch_task_instance",
        True,
        "state=success; refused",
    )


def test_a_non_admin_connection_is_told_to_use_an_admin(api: FakeApi) -> None:
    api.logs_status = 403
    with pytest.raises(AuditAccessError) as err:
        read_events(AuditQuery(), "audit_test")
    assert str(err.value) == (
        "connection 'audit_test' logs in as 'admin', who may not read the event log (HTTP 403 on "
        "GET /api/v2/eventLogs): only Admin users may; pass --conn-id of a connection with an Admin user"
    )


def test_a_failed_login_names_the_user(api: FakeApi) -> None:
    api.token_status = 401
    with pytest.raises(
        AuditAccessError, match=r"connection 'audit_test': login as 'admin' failed: .*HTTP 401"
    ):
        read_events(AuditQuery(), "audit_test")


def test_a_server_error_is_shown(api: FakeApi) -> None:
    api.logs_status = 500
    with pytest.raises(AuditReadError, match=r"GET /api/v2/eventLogs -> HTTP 500"):
        read_events(AuditQuery(), "audit_test")


def test_a_missing_connection_says_how_to_define_it() -> None:
    with pytest.raises(AuditReadError) as err:
        read_events(AuditQuery(), "audit_nowhere")
    assert "connection 'audit_nowhere' is not defined: set AIRFLOW_CONN_AUDIT_NOWHERE" in str(err.value)
    assert "Admin" in str(err.value)


def test_an_unreachable_api_server(monkeypatch) -> None:
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": free_port(), "login": "admin", "password": "p"}
    monkeypatch.setenv("AIRFLOW_CONN_AUDIT_DOWN", json.dumps(conn))
    with pytest.raises(AuditReadError, match=r"connection 'audit_down': cannot reach the api-server"):
        read_events(AuditQuery(), "audit_down")
