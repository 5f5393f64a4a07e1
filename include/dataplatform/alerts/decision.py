"""Is this failed try final? Decided from the task instance's real state and try count, not from
which callback Airflow happened to call.

Why not trust the callback name: on Airflow 3.1.x the dag-processor ran ``on_failure_callback``
after a heartbeat timeout while retries remained (apache/airflow#65400, #56942), and on 3.3.2 a
heartbeat timeout still delivers the same task callback twice. So:

* in the task process the task runner has already decided (``ti.state`` is ``failed`` or
  ``up_for_retry``) and that decision is authoritative (it includes ``AirflowFailException``,
  which fails a task although retries remain);
* elsewhere (dag-processor callbacks for killed tasks, where ``ti.state`` is unset) the try count
  decides: while ``try_number <= max_tries`` a retry remains and the alert is at most a retry
  notice. With no retry left, the server's state only vetoes the alert when the task has
  succeeded or is going again since (cleared: then this try is no longer the final word).
"""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """What a task-level event means for alerting."""

    FAILED = "failed"  # the final try failed: alert
    RETRY = "retry"  # another try will follow: at most a retry notice
    IGNORE = "ignore"  # stale event (the task has succeeded or was cleared since)


_RETRYING_STATES = {"up_for_retry", "queued", "scheduled", "restarting", "up_for_reschedule", "deferred"}


def _state_value(state: object) -> str | None:
    if state is None:
        return None
    value = getattr(state, "value", state)
    return str(value).lower() or None


def retry_remains(try_number: int, max_tries: int) -> bool:
    """True while the given try is not the last one allowed (``max_tries`` = retries, so tries = max + 1)."""
    return try_number <= max_tries


def classify_task_event(
    *,
    try_number: int,
    max_tries: int,
    local_state: object = None,
    server_state: object = None,
) -> Outcome:
    """Classify a failed try. ``local_state`` is ``ti.state`` as the task process set it (or None);
    ``server_state`` is the task instance's current state from the API server (or None if unknown)."""
    local = _state_value(local_state)
    if local == "failed":
        return Outcome.FAILED
    if local == "up_for_retry":
        return Outcome.RETRY
    if retry_remains(try_number, max_tries):
        return Outcome.RETRY
    server = _state_value(server_state)
    if server == "success":
        return Outcome.IGNORE
    if server in _RETRYING_STATES:
        # No retry left by this try's count, yet the task goes again (cleared, or max_tries raised).
        return Outcome.RETRY
    return Outcome.FAILED


def tries_label(try_number: int | None, max_tries: int | None) -> str:
    """``"2/4"`` (try 2 of 4 allowed tries) or ``"2"`` when the maximum is unknown."""
    if try_number is None:
        return "?"
    if max_tries is None:
        return str(try_number)
    return f"{try_number}/{max(max_tries + 1, try_number)}"


def tries_wording(try_number: int | None, max_tries: int | None, outcome: Outcome | None = None) -> str:
    """Human wording: ``"try 1 of 4 (3 retries left)"``, ``"try 4 of 4 (no retries left)"``."""
    if try_number is None:
        return "try unknown"
    if max_tries is None:
        return f"try {try_number}"
    total = max(max_tries + 1, try_number)
    left = max(max_tries + 1 - try_number, 0)
    if outcome is Outcome.FAILED and left:
        return f"try {try_number} of {total} (failed without using its {_retries(left)})"
    if left:
        return f"try {try_number} of {total} ({_retries(left)} left)"
    return f"try {try_number} of {total} (no retries left)"


def _retries(n: int) -> str:
    return f"{n} retr{'y' if n == 1 else 'ies'}"
