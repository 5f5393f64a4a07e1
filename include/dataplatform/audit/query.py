"""Read :class:`~dataplatform.audit.events.AuditEvent` s from ``GET /api/v2/eventLogs``.

Only Admin users may read the event log (FAB auth manager): the connection (default
``airflow_api``) must log in as one. Time, user, DAG and raw event names are filtered by the
API (``since`` included, ``until`` excluded, so consecutive windows neither miss nor repeat an
event; ``owner`` / ``dag_id`` exact; ``included_events``);
actions that depend on an event's extra (pause vs unpause) are filtered here. Pages are read in
``id`` order, oldest first, so events recorded while paging land after the last page read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from dataplatform.audit.attempts import LOGGED_BEFORE_ACCESS_CHECK, flag_refused_attempts
from dataplatform.audit.events import RAW_EVENTS, REFUSED_EVENT, AuditEvent, from_api
from dataplatform.conn_ids import AIRFLOW_API_CONN_ID

#: Airflow's default ``[api] maximum_page_limit``.
PAGE_SIZE = 100
EVENT_LOGS = "/api/v2/eventLogs"


class AuditReadError(RuntimeError):
    """The event log could not be read; the message says what to fix."""


class AuditAccessError(AuditReadError):
    """The API refused the connection's user (401/403): not an Admin, or a bad login."""


@dataclass(frozen=True)
class AuditQuery:
    """Which events to read: ``since <= when < until``; every field optional (``None`` / empty: no filter)."""

    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    dag_id: str | None = None
    actions: tuple[str, ...] = ()

    def api_params(self) -> dict[str, Any]:
        """Query parameters of ``GET /api/v2/eventLogs`` for this query (without paging)."""
        params: dict[str, Any] = {"order_by": "id"}
        if self.since:  # the API's ``after`` is strict: back off 1 µs so ``since`` is included
            params["after"] = _iso(self.since - timedelta(microseconds=1))
        if self.until:
            params["before"] = _iso(self.until)
        if self.user:
            params["owner"] = self.user
        if self.dag_id:
            params["dag_id"] = self.dag_id
        if self.actions:
            raw: set[str] = set().union(*(RAW_EVENTS.get(a, {a}) for a in self.actions))
            if raw & LOGGED_BEFORE_ACCESS_CHECK:
                raw.add(REFUSED_EVENT)  # to tell refused attempts from real ones
            params["included_events"] = sorted(raw)
        return params

    def matches(self, event: AuditEvent) -> bool:
        """What the API cannot filter: the normalised action."""
        return not self.actions or event.action in self.actions


def read_events(query: AuditQuery, conn_id: str = AIRFLOW_API_CONN_ID) -> list[AuditEvent]:
    """Every event ``query`` selects, oldest first, refused attempts flagged.

    :raises AuditAccessError: the connection's user is not allowed (not Admin, bad password).
    :raises AuditReadError: the connection is missing or the api-server unreachable or failing.
    """
    events = flag_refused_attempts([from_api(item) for item in fetch_items(query.api_params(), conn_id)])
    return [e for e in events if query.matches(e)]


def fetch_items(params: dict[str, Any], conn_id: str = AIRFLOW_API_CONN_ID) -> Iterator[dict[str, Any]]:
    """The raw items of ``GET /api/v2/eventLogs`` with ``params``, page by page."""
    client, login = _client(conn_id)
    offset = 0
    while True:
        page = _get(client, conn_id, login, {**params, "limit": PAGE_SIZE, "offset": offset})
        items = page.get("event_logs") or []
        yield from items
        offset += len(items)
        if not items or offset >= int(page.get("total_entries", offset)):
            return


def _client(conn_id: str) -> tuple[httpx.Client, str | None]:
    """The hook's authenticated client and the login it uses; errors name the connection."""
    from airflow.sdk.exceptions import AirflowNotFoundException

    from dataplatform.hooks.airflow_api import AirflowApiError, AirflowApiHook

    hook = AirflowApiHook(conn_id)
    try:
        login = hook.get_connection(conn_id).login
    except AirflowNotFoundException:
        raise AuditReadError(
            f"connection {conn_id!r} is not defined: set AIRFLOW_CONN_{conn_id.upper()} (JSON or URI) "
            "or put it in the secrets backend; it must log in as an Admin user of the api-server"
        ) from None
    try:
        return hook.client, login
    except AirflowApiError as err:
        raise AuditAccessError(f"connection {conn_id!r}: login as {login!r} failed: {err}") from None
    except (httpx.HTTPError, ValueError) as err:
        raise AuditReadError(f"connection {conn_id!r}: cannot reach the api-server: {err}") from None


def _get(client: httpx.Client, conn_id: str, login: str | None, params: dict[str, Any]) -> dict[str, Any]:
    try:
        response = client.get(EVENT_LOGS, params=params)
    except httpx.HTTPError as err:
        raise AuditReadError(f"connection {conn_id!r}: GET {EVENT_LOGS} failed: {err}") from None
    if response.status_code in (401, 403):
        raise AuditAccessError(
            f"connection {conn_id!r} logs in as {login!r}, who may not read the event log "
            f"(HTTP {response.status_code} on GET {EVENT_LOGS}): only Admin users may; "
            "pass --conn-id of a connection with an Admin user"
        )
    if response.is_error:
        raise AuditReadError(
            f"connection {conn_id!r}: GET {EVENT_LOGS} -> HTTP {response.status_code}: {response.text[:300]}"
        )
    return response.json()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
