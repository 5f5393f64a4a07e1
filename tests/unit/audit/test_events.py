"""Normalising Airflow 3.3.2's event log: the recorded payloads of a real stack, then edge cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataplatform.audit.attempts import PAIR_WINDOW, flag_refused_attempts
from dataplatform.audit.events import (
    ACTIONS,
    RAW_EVENTS,
    AuditEvent,
    cli_command,
    from_api,
    normalise,
    parse_extra,
)

RECORDING = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "audit" / "event_logs_airflow_3_3_2.json").read_text()
)
EVENTS = [from_api(item) for item in RECORDING["event_logs"]]
RUN = "manual__2026-12-02T06:48:30.203360+00:00"  # the operator's REST run
CLI_RUN = "manual__2026-12-02T06:48:46.490420+00:00"  # the CLI's run, deleted by the operator


def _people(events: list[AuditEvent]) -> list[tuple]:
    """Events of people (not the DAG owner's task lifecycle events)."""
    return [
        (e.user, e.action, e.event, e.run_id, e.task_id, e.detail) for e in events if e.user != "platform"
    ]


def test_the_recorded_scenario_normalises_to_what_was_done() -> None:
    runs = "/api/v2/dags/e2e_echo/dagRuns"
    assert _people(EVENTS) == [
        ("operator", "unpause", "patch_dag", None, None, ""),
        ("operator", "trigger", "trigger_dag_run", None, None, ""),
        ("operator", "mark", "patch_task_instance", RUN, "echo", "state=failed"),
        ("operator", "mark", "patch_dag_run", RUN, None, "state=success"),
        ("operator", "clear", "clear_dag_run", RUN, None, ""),
        ("operator", "clear", "post_clear_task_instances", RUN, None, ""),
        ("operator", "pause", "patch_dag", None, None, ""),
        ("viewer", "refused", "access_refused", None, None, f"403 POST {runs}"),
        ("viewer", "refused", "access_refused", RUN, None, f"403 POST {runs}/{RUN}/clear"),
        ("viewer", "refused", "access_refused", None, None, "403 PATCH /api/v2/dags/e2e_echo"),
        ("viewer", "mark", "patch_task_instance", RUN, "echo", "state=success"),  # logged, then refused
        ("viewer", "refused", "access_refused", RUN, "echo", f"403 PATCH {runs}/{RUN}/taskInstances/echo"),
        ("viewer", "clear", "post_clear_task_instances", RUN, None, ""),  # logged, then refused
        (
            "viewer",
            "refused",
            "access_refused",
            None,
            None,
            "403 POST /api/v2/dags/e2e_echo/clearTaskInstances",
        ),
        ("viewer", "refused", "access_refused", None, None, "403 GET /api/v2/eventLogs"),
        ("viewer", "refused", "access_refused", None, None, "403 POST /api/v2/dags/no_such_dag/dagRuns"),
        ("anonymous", "refused", "access_refused", None, None, "401 GET /api/v2/dags"),
        ("anonymous", "refused", "access_refused", None, None, "403 GET /api/v2/dags"),
        ("root", "unpause", "cli_dag_unpause", None, None, "airflow dags unpause e2e_echo"),
        ("root", "trigger", "cli_dag_trigger", None, None, "airflow dags trigger e2e_echo"),
        ("root", "pause", "cli_dag_pause", None, None, "airflow dags pause e2e_echo"),
        ("operator", "delete", "delete_dag_run", CLI_RUN, None, ""),
    ]


def test_task_lifecycle_events_keep_their_raw_names() -> None:
    lifecycle = {(e.action, e.event) for e in EVENTS if e.user == "platform"}
    assert lifecycle == {("running", "running"), ("success", "success")}


def test_fields_of_a_recorded_event() -> None:
    [trigger] = [e for e in EVENTS if e.event == "trigger_dag_run"]
    assert trigger.when.tzinfo is not None and trigger.when.year == 2026
    assert trigger.dag_id == "e2e_echo" and trigger.id == 11
    assert trigger.extra["conf"] == {"message": "audit"} and trigger.extra["method"] == "POST"
    as_json = json.loads(json.dumps(trigger.to_json()))
    assert datetime.fromisoformat(as_json["when"]) == trigger.when


def test_a_refusal_of_an_unknown_dag_keeps_its_id_from_extra() -> None:
    [unknown] = [e for e in EVENTS if "no_such_dag" in e.detail]
    assert unknown.dag_id == "no_such_dag" and unknown.extra["auth"] == "valid"


def test_refused_attempts_airflow_logged_are_flagged() -> None:
    flagged = flag_refused_attempts(EVENTS)
    assert [(e.user, e.event, e.detail) for e in flagged if e.refused] == [
        ("viewer", "patch_task_instance", "state=success; refused"),
        ("viewer", "post_clear_task_instances", "post_clear_task_instances; refused"),
    ]
    assert len(flagged) == len(EVENTS)


def test_an_attempt_pairs_only_with_a_matching_refusal_soon_after() -> None:
    [attempt] = [e for e in EVENTS if e.event == "patch_task_instance" and e.user == "viewer"]
    [refusal] = [e for e in EVENTS if e.event == "access_refused" and e.task_id == "echo"]
    late = AuditEvent(**{**refusal.__dict__, "when": attempt.when + PAIR_WINDOW * 2})
    other_user = AuditEvent(**{**refusal.__dict__, "user": "someone"})
    other_method = AuditEvent(**{**refusal.__dict__, "extra": {**refusal.extra, "method": "POST"}})
    for candidate in (late, other_user, other_method):
        assert not flag_refused_attempts([attempt, candidate])[0].refused
    assert flag_refused_attempts([attempt, refusal])[0].refused
    # one refusal explains one attempt only
    assert [e.refused for e in flag_refused_attempts([attempt, attempt, refusal])] == [True, False, False]


@pytest.mark.parametrize(
    ("event", "extra", "expected"),
    [
        ("patch_dag", {"is_paused": True}, ("pause", "")),
        ("patch_dag", {"is_paused": "false"}, ("unpause", "")),  # from a query parameter
        ("patch_dags", {"is_paused": "true", "dag_id_pattern": "x"}, ("pause", "")),
        ("patch_dag", {"method": "PATCH"}, ("patch_dag", "")),  # not a pause: raw name kept
        ("patch_dag_run", {"state": "failed"}, ("mark", "state=failed")),
        ("patch_dag_run", {"note": "n"}, ("patch_dag_run", "")),
        ("patch_task_group_instances", {"new_state": "skipped"}, ("mark", "state=skipped")),
        ("delete_dag_run", {}, ("delete", "")),
        ("delete_dag", {}, ("delete", "")),
        (
            "access_refused",
            {"status": 401, "method": "GET", "path": "/api/v2/x"},
            ("refused", "401 GET /api/v2/x"),
        ),
        ("access_refused", {}, ("refused", "? ? ?")),
        (
            "cli_users_create",
            {"full_command": "['/x/airflow', 'users', 'create']"},
            ("cli_users_create", "airflow users create"),
        ),
        ("heartbeat timeout", {"text": "..."}, ("heartbeat timeout", "")),
    ],
)
def test_normalise(event, extra, expected) -> None:
    assert normalise(event, extra) == expected


def test_every_action_has_raw_events() -> None:
    assert set(RAW_EVENTS) == set(ACTIONS)
    assert all(RAW_EVENTS[action] for action in ACTIONS)
    assert RAW_EVENTS["refused"] == {"access_refused"}


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (None, {}),
        ("", {}),
        ('{"a": 1}', {"a": 1}),
        ("Task was marked failed externally", {"text": "Task was marked failed externally"}),
        ("[1, 2]", {"value": [1, 2]}),
    ],
)
def test_parse_extra(raw, parsed) -> None:
    assert parse_extra(raw) == parsed


def test_cli_command() -> None:
    assert cli_command("['/venv/bin/airflow', 'dags', 'trigger', 'd']") == "airflow dags trigger d"
    assert cli_command(["airflow", "tasks", "clear", "d", "-y"]) == "airflow tasks clear d -y"
    assert cli_command("not a list [") == "not a list ["
    assert cli_command(None) == cli_command([]) == ""


def test_an_event_without_owner_or_extra() -> None:
    event = from_api(
        {"event_log_id": 1, "when": "2026-12-02T06:00:00Z", "event": "paused", "owner": None, "extra": None}
    )
    assert (event.user, event.action, event.extra, event.when) == (
        None,
        "paused",
        {},
        datetime(2026, 12, 2, 6, tzinfo=UTC),
    )
