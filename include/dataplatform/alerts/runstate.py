"""The server's view of a DAG run's task instances, through the Task SDK (Execution API).

Works in the task process and in dag-processor callbacks (``GetTaskStates``); returns None where
there is no Task SDK channel (e.g. a plain unit-test process) so callers fall back to the context.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

#: ``(task_id, map_index) -> state`` (``map_index`` -1 for unmapped tasks)
TaskStates = dict[tuple[str, int], str | None]


def parse_task_states(raw: dict[str, str | None], task_ids: Iterable[str]) -> TaskStates:
    """Airflow keys mapped task instances ``"<task_id>_<map_index>"``: split them with the DAG's task ids."""
    known = set(task_ids)
    out: TaskStates = {}
    for key, state in raw.items():
        state = getattr(state, "value", state)
        if key in known:
            out[(key, -1)] = state
            continue
        task_id, _, index = key.rpartition("_")
        if task_id in known and index.isdigit():
            out[(task_id, int(index))] = state
        else:
            out[(key, -1)] = state
    return out


def fetch_task_states(dag_id: str, run_id: str, task_ids: Iterable[str] = ()) -> TaskStates | None:
    """Current states of all task instances of one run, or None when unavailable here."""
    try:
        from airflow.sdk.execution_time import task_runner

        if getattr(task_runner, "SUPERVISOR_COMMS", None) is None:
            return None
        raw = task_runner.RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id])
    except Exception as err:
        log.info("task states of %s/%s unavailable: %s", dag_id, run_id, err)
        return None
    return parse_task_states(dict(raw.get(run_id, {}) or {}), task_ids)


def task_state(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
    """One task instance's current state on the server (None if unknown)."""
    states = fetch_task_states(dag_id, run_id, [task_id])
    return states.get((task_id, map_index)) if states else None
