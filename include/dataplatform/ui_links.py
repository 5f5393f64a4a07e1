"""Links into the Airflow UI (``[api] base_url``): a DAG, a run, a task try's log.

The same shape as Airflow's own ``ti.log_url``, for places that have ids but no task instance:
alerts about tasks killed without a callback, the daily report's failed tasks.
"""

from __future__ import annotations

from urllib.parse import quote


def base_url() -> str:
    """``[api] base_url``: where the UI is, for links in alerts and reports."""
    try:
        from airflow.sdk import conf

        return (conf.get("api", "base_url", fallback=None) or "http://localhost:8080").rstrip("/")
    except Exception:
        return "http://localhost:8080"


def dag_url(dag_id: str) -> str:
    """The DAG's page (its docs/``doc_md`` are shown there)."""
    return f"{base_url()}/dags/{quote(dag_id, safe='')}"


def run_url(dag_id: str, run_id: str) -> str:
    return f"{dag_url(dag_id)}/runs/{quote(run_id, safe='')}"


def log_url(
    dag_id: str, run_id: str, task_id: str, try_number: int | None = None, map_index: int = -1
) -> str:
    """Same shape as Airflow's ``ti.log_url``: the task try's page (log tab) in the UI."""
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    query = f"?try_number={try_number}" if try_number else ""
    return f"{run_url(dag_id, run_id)}/tasks/{quote(task_id, safe='')}{mapped}{query}"
