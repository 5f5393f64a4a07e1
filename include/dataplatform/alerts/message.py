"""The content of an alert, built from an Airflow callback context (channel-independent).

Contexts come in several shapes on Airflow 3.3, all handled here:

* task process (``on_failure_callback`` / ``on_retry_callback``): ``ti``, ``task``, ``dag``,
  ``dag_run``, ``exception``; ``ti.state`` already ``failed`` / ``up_for_retry``;
* dag-processor task callbacks (task killed externally / heartbeat timeout): the same without
  ``exception`` and with ``ti.state`` unset;
* DAG callbacks: ``dag``, ``run_id``, ``reason`` and, when the server sent one, the run's last
  relevant task instance as ``ti`` (its ``ti.max_tries`` is not filled in: 0);
* plain dicts with simple objects (tests).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dataplatform.alerts.decision import Outcome, tries_label, tries_wording
from dataplatform.alerts.masking import mask_text
from dataplatform.ui_links import dag_url, log_url, run_url

MAX_ERROR_LINES = 6
MAX_ERROR_CHARS = 1500
KILLED_EXPLANATION = (
    "No exception was reported: the task process ended without running its failure handling "
    "(killed by a signal such as SIGKILL / out-of-memory, or its heartbeat timed out). "
    "See the log of this try."
)


class AlertKind(enum.StrEnum):
    TASK_FAILED = "FAILED"
    TASK_RETRY = "RETRY"
    DAG_FAILED = "DAG FAILED"
    RECOVERED = "RECOVERED"


@dataclass(frozen=True)
class FailedTask:
    """One failed task of a failed DAG run, as listed in the run summary."""

    task_id: str
    log_url: str
    map_index: int = -1
    try_number: int | None = None
    #: True: this try got its own task alert; False: it did not (the summary is its only alert);
    #: None: unknown (listener path, DAGs without the platform callbacks).
    alerted: bool | None = False

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass(frozen=True)
class Alert:
    """Everything a channel renders. Text fields are already masked."""

    kind: AlertKind
    dag_id: str
    run_id: str | None
    dag_url: str
    run_url: str | None = None
    task_id: str | None = None
    map_index: int = -1
    logical_date: str | None = None
    try_number: int | None = None
    max_tries: int | None = None
    owner: str | None = None
    error_class: str | None = None
    error_text: str | None = None
    log_url: str | None = None
    runbook_url: str | None = None
    reason: str | None = None
    failed_tasks: tuple[FailedTask, ...] = field(default_factory=tuple)
    upstream_failed: tuple[str, ...] = field(default_factory=tuple)
    previous_run_id: str | None = None
    route: str | None = None

    @property
    def target(self) -> str:
        """``dag.task`` (or ``dag`` for run-level alerts), with ``[map_index]`` for mapped tasks."""
        if not self.task_id:
            return self.dag_id
        suffix = f"[{self.map_index}]" if self.map_index >= 0 else ""
        return f"{self.dag_id}.{self.task_id}{suffix}"

    @property
    def tries(self) -> str:
        return tries_label(self.try_number, self.max_tries)

    @property
    def tries_text(self) -> str:
        outcome = Outcome.FAILED if self.kind is AlertKind.TASK_FAILED else None
        return tries_wording(self.try_number, self.max_tries, outcome)

    @property
    def unalerted_tasks(self) -> tuple[FailedTask, ...]:
        return tuple(t for t in self.failed_tasks if t.alerted is False)


# --------------------------------------------------------------------------- context access


def _ctx(context: Mapping[str, Any], key: str) -> Any:
    try:
        return context.get(key)
    except Exception:
        return None


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = getattr(obj, name)
    except Exception:
        return default
    return default if value is None else value


def context_ti(context: Mapping[str, Any]) -> Any:
    return _ctx(context, "ti") or _ctx(context, "task_instance")


def context_run_id(context: Mapping[str, Any]) -> str | None:
    return (
        _ctx(context, "run_id")
        or _attr(_ctx(context, "dag_run"), "run_id")
        or _attr(context_ti(context), "run_id")
    )


def context_dag_id(context: Mapping[str, Any]) -> str:
    dag = _ctx(context, "dag")
    return str(
        _attr(dag, "dag_id")
        or _attr(context_ti(context), "dag_id")
        or _attr(_ctx(context, "dag_run"), "dag_id")
        or "?"
    )


def format_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def logical_date_of(context: Mapping[str, Any]) -> str | None:
    """The run's logical date; manual runs in Airflow 3 may have none (then ``run_after``)."""
    dag_run = _ctx(context, "dag_run")
    logical = _ctx(context, "logical_date") or _attr(dag_run, "logical_date")
    if logical is not None:
        return format_date(logical)
    run_after = _attr(dag_run, "run_after")
    return f"none (run after {format_date(run_after)})" if run_after is not None else None


