"""Callables for ``on_failure_callback`` / ``on_retry_callback`` (task) and DAG ``on_failure_callback``
/ ``on_success_callback``; wired into every DAG by :mod:`dataplatform.defaults`.

* :func:`on_task_failure` / :func:`on_task_retry` — one alert per failed try. Which callback Airflow
  called does not matter: :func:`~dataplatform.alerts.decision.classify_task_event` decides from the
  task instance's state and try count (a try with a retry left is at most a retry notice, and
  retry notices are off unless the route turns them on).
* :func:`on_dag_failure` — ONE summary per failed run listing every failed task with its log
  link; tasks that got no alert of their own (killed by SIGKILL/OOM: on 3.3.2 Airflow runs no task
  callback for them) are flagged, so the summary is their alert.
* :func:`on_dag_success` — a recovery message when the DAG's previous run had failed.

Every callback catches everything: a broken alert never changes a task's or run's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from dataplatform.alerts.decision import Outcome, classify_task_event
from dataplatform.alerts.dedup import AlertRecord, Ledger, get_ledger, now_iso
from dataplatform.alerts.delivery import DeliveryResult, deliver
from dataplatform.alerts.message import (
    AlertKind,
    FailedTask,
    context_dag_id,
    context_run_id,
    context_ti,
    dag_failure_alert,
    log_url,
    recovery_alert,
    task_alert,
)
from dataplatform.alerts.routing import route_for_dag
from dataplatform.alerts.runstate import TaskStates, fetch_task_states, task_state
from dataplatform.alerts.settings import AlertSettings, load_settings

log = logging.getLogger(__name__)

_TERMINAL_LOCAL_STATES = {"failed", "up_for_retry"}


def on_task_failure(context: Mapping[str, Any]) -> None:
    """Task ``on_failure_callback``: FAILED alert for a final failed try (never raises)."""
    _guard(handle_task_event, context, "on_task_failure")


def on_task_retry(context: Mapping[str, Any]) -> None:
    """Task ``on_retry_callback``: retry notice if the route enables them (never raises)."""
    _guard(handle_task_event, context, "on_task_retry")


def on_dag_failure(context: Mapping[str, Any]) -> None:
    """DAG ``on_failure_callback``: one run summary; the backstop for killed tasks (never raises)."""
    _guard(handle_dag_failure, context, "on_dag_failure")


def on_dag_success(context: Mapping[str, Any]) -> None:
    """DAG ``on_success_callback``: recovery message after a failed run (never raises)."""
    _guard(handle_dag_success, context, "on_dag_success")


def _guard(handler: Callable[..., Any], context: Mapping[str, Any], name: str) -> None:
    try:
        handler(context)
    except Exception:
        log.exception("dataplatform alerting: %s failed (the task/run outcome is not affected)", name)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = getattr(obj, name)
    except Exception:
        return default
    return default if value is None else value


def _state(value: Any) -> str | None:
    value = getattr(value, "value", value)
    return str(value).lower() if value else None


# --------------------------------------------------------------------------- task events


def handle_task_event(
    context: Mapping[str, Any],
    *,
    ledger: Ledger | None = None,
    settings: AlertSettings | None = None,
) -> DeliveryResult | None:
    """Alert for one failed try if (and only if) it deserves one; return the delivery result."""
    ti = context_ti(context)
    dag = context.get("dag")
    task = context.get("task") or _get(ti, "task")
    dag_id, run_id = context_dag_id(context), context_run_id(context) or ""
    task_id = str(_get(ti, "task_id") or _get(task, "task_id") or "?")
    map_index = int(_get(ti, "map_index", -1))
    try_number = int(_get(ti, "try_number", 1))
    max_tries = _get(ti, "max_tries")
    if max_tries is None:
        max_tries = int(_get(task, "retries", 0) or 0)
    local_state = _state(_get(ti, "state"))
    server_state = (
        None if local_state in _TERMINAL_LOCAL_STATES else task_state(dag_id, run_id, task_id, map_index)
    )
    outcome = classify_task_event(
        try_number=try_number, max_tries=int(max_tries), local_state=local_state, server_state=server_state
    )
    settings = settings or load_settings()
    route = route_for_dag(dag, task, settings)
    where = f"{dag_id}.{task_id} run {run_id} try {try_number}/{int(max_tries) + 1}"
    if outcome is Outcome.IGNORE:
        log.info("No alert for %s: the task is %s now", where, server_state)
        return None
    if outcome is Outcome.RETRY and not route.retry_notices:
        log.info("No alert for %s: a retry follows (retry notices are off on route %r)", where, route.name)
        return None
    kind = AlertKind.TASK_FAILED if outcome is Outcome.FAILED else AlertKind.TASK_RETRY
    ledger = ledger or get_ledger()
    if ledger.seen(kind.name, dag_id, run_id, task_id, map_index, try_number):
        log.info("No alert for %s: %s alert already sent for this try", where, kind.value)
        return None
    alert = task_alert(
        context, kind, max_tries=int(max_tries), route=route.name, runbook_url=route.runbook_url
    )
    result = deliver(alert, route, settings=settings)
    if result.ok:
        ledger.record(
            AlertRecord(
                kind=kind.name,
                dag_id=dag_id,
                run_id=run_id,
                task_id=task_id,
                map_index=map_index,
                try_number=try_number,
                log_url=alert.log_url,
                channel=result.channel,
                sent_at=now_iso(),
            )
        )
    return result


# --------------------------------------------------------------------------- DAG run events


def failed_tasks_of_run(
    dag_id: str,
    run_id: str,
    states: TaskStates | None,
    records: list[AlertRecord],
    last_ti: Any = None,
) -> tuple[list[FailedTask], list[str]]:
    """The run's failed tasks (alerted or not) and its upstream-failed task ids.

    ``states`` is the server's view (None when unavailable: then only the context's task instance
    is known). A task counts as alerted when the ledger holds a FAILED alert for it.
    """
    alerted = {(r.task_id, r.map_index): r for r in records}
    last_key = (
        (_get(last_ti, "task_id"), int(_get(last_ti, "map_index", -1))) if last_ti is not None else None
    )
    if states is None:
        states = {last_key: "failed"} if last_key and last_key[0] else {}
        states.update({key: "failed" for key in alerted if key not in states})
    failed, upstream = [], []
    for (task_id, map_index), state in sorted(states.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        state = _state(state)
        if state == "upstream_failed":
            upstream.append(task_id)
            continue
        if state != "failed":
            continue
        record = alerted.get((task_id, map_index))
        if record is not None:
            try_number = record.try_number
        elif (task_id, map_index) == last_key:
            try_number = _get(last_ti, "try_number")
        else:
            try_number = None
        url = (record.log_url if record else None) or log_url(dag_id, run_id, task_id, try_number, map_index)
        failed.append(FailedTask(task_id, url, map_index, try_number, alerted=record is not None))
    return failed, upstream


def handle_dag_failure(
    context: Mapping[str, Any],
    *,
    ledger: Ledger | None = None,
    settings: AlertSettings | None = None,
    states: TaskStates | None = None,
) -> DeliveryResult | None:
    """Send the run's single failure summary (``states`` overrides the server lookup, for tools/tests)."""
    dag = context.get("dag")
    dag_id, run_id = context_dag_id(context), context_run_id(context) or ""
    settings = settings or load_settings()
    route = route_for_dag(dag, None, settings)
    ledger = ledger or get_ledger()
    ledger.set_last_outcome(dag_id, "failed", run_id)
    if ledger.seen(AlertKind.DAG_FAILED.name, dag_id, run_id):
        log.info("No summary for %s run %s: already sent", dag_id, run_id)
        return None
    if states is None:
        states = fetch_task_states(dag_id, run_id, _get(dag, "task_ids", ()) or ())
    records = ledger.run_records(dag_id, run_id, AlertKind.TASK_FAILED.name)
    failed, upstream = failed_tasks_of_run(dag_id, run_id, states, records, context_ti(context))
    alert = dag_failure_alert(
        context, failed, upstream_failed=upstream, route=route.name, runbook_url=route.runbook_url
    )
    result = deliver(alert, route, settings=settings)
    if result.ok:
        sent_at = now_iso()
        ledger.record(
            AlertRecord(AlertKind.DAG_FAILED.name, dag_id, run_id, channel=result.channel, sent_at=sent_at)
        )
        for task in failed:
            if not task.alerted and task.try_number:
                # The summary was this try's alert: a late duplicate task callback stays quiet.
                ledger.record(
                    AlertRecord(
                        AlertKind.TASK_FAILED.name,
                        dag_id,
                        run_id,
                        task.task_id,
                        task.map_index,
                        int(task.try_number),
                        task.log_url,
                        f"summary:{result.channel}",
                        sent_at,
                    )
                )
    ledger.prune(dag_id, run_id, settings.ledger_ttl_days)
    return result


