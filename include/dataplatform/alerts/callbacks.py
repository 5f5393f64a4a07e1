"""Callables for ``on_failure_callback`` / ``on_retry_callback`` / ``on_success_callback``.

Placeholder until the alerting issue lands: they only log, so DAGs can already wire them.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def on_task_failure(context: dict[str, Any]) -> None:
    """Task failure callback."""
    log.error("task failed: %s", context.get("ti"))


def on_task_retry(context: dict[str, Any]) -> None:
    """Task retry callback."""
    log.warning("task up for retry: %s", context.get("ti"))


def on_dag_failure(context: dict[str, Any]) -> None:
    """DAG-run failure callback."""
    log.error("dag run failed: %s", context.get("dag_run"))


def on_dag_success(context: dict[str, Any]) -> None:
    """DAG-run success callback."""
    log.info("dag run succeeded: %s", context.get("dag_run"))
