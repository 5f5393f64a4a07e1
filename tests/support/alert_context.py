"""Airflow-shaped callback contexts from plain dicts and simple objects (no mocks)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

BASE = "http://airflow.test"
RUN_ID = "scheduled__2026-11-01T06:00:00+00:00"


def task_context(
    *,
    dag_id: str = "sales_daily",
    task_id: str = "load",
    try_number: int = 1,
    max_tries: int = 3,
    state: str | None = "failed",
    exception: BaseException | str | None = None,
    owner: str = "finance",
    tags: tuple[str, ...] = (),
    default_args: dict[str, Any] | None = None,
    map_index: int = -1,
    run_id: str = RUN_ID,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A context like the task process (``state`` set) or the dag-processor (``state=None``) passes."""
    dag = SimpleNamespace(
        dag_id=dag_id,
        owner=owner,
        tags=set(tags),
        default_args=default_args or {},
        params=params or {},
        task_ids=[task_id],
    )
    task = SimpleNamespace(task_id=task_id, owner=owner, retries=max_tries, dag=dag)
    ti = SimpleNamespace(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=try_number,
        max_tries=max_tries,
        map_index=map_index,
        state=state,
        task=task,
        log_url=f"{BASE}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}?try_number={try_number}",
    )
    dag_run = SimpleNamespace(dag_id=dag_id, run_id=run_id, logical_date="2026-11-01T06:00:00+00:00", conf={})
    ctx: dict[str, Any] = {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "dag_run": dag_run,
        "run_id": run_id,
    }
    if exception is not None:
        ctx["exception"] = exception
    return ctx


def dag_context(
    *, dag_id: str = "sales_daily", reason: str = "task_failure", last_ti: Any = None, **kw: Any
) -> dict[str, Any]:
    """A DAG-run callback context (``reason`` set). ``last_ti=True`` keeps the default task instance
    (like the server's "last relevant TI", with ``max_tries`` unset = 0 as on Airflow 3.3.2);
    None drops it (the minimal context ``{dag, run_id, reason}``)."""
    ctx = task_context(dag_id=dag_id, **kw)
    ctx["reason"] = reason
    ctx.pop("exception", None)
    if last_ti is None:
        for key in ("ti", "task_instance", "task"):
            ctx.pop(key)
    elif last_ti is True:
        ctx["ti"].max_tries = 0
        ctx["ti"].state = None
    else:
        ctx["ti"] = ctx["task_instance"] = last_ti
    return ctx