def runbook_of(dag: Any, route_runbook: str | None) -> str | None:
    """``runbook_url`` from the route / ``alert_route`` override, else a DAG param of that name."""
    if route_runbook:
        return route_runbook
    params = _attr(dag, "params")
    try:
        value = params.get("runbook_url") if params is not None else None
    except Exception:
        value = None
    value = getattr(value, "value", value)
    return str(value) if value else None


def exception_summary(
    exc: Any, max_lines: int = MAX_ERROR_LINES, max_chars: int = MAX_ERROR_CHARS
) -> tuple[str | None, str | None]:
    """(class name, first lines of its message), masked. ``exc`` may be an exception or a string."""
    if exc is None:
        return None, None
    if isinstance(exc, BaseException):
        cls = type(exc)
        module = cls.__module__
        name = cls.__qualname__ if module in {"builtins", "__main__"} else f"{module}.{cls.__qualname__}"
        text = str(exc)
    else:
        name, text = None, str(exc)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    shown = lines[:max_lines]
    if len(lines) > max_lines:
        shown.append(f"… ({len(lines) - max_lines} more lines in the log)")
    body = "\n".join(shown)
    if len(body) > max_chars:
        body = body[: max_chars - 1] + "…"
    return name, mask_text(body) if body else None


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- builders


def task_alert(
    context: Mapping[str, Any],
    kind: AlertKind,
    *,
    max_tries: int | None = None,
    route: str | None = None,
    runbook_url: str | None = None,
) -> Alert:
    """A FAILED or RETRY alert for the context's task instance."""
    ti = context_ti(context)
    dag = _ctx(context, "dag")
    task = _ctx(context, "task") or _attr(ti, "task")
    dag_id = context_dag_id(context)
    run_id = context_run_id(context)
    task_id = str(_attr(ti, "task_id") or _attr(task, "task_id") or "?")
    map_index = _int(_attr(ti, "map_index", -1), -1)
    try_number = _int(_attr(ti, "try_number"))
    if max_tries is None:
        max_tries = _int(_attr(ti, "max_tries"))
    error_class, error_text = exception_summary(_ctx(context, "exception"))
    reason = None if error_class or error_text else KILLED_EXPLANATION
    url = _attr(ti, "log_url") if ti is not None else None
    if not isinstance(url, str) or not url:
        url = log_url(dag_id, run_id or "", task_id, try_number, map_index)
    return Alert(
        kind=kind,
        dag_id=dag_id,
        run_id=run_id,
        dag_url=dag_url(dag_id),
        run_url=run_url(dag_id, run_id) if run_id else None,
        task_id=task_id,
        map_index=map_index,
        logical_date=logical_date_of(context),
        try_number=try_number,
        max_tries=max_tries,
        owner=_attr(task, "owner") or _attr(dag, "owner"),
        error_class=error_class,
        error_text=error_text,
        log_url=url,
        runbook_url=runbook_of(dag, runbook_url),
        reason=reason,
        route=route,
    )


def dag_failure_alert(
    context: Mapping[str, Any],
    failed_tasks: Sequence[FailedTask],
    *,
    upstream_failed: Sequence[str] = (),
    route: str | None = None,
    runbook_url: str | None = None,
) -> Alert:
    """ONE summary for a failed DAG run, listing its failed tasks with their log links."""
    reason = _ctx(context, "reason")
    return Alert(
        kind=AlertKind.DAG_FAILED,
        **_run_fields(context, route=route, runbook_url=runbook_url),
        reason=mask_text(str(reason)) if reason else None,
        failed_tasks=tuple(failed_tasks),
        upstream_failed=tuple(upstream_failed),
    )


def recovery_alert(
    context: Mapping[str, Any],
    previous_run_id: str | None,
    *,
    route: str | None = None,
    runbook_url: str | None = None,
) -> Alert:
    """The DAG succeeded after its previous run failed."""
    return Alert(
        kind=AlertKind.RECOVERED,
        **_run_fields(context, route=route, runbook_url=runbook_url),
        previous_run_id=previous_run_id,
    )


def _run_fields(context: Mapping[str, Any], *, route: str | None, runbook_url: str | None) -> dict[str, Any]:
    """The fields every run-level alert (summary, recovery) shares."""
    dag = _ctx(context, "dag")
    dag_id = context_dag_id(context)
    run_id = context_run_id(context)
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "dag_url": dag_url(dag_id),
        "run_url": run_url(dag_id, run_id) if run_id else None,
        "logical_date": logical_date_of(context),
        "owner": _attr(dag, "owner"),
        "runbook_url": runbook_of(dag, runbook_url),
        "route": route,
    }
