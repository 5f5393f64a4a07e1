"""The refusals middleware on a small ASGI app: what it records, and that it never gets in the way."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import httpx
import pytest
from jwt import ExpiredSignatureError, InvalidTokenError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from structlog.testing import capture_logs

from dataplatform.audit import refusals
from dataplatform.audit.refusals import (
    Refusal,
    RefusalAuditMiddleware,
    ids_from_path,
    public_api_path,
    request_token,
    verified_user,
)


async def _answer(request: Request) -> JSONResponse:
    """Answers with the status asked for in ``?status=`` (default 200)."""
    status = int(request.query_params.get("status", 200))
    return JSONResponse({"detail": f"answered {status}"}, status_code=status)


APP = Starlette(
    routes=[
        Route("/api/v2/{rest:path}", _answer, methods=["GET", "POST", "PATCH"]),
        Route("/execution/{rest:path}", _answer, methods=["GET", "POST"]),
        Route("/ui/{rest:path}", _answer),
    ]
)


class Recorded(list):
    """Refusals the middleware wrote; ``resolved``: the tokens it asked to be validated."""

    def __init__(self) -> None:
        super().__init__()
        self.resolved: list[str | None] = []

    async def user(self, token: str | None) -> tuple[str, str]:
        self.resolved.append(token)
        return (
            ("viewer", "valid") if token == "good" else ("anonymous", "missing" if not token else "invalid")
        )


@pytest.fixture
def recorded(monkeypatch) -> Recorded:
    """The user is 'viewer' for token 'good', else anonymous; nothing touches a database."""
    written = Recorded()
    monkeypatch.setattr(refusals, "verified_user", written.user)
    monkeypatch.setattr(refusals, "write_event", written.append)
    return written


class Client:
    """Sync calls into an ASGI app through httpx's ASGI transport (no server, no thread)."""

    def __init__(self, app) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(call())

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)


@pytest.fixture
def client() -> Client:
    return Client(RefusalAuditMiddleware(APP))


def test_successful_requests_do_no_work(client, recorded) -> None:
    for path in ("/api/v2/dags", "/api/v2/dags?status=404", "/api/v2/dags?status=500"):
        assert client.get(path, headers={"Authorization": "Bearer good"}).status_code != 403
    assert recorded == [] and recorded.resolved == []


def test_a_403_under_the_public_api_is_recorded_with_the_verified_user(client, recorded) -> None:
    response = client.post(
        "/api/v2/dags/d1/dagRuns/r1/clear?status=403", headers={"Authorization": "Bearer good"}, json={}
    )
    assert response.status_code == 403 and response.json() == {"detail": "answered 403"}
    assert recorded == [
        Refusal("viewer", "POST", "/api/v2/dags/d1/dagRuns/r1/clear", 403, "valid", "d1", "r1")
    ]
    assert recorded.resolved == ["good"]


def test_a_401_without_token_is_anonymous(client, recorded) -> None:
    assert client.get("/api/v2/dags?status=401").status_code == 401
    assert recorded == [Refusal("anonymous", "GET", "/api/v2/dags", 401, "missing")]


def test_only_the_public_api_is_watched(client, recorded) -> None:
    assert client.post("/execution/task-instances/x/run?status=403").status_code == 403
    assert client.get("/ui/dags?status=401").status_code == 401
    assert recorded == []


def test_the_structured_line(client, recorded) -> None:
    with capture_logs() as logs:
        client.patch("/api/v2/dags/d1?status=403", headers={"Authorization": "Bearer good"}, json={})
    [line] = [x for x in logs if x["event"] == "access refused"]
    assert line["log_level"] == "warning"
    assert {k: line[k] for k in ("user", "method", "path", "status", "auth", "dag_id")} == {
        "user": "viewer",
        "method": "PATCH",
        "path": "/api/v2/dags/d1",
        "status": 403,
        "auth": "valid",
        "dag_id": "d1",
    }


def test_errors_inside_the_middleware_never_reach_the_client(client, recorded, monkeypatch) -> None:
    def broken(refusal):
        raise RuntimeError("database is down")

    monkeypatch.setattr(refusals, "write_event", broken)
    with capture_logs() as logs:
        response = client.get("/api/v2/dags?status=403", headers={"Authorization": "Bearer x"})
    assert response.status_code == 403 and response.json() == {"detail": "answered 403"}
    assert any(x["event"] == "could not record a refused request" and x["log_level"] == "error" for x in logs)


