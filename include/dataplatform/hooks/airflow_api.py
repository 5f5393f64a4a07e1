"""``AirflowApiHook``: Airflow's own REST API (``/api/v2``) through a connection.

Tasks never touch the metadata database (Airflow 3 forbids it); what they need to know about DAG
runs and task instances they read here, as any API client would. The connection (default
``airflow_api``, type ``http``) holds the api-server's address and a user (read-only is enough:
a Viewer with the FAB auth manager); the hook gets a token from ``POST /auth/token`` and pages
through list endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import httpx
from airflow.sdk import BaseHook

from dataplatform.conn_ids import AIRFLOW_API_CONN_ID

PAGE_SIZE = 100


class AirflowApiError(RuntimeError):
    """The API answered with an error; the message names the request and the status."""


class AirflowApiHook(BaseHook):
    """Read Airflow's REST API.

    :param airflow_api_conn_id: an ``http`` connection: host (or full ``http(s)://host:port``
        URL), port, schema (``http`` / ``https``), login and password of an API user.
    :param timeout: seconds per request.
    """

    conn_name_attr = "airflow_api_conn_id"
    default_conn_name = AIRFLOW_API_CONN_ID
    conn_type = "http"
    hook_name = "Airflow REST API"

    def __init__(self, airflow_api_conn_id: str = AIRFLOW_API_CONN_ID, timeout: float = 30.0) -> None:
        super().__init__()
        self.airflow_api_conn_id = airflow_api_conn_id
        self.timeout = timeout

    @cached_property
    def base_url(self) -> str:
        conn = self.get_connection(self.airflow_api_conn_id)
        host = (conn.host or "").rstrip("/")
        if not host:
            raise ValueError(f"connection {self.airflow_api_conn_id!r} has no host")
        if "://" not in host:
            host = f"{conn.schema or 'http'}://{host}"
            if conn.port:
                host += f":{conn.port}"
        return host

    @cached_property
    def client(self) -> httpx.Client:
        conn = self.get_connection(self.airflow_api_conn_id)
        client = httpx.Client(base_url=self.base_url, timeout=self.timeout)
        if conn.login:
            response = client.post("/auth/token", json={"username": conn.login, "password": conn.password})
            _raise_for(response, "POST /auth/token")
            client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return client

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET /api/v2/<path>`` as JSON; :class:`AirflowApiError` on an error status."""
        response = self.client.get(f"/api/v2/{path.lstrip('/')}", params=dict(params or {}))
        _raise_for(response, f"GET /api/v2/{path}")
        return response.json()

    def collect(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint (``key``: ``dag_runs``, ``task_instances``, ...), page by page."""
        offset = 0
        while True:
            page = self.get(path, {**(params or {}), "limit": PAGE_SIZE, "offset": offset})
            items = page.get(key) or []
            yield from items
            offset += len(items)
            if not items or offset >= int(page.get("total_entries", offset)):
                return

    def test_connection(self) -> tuple[bool, str]:
        try:
            version = self.get("version")
        except Exception as err:
            return False, str(err)
        return True, f"Airflow {version.get('version')}"


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.is_error:
        raise AirflowApiError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
