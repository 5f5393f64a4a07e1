"""Refused attempts that Airflow logged as if they had happened.

FastAPI resolves a route's dependencies in the order listed. Most Airflow 3.3.2 routes check
access first and log the action second, so a refused request leaves no event of its own. The
routes below list ``action_logging()`` *first*: a Viewer's refused "mark success" still writes
``patch_task_instance`` with the Viewer as owner (seen on the real stack, recorded in
``tests/fixtures/audit/``), then gets a 403. The refusals middleware writes its
``access_refused`` right after; :func:`flag_refused_attempts` pairs the two and flags the first
as ``refused`` so the audit does not claim the Viewer marked anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from dataplatform.audit.events import REFUSED_EVENT, AuditEvent

#: Endpoint functions of Airflow 3.3.2's public API whose ``dependencies`` list
#: ``action_logging()`` before ``requires_access_*`` (read from its routes).
LOGGED_BEFORE_ACCESS_CHECK = frozenset(
    {
        "patch_task_instance",
        "patch_task_group_instances",
        "post_clear_task_instances",
        "get_task_instances_batch",
        "delete_variable",
        "patch_variable",
        "post_variable",
        "bulk_variables",
        "create_xcom_entry",
        "update_xcom_entry",
        "delete_xcom_entry",
        "create_backfill",
        "pause_backfill",
        "unpause_backfill",
        "cancel_backfill",
    }
)
#: The refusal is written after the response; on a loaded api-server that can take a while.
PAIR_WINDOW = timedelta(seconds=10)


def flag_refused_attempts(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """``events`` (oldest first) with each refused attempt flagged ``refused=True``.

    An event of :data:`LOGGED_BEFORE_ACCESS_CHECK` is a refused attempt when a later
    ``access_refused`` of the same user, HTTP method and DAG follows within
    :data:`PAIR_WINDOW`; each refusal pairs with one event at most.
    """
    result = list(events)
    used: set[int] = set()
    for i, event in enumerate(result):
        if event.event not in LOGGED_BEFORE_ACCESS_CHECK:
            continue
        for j in range(i + 1, len(result)):
            other = result[j]
            if other.when - event.when > PAIR_WINDOW:
                break
            if j not in used and _pairs(event, other):
                used.add(j)
                detail = f"{event.detail or event.event}; refused"
                result[i] = replace(event, refused=True, detail=detail)
                break
    return result


def _pairs(attempt: AuditEvent, refusal: AuditEvent) -> bool:
    return (
        refusal.event == REFUSED_EVENT
        and refusal.user == attempt.user
        and refusal.dag_id == attempt.dag_id
        and refusal.extra.get("method") == attempt.extra.get("method")
    )
