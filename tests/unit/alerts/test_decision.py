"""Final try or not: decided from the task instance's state and try count, never from the callback name."""

from __future__ import annotations

import pytest

from dataplatform.alerts.decision import (
    Outcome,
    classify_task_event,
    retry_remains,
    tries_label,
    tries_wording,
)


@pytest.mark.parametrize(
    ("try_number", "max_tries", "expected"),
    [(1, 0, False), (1, 1, True), (2, 1, False), (3, 3, True), (4, 3, False)],
)
def test_retry_remains_counts_tries_against_max_tries(try_number, max_tries, expected):
    assert retry_remains(try_number, max_tries) is expected


def test_task_process_state_is_authoritative():
    # AirflowFailException: failed on try 1 although retries remain -> a real FAILED
    assert classify_task_event(try_number=1, max_tries=3, local_state="failed") is Outcome.FAILED
    assert classify_task_event(try_number=1, max_tries=3, local_state="up_for_retry") is Outcome.RETRY


@pytest.mark.parametrize("server_state", [None, "failed", "running", "up_for_retry", "queued"])
def test_never_failed_while_a_retry_remains_outside_the_task_process(server_state):
    """The dag-processor path (ti.state unset), e.g. a heartbeat timeout on try 1 of 4 (#65400)."""
    assert classify_task_event(try_number=1, max_tries=3, server_state=server_state) is Outcome.RETRY


@pytest.mark.parametrize(
    ("server_state", "expected"),
    [
        (None, Outcome.FAILED),  # no server view: the try count decides
        ("failed", Outcome.FAILED),
        ("running", Outcome.FAILED),  # callback ran before the scheduler committed the failure
        ("success", Outcome.IGNORE),  # stale event
        ("queued", Outcome.RETRY),  # cleared and going again
    ],
)
def test_last_try_outside_the_task_process(server_state, expected):
    assert classify_task_event(try_number=4, max_tries=3, server_state=server_state) is expected


def test_enum_states_are_understood():
    from airflow.sdk import TaskInstanceState

    assert (
        classify_task_event(try_number=2, max_tries=1, local_state=TaskInstanceState.FAILED) is Outcome.FAILED
    )
    assert (
        classify_task_event(try_number=1, max_tries=1, local_state=TaskInstanceState.UP_FOR_RETRY)
        is Outcome.RETRY
    )


def test_try_wording():
    assert tries_label(2, 1) == "2/2"
    assert tries_label(1, 3) == "1/4"
    assert tries_label(5, 3) == "5/5"  # cleared and re-run beyond the original maximum
    assert tries_label(3, None) == "3"
    assert tries_wording(1, 3) == "try 1 of 4 (3 retries left)"
    assert tries_wording(3, 3) == "try 3 of 4 (1 retry left)"
    assert tries_wording(4, 3) == "try 4 of 4 (no retries left)"
    assert tries_wording(1, 0) == "try 1 of 1 (no retries left)"
    assert tries_wording(1, 2, Outcome.FAILED) == "try 1 of 3 (failed without using its 2 retries)"
