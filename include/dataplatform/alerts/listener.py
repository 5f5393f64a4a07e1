"""Airflow listener (registered by ``plugins/dataplatform_plugin.py``): the backstop for DAG runs
whose DAG has NO failure callback at all (a DAG that forgot ``**dag_callbacks()``).

``on_dag_run_failed`` fires in the scheduler for every failed run, whatever the DAG wires. When the
DAG has a DAG-level ``on_failure_callback`` that callback owns the summary (the platform's sends
it; a custom one is the owner's choice), so the listener stays silent: the two never overlap and
need no dedup between them. Otherwise the listener sends the same run summary, from a daemon
thread so that Slack/SMTP time never stalls the scheduling loop.

Why not ``on_task_instance_failed``: on 3.3.2 it fires in the task process (useless for a task
killed by SIGKILL/OOM, whose process is gone) or, for tasks killed externally, inside the
scheduler's ``handle_failure`` — both cases are covered by the callbacks and the run summary.
"""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

from airflow.listeners import hookimpl

log = logging.getLogger(__name__)

#: Seconds to let the scheduler commit the run's final state before reading its task instances.
SETTLE_SECONDS = 1.0


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    try:
        dag = getattr(dag_run, "dag", None)
        if dag is None or getattr(dag, "has_on_failure_callback", True):
            return
        facts = {
            "dag_id": dag_run.dag_id,
            "run_id": dag_run.run_id,
            "logical_date": getattr(dag_run, "logical_date", None),
            "run_after": getattr(dag_run, "run_after", None),
            "owner": getattr(dag, "owner", None),
            "tags": sorted(getattr(dag, "tags", None) or ()),
            "reason": msg,
        }
    except Exception:
        log.exception("dataplatform alert listener: could not read the failed run")
        return
    threading.Thread(
        target=send_run_summary, kwargs=facts, name=f"dataplatform-alert-{facts['dag_id']}", daemon=True
    ).start()


def send_run_summary(
    *,
    dag_id: str,
    run_id: str,
    logical_date: Any = None,
    run_after: Any = None,
    owner: str | None = None,
    tags: list[str] | None = None,
    reason: str | None = None,
    task_instances: list[tuple[str, int, int | None, str | None]] | None = None,
) -> None:
    """Summary of a failed run from the metadata DB (scheduler side). Never raises."""
    import time

    from dataplatform.alerts.delivery import deliver
    from dataplatform.alerts.message import FailedTask, dag_failure_alert
    from dataplatform.alerts.routing import resolve_route
    from dataplatform.ui_links import log_url

    try:
        if task_instances is None:
            time.sleep(SETTLE_SECONDS)
            task_instances = _task_instances(dag_id, run_id)
        failed = [
            FailedTask(
                task_id,
                log_url(dag_id, run_id, task_id, try_number, map_index),
                map_index,
                try_number,
                alerted=None,
            )
            for task_id, map_index, try_number, state in task_instances
            if state == "failed"
        ]
        upstream = [task_id for task_id, _, _, state in task_instances if state == "upstream_failed"]
        route = resolve_route(tags=tags, owner=owner)
        context = {
            "dag": SimpleNamespace(dag_id=dag_id, owner=owner, tags=tags, default_args={}, params={}),
            "run_id": run_id,
            "dag_run": SimpleNamespace(run_id=run_id, logical_date=logical_date, run_after=run_after),
            "reason": reason,
        }
        alert = dag_failure_alert(context, failed, upstream_failed=upstream, route=route.name)
        deliver(alert, route)
    except Exception:
        log.exception("dataplatform alert listener: summary of %s/%s failed", dag_id, run_id)


def _task_instances(dag_id: str, run_id: str) -> list[tuple[str, int, int | None, str | None]]:
    """(task_id, map_index, try_number, state) of one run, read in this (server) process."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(
                TaskInstance.task_id, TaskInstance.map_index, TaskInstance.try_number, TaskInstance.state
            ).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        ).all()
    return [(r[0], r[1], r[2], getattr(r[3], "value", r[3])) for r in rows]
