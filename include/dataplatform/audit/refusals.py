"""Record refused requests of the public REST API in Airflow's event log.

Airflow writes no event when it answers 401 or 403, so "who tried and was refused" is invisible
in its audit trail. :class:`RefusalAuditMiddleware` (registered on the api-server by
``plugins/dataplatform_plugin.py`` as a FastAPI root middleware) watches the status of every
response under ``/api/v2``; for a 401 or 403 it

* resolves the user from the request's bearer token (else the UI's ``_token`` cookie) with the
  auth manager, which checks the signature, expiry and revocation: a claim is never trusted;
  ``anonymous`` when there is no token or it does not validate;
* writes one ``Log`` row: event ``access_refused``, owner = that user, extra = JSON
  ``{method, path, status, auth}`` (``auth``: ``valid``, ``missing``, ``invalid``, ``expired``, ``error``),
  plus ``dag_id`` / ``run_id`` / ``task_id`` read from the path;
* logs one structured line (``access refused``, logger ``dataplatform.audit.refusals``).

The event is committed before the refusal's status line is sent (a client that got its 403 can
rely on it being there). Other responses pass straight through: no token check, no database.
Any error of its own is logged and swallowed: the client always gets the api-server's answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import structlog

from dataplatform.audit.events import REFUSED_EVENT

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = structlog.get_logger(logger_name="dataplatform.audit.refusals")

PUBLIC_API = "/api/v2"
REFUSED_STATUSES = frozenset({401, 403})
ANONYMOUS = "anonymous"
#: The cookie Airflow's UI keeps its JWT in (``airflow.api_fastapi.auth.managers.base_auth_manager``).
TOKEN_COOKIE = "_token"


@dataclass(frozen=True)
class Refusal:
    """One refused request: who (verified), what, and how it was authenticated."""

    user: str
    method: str
    path: str
    status: int
    auth: str
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None

    def extra(self) -> str:
        """The event log row's ``extra``: JSON ``{method, path, status, auth}``."""
        return json.dumps(
            {"method": self.method, "path": self.path, "status": self.status, "auth": self.auth}
        )


class RefusalAuditMiddleware:
    """Pure ASGI middleware: one ``access_refused`` event per 401/403 under ``/api/v2``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = public_api_path(scope)
        if path is None:
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            # Recorded before the status goes out: a client that got its 401/403 can rely on
            # the event being committed, and events keep the order of the responses.
            if message["type"] == "http.response.start" and message["status"] in REFUSED_STATUSES:
                await _record_safely(scope, path, message["status"])
            await send(message)

        await self.app(scope, receive, watch)


def public_api_path(scope: Scope) -> str | None:
    """The request's path relative to the app root when it is under ``/api/v2``, else None."""
    if scope.get("type") != "http":
        return None
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    if path == PUBLIC_API or path.startswith(PUBLIC_API + "/"):
        return path
    return None


async def _record_safely(scope: Scope, path: str, status: int) -> None:
    try:
        refusal = await refusal_for(scope, path, status)
        logger.warning("access refused", **asdict(refusal))
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(write_event, refusal)
    except Exception:
        logger.exception("could not record a refused request", path=path, status=status)


async def refusal_for(scope: Scope, path: str, status: int) -> Refusal:
    """The :class:`Refusal` of this request, its user verified by the auth manager."""
    user, auth = await verified_user(request_token(scope))
    dag_id, run_id, task_id = ids_from_path(path)
    method = str(scope.get("method", ""))
    return Refusal(user, method, path, status, auth, dag_id, run_id, task_id)


def request_token(scope: Scope) -> str | None:
    """The bearer token of the request, else the UI's token cookie (what Airflow itself reads)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE and value:
            return value
    return None


async def verified_user(token: str | None) -> tuple[str, str]:
    """``(user name, auth)``: the token's user if the auth manager validates it, else anonymous."""
    if not token:
        return ANONYMOUS, "missing"
    from airflow.api_fastapi.app import get_auth_manager
    from jwt import ExpiredSignatureError, InvalidTokenError

    try:
        user = await get_auth_manager().get_user_from_token(token)
    except ExpiredSignatureError:
        return ANONYMOUS, "expired"
    except InvalidTokenError:
        return ANONYMOUS, "invalid"
    except Exception:
        logger.exception("could not validate the token of a refused request")
        return ANONYMOUS, "error"
    return (user.get_name() or ANONYMOUS), "valid"


def ids_from_path(path: str) -> tuple[str | None, str | None, str | None]:
    """``(dag_id, run_id, task_id)`` named by a path like
    ``/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}`` (``~`` means none)."""
    from urllib.parse import unquote

    parts = [unquote(p) for p in path.removeprefix(PUBLIC_API).strip("/").split("/")]
    found: dict[str, str | None] = {"dags": None, "dagRuns": None, "taskInstances": None}
    for key, value in zip(parts, parts[1:], strict=False):
        if key in found and found[key] is None and value and value != "~":
            found[key] = value
    if parts[:1] != ["dags"]:
        return None, None, None
    return found["dags"], found["dagRuns"], found["taskInstances"]


def write_event(refusal: Refusal) -> None:
    """Insert the ``access_refused`` row (sync: run it in a thread from async code).

    ``dag_id`` is set on the row only for a DAG that exists: the event log API shows rows of a
    DAG only to users allowed to read that DAG, and a DAG that does not exist is readable by
    nobody, so a probe of an unknown DAG keeps its id in ``extra`` instead.
    """
    from airflow.models.dag import DagModel
    from airflow.models.log import Log
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        fields: dict[str, Any] = {"run_id": refusal.run_id, "task_id": refusal.task_id}
        extra = refusal.extra()
        if refusal.dag_id:
            known = session.scalar(select(DagModel.dag_id).where(DagModel.dag_id == refusal.dag_id))
            if known:
                fields["dag_id"] = refusal.dag_id
            else:
                extra = json.dumps({**json.loads(extra), "dag_id": refusal.dag_id})
        session.add(
            Log(
                event=REFUSED_EVENT,
                owner=refusal.user,
                owner_display_name=refusal.user,
                extra=extra,
                **fields,
            )
        )