def handle_dag_success(
    context: Mapping[str, Any],
    *,
    ledger: Ledger | None = None,
    settings: AlertSettings | None = None,
) -> DeliveryResult | None:
    """Recovery message if the DAG's previous finished run failed; remember this success."""
    dag = context.get("dag")
    dag_id, run_id = context_dag_id(context), context_run_id(context) or ""
    settings = settings or load_settings()
    ledger = ledger or get_ledger()
    previous = ledger.last_outcome(dag_id) or {}
    result = None
    if previous.get("state") == "failed" and previous.get("run_id") != run_id:
        route = route_for_dag(dag, None, settings)
        if not route.recovery_notices:
            log.info("%s recovered in run %s (recovery notices off on route %r)", dag_id, run_id, route.name)
        elif not ledger.seen(AlertKind.RECOVERED.name, dag_id, run_id):
            alert = recovery_alert(
                context, previous.get("run_id"), route=route.name, runbook_url=route.runbook_url
            )
            result = deliver(alert, route, settings=settings)
            if result.ok:
                ledger.record(
                    AlertRecord(
                        AlertKind.RECOVERED.name, dag_id, run_id, channel=result.channel, sent_at=now_iso()
                    )
                )
    if previous.get("state") != "success":
        ledger.set_last_outcome(dag_id, "success", run_id)
    ledger.prune(dag_id, run_id, settings.ledger_ttl_days)
    return result
