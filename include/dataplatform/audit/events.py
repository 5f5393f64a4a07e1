"""``AuditEvent``: one row of Airflow's event log, with a normalised ``action``.

Airflow names REST events after the endpoint function that handled the request
(``trigger_dag_run``, ``patch_dag``, ...) and CLI events ``cli_<function>``. People ask about
actions instead: who triggered, cleared, paused, marked, deleted, was refused. :func:`normalise`
maps the raw names Airflow 3.3.2 was seen writing (recorded from a real stack:
``tests/fixtures/audit/``) onto those actions; any other event keeps its raw name as its action.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: What the refusals middleware (:mod:`dataplatform.audit.refusals`) writes for a 401/403.
REFUSED_EVENT = "access_refused"

#: The normalised actions, in the order the CLI's help lists them.
ACTIONS = ("trigger", "clear", "pause", "unpause", "mark", "delete", "refused")

#: Raw events that mean one action whatever their extra says. All were seen on the real stack
#: except the two marked "source": same naming rule (the endpoint function's name), read from
#: Airflow 3.3.2's routes, not exercised by the recorded scenario.
_FIXED = {
    "trigger_dag_run": "trigger",  # POST /dags/{dag_id}/dagRuns
    "cli_dag_trigger": "trigger",  # airflow dags trigger (owner = the OS user)
    "clear_dag_run": "clear",  # POST /dags/{dag_id}/dagRuns/{run_id}/clear (dry_run false only)
    "post_clear_task_instances": "clear",  # POST /dags/{dag_id}/clearTaskInstances
    "clear_dag_runs": "clear",  # POST /dags/{dag_id}/clearDagRuns (source)
    "cli_dag_pause": "pause",  # airflow dags pause
    "cli_dag_unpause": "unpause",  # airflow dags unpause
    "delete_dag_run": "delete",  # DELETE /dags/{dag_id}/dagRuns/{run_id}
    "delete_dag": "delete",  # DELETE /dags/{dag_id} (source)
    REFUSED_EVENT: "refused",  # written by dataplatform.audit.refusals
}
#: PATCH /dags/{dag_id} and PATCH /dags: pause or unpause when the body set ``is_paused``.
_PAUSE_EVENTS = frozenset({"patch_dag", "patch_dags"})
#: PATCH of a run / task instance / task group: a "mark" when the body set a state.
_STATE_EVENTS = {
    "patch_dag_run": "state",
    "patch_task_instance": "new_state",
    "patch_task_group_instances": "new_state",
}

#: For each action, the raw events that can mean it (server-side ``included_events`` filter).
RAW_EVENTS: dict[str, frozenset[str]] = {
    action: frozenset(raw for raw, a in _FIXED.items() if a == action) for action in ACTIONS
}
RAW_EVENTS["pause"] |= _PAUSE_EVENTS
RAW_EVENTS["unpause"] |= _PAUSE_EVENTS
RAW_EVENTS["mark"] |= frozenset(_STATE_EVENTS)


@dataclass(frozen=True)
class AuditEvent:
    """One audited event.

    :param when: when Airflow recorded it (UTC).
    :param user: who: the FAB user for REST actions, the OS user for CLI actions, ``anonymous``
        for refused requests without a valid token; ``None`` for system events.
    :param action: normalised action (one of :data:`ACTIONS`) or, for other events, ``event``.
    :param event: Airflow's raw event name.
    :param detail: a short human summary (``state=success``, ``403 POST /api/v2/...``).
    :param extra: Airflow's ``extra`` (parsed when it is JSON, else ``{"text": ...}``).
    :param id: the event log id.
    :param refused: the event is a refused attempt: Airflow wrote it before checking access and
        the refusals middleware recorded the 403 right after (see :mod:`~dataplatform.audit.attempts`).
    """

    when: datetime
    user: str | None
    action: str
    event: str
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    refused: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``when`` as ISO 8601), one per line in ``--json`` output."""
        data = asdict(self)
        data["when"] = self.when.isoformat()
        return data


def parse_extra(raw: str | None) -> dict[str, Any]:
    """Airflow's ``extra`` column: JSON for REST events, free text for some system events."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"text": raw}
    return value if isinstance(value, dict) else {"value": value}


def normalise(event: str, extra: Mapping[str, Any]) -> tuple[str, str]:
    """``(action, detail)`` for a raw event and its parsed extra."""
    if event == REFUSED_EVENT:
        return "refused", f"{extra.get('status', '?')} {extra.get('method', '?')} {extra.get('path', '?')}"
    if event in _PAUSE_EVENTS and "is_paused" in extra:
        paused = _truthy(extra["is_paused"])
        return ("pause" if paused else "unpause"), ""
    if event in _STATE_EVENTS:
        state = extra.get(_STATE_EVENTS[event])
        if state:
            return "mark", f"state={state}"
        return event, ""
    if event.startswith("cli_"):
        return _FIXED.get(event, event), cli_command(extra.get("full_command"))
    return _FIXED.get(event, event), ""


def cli_command(full_command: Any) -> str:
    """``airflow dags trigger x`` from the ``full_command`` Airflow stores for CLI events: the
    ``repr`` of ``sys.argv`` (a string), its first item a full path to the executable."""
    argv = full_command
    if isinstance(argv, str):
        try:
            argv = ast.literal_eval(argv)
        except (ValueError, SyntaxError):
            return argv
    if not isinstance(argv, list | tuple) or not argv:
        return ""
    return " ".join([os.path.basename(str(argv[0])), *(str(a) for a in argv[1:])])


def _truthy(value: Any) -> bool:
    """``is_paused`` arrives as a JSON bool from a body, or as a string from a query parameter."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def from_api(item: Mapping[str, Any]) -> AuditEvent:
    """An :class:`AuditEvent` from one item of ``GET /api/v2/eventLogs``."""
    extra = parse_extra(item.get("extra"))
    event = str(item.get("event") or "")
    action, detail = normalise(event, extra)
    return AuditEvent(
        when=datetime.fromisoformat(str(item["when"])),
        user=item.get("owner"),
        action=action,
        event=event,
        dag_id=item.get("dag_id") or extra.get("dag_id"),
        run_id=item.get("run_id"),
        task_id=item.get("task_id"),
        detail=detail,
        extra=extra,
        id=item.get("event_log_id"),
    )
