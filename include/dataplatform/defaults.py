"""Production defaults every DAG of the repository uses: retries with backoff, timeouts, alerting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import conf

from dataplatform.alerts import on_dag_failure, on_dag_success, on_task_failure, on_task_retry

DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY_SECONDS = 60
DEFAULT_BACKOFF_MULTIPLIER = 2.0
DEFAULT_MAX_RETRY_DELAY = timedelta(minutes=30)
DEFAULT_EXECUTION_TIMEOUT = timedelta(hours=2)


def default_args(owner: str, **overrides: Any) -> dict[str, Any]:
    """Task ``default_args`` for a production DAG owned by ``owner`` (a team or person, not "airflow").

    Every task gets ``retries=3`` with exponential backoff capped at ``max_retry_delay``, an
    ``execution_timeout``, and the shared failure/retry alerting. Keyword arguments override any key.
    The first retry delay comes from ``[dataplatform] retry_delay_seconds`` (default 60) so a
    deployment (or the e2e test stack) can tune it without touching DAG files.

    Alerting: one Slack alert (email fallback) per *final* failed try; retries are silent unless
    the route enables retry notices. Route per DAG with ``alert_route="finance"`` or
    ``alert_route={"retry_notices": True, "runbook_url": "https://…"}`` (see
    :mod:`dataplatform.alerts.routing`), or a DAG tag ``alerts:<route>``.
    """
    if not owner or owner == "airflow":
        raise ValueError("default_args(owner=...) needs a real owner (team or person), not 'airflow'")
    delay = conf.getfloat("dataplatform", "retry_delay_seconds", fallback=DEFAULT_RETRY_DELAY_SECONDS)
    args: dict[str, Any] = {
        "owner": owner,
        "retries": DEFAULT_RETRIES,
        "retry_delay": timedelta(seconds=delay),
        "retry_exponential_backoff": DEFAULT_BACKOFF_MULTIPLIER,
        "max_retry_delay": DEFAULT_MAX_RETRY_DELAY,
        "execution_timeout": DEFAULT_EXECUTION_TIMEOUT,
        "on_failure_callback": [on_task_failure],
        "on_retry_callback": [on_task_retry],
    }
    args.update(overrides)
    return args


def dag_callbacks() -> dict[str, Any]:
    """DAG-level callbacks: one failure summary per failed run (naming tasks killed without an alert
    of their own, e.g. SIGKILL/OOM), and a recovery notice when a run succeeds after a failed one."""
    return {"on_failure_callback": [on_dag_failure], "on_success_callback": [on_dag_success]}