def test_an_error_of_the_app_itself_is_left_alone(monkeypatch) -> None:
    async def crash(scope, receive, send):
        raise ValueError("app bug")

    with pytest.raises(ValueError, match="app bug"):
        Client(RefusalAuditMiddleware(crash)).get("/api/v2/dags")


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"type": "http", "path": "/api/v2/dags"}, "/api/v2/dags"),
        ({"type": "http", "path": "/api/v2"}, "/api/v2"),
        ({"type": "http", "path": "/airflow/api/v2/dags", "root_path": "/airflow"}, "/api/v2/dags"),
        ({"type": "http", "path": "/api/v2x/dags"}, None),
        ({"type": "http", "path": "/execution/x"}, None),
        ({"type": "http", "path": "/auth/token"}, None),
        ({"type": "websocket", "path": "/api/v2/dags"}, None),
        ({"type": "lifespan"}, None),
    ],
)
def test_public_api_path(scope, expected) -> None:
    assert public_api_path(scope) == expected


@pytest.mark.parametrize(
    ("path", "ids"),
    [
        ("/api/v2/dags", (None, None, None)),
        ("/api/v2/dags/d1", ("d1", None, None)),
        ("/api/v2/dags/d1/dagRuns", ("d1", None, None)),
        ("/api/v2/dags/d1/clearTaskInstances", ("d1", None, None)),
        (
            "/api/v2/dags/d1/dagRuns/manual__2026-12-02T06%3A37%3A50%2B00%3A00/clear",
            ("d1", "manual__2026-12-02T06:37:50+00:00", None),
        ),
        ("/api/v2/dags/d1/dagRuns/r1/taskInstances/t1/logs/1", ("d1", "r1", "t1")),
        ("/api/v2/dags/~/dagRuns/~/taskInstances", (None, None, None)),
        ("/api/v2/eventLogs", (None, None, None)),
        ("/api/v2/variables/dags", (None, None, None)),
    ],
)
def test_ids_from_path(path, ids) -> None:
    assert ids_from_path(path) == ids


def _scope(*headers: tuple[str, str]) -> dict:
    return {"headers": [(k.encode(), v.encode()) for k, v in headers]}


def test_request_token_prefers_the_bearer_header_then_the_ui_cookie() -> None:
    assert request_token(_scope(("authorization", "Bearer abc"), ("cookie", "_token=ui"))) == "abc"
    assert request_token(_scope(("Authorization", "bearer  abc "))) == "abc"
    assert request_token(_scope(("cookie", "session=s; _token=ui"))) == "ui"
    assert request_token(_scope(("authorization", "Basic dXNlcjpwdw=="))) is None
    assert request_token(_scope(("authorization", "Bearer "))) is None
    assert request_token(_scope()) is None


class _AuthManager:
    """Validates like Airflow's: raises the PyJWT errors, returns a user with ``get_name``."""

    async def get_user_from_token(self, token: str):
        if token == "expired":
            raise ExpiredSignatureError("Signature has expired")
        if token == "forged":
            raise InvalidTokenError("Signature verification failed")
        if token == "broken":
            raise KeyError("sub")
        return SimpleNamespace(get_name=lambda: "operator")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (None, ("anonymous", "missing")),
        ("", ("anonymous", "missing")),
        ("good", ("operator", "valid")),
        ("expired", ("anonymous", "expired")),
        ("forged", ("anonymous", "invalid")),
        ("broken", ("anonymous", "error")),
    ],
)
# importing Airflow's api-server app imports starlette's TestClient (through svcs), which warns
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_verified_user_trusts_only_what_the_auth_manager_validates(monkeypatch, token, expected) -> None:
    import airflow.api_fastapi.app

    monkeypatch.setattr(airflow.api_fastapi.app, "get_auth_manager", _AuthManager)
    assert asyncio.run(verified_user(token)) == expected


def test_refusal_extra_is_the_json_the_event_log_keeps() -> None:
    refusal = Refusal("viewer", "POST", "/api/v2/dags/d/dagRuns", 403, "valid", "d")
    assert json.loads(refusal.extra()) == {
        "method": "POST",
        "path": "/api/v2/dags/d/dagRuns",
        "status": 403,
        "auth": "valid",
    }
