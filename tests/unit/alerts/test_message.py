"""Alert content from callback contexts, and its Slack / email rendering (no I/O)."""

from __future__ import annotations

import pytest

from dataplatform.alerts.email import render_email
from dataplatform.alerts.message import (
    KILLED_EXPLANATION,
    AlertKind,
    FailedTask,
    dag_failure_alert,
    exception_summary,
    log_url,
    recovery_alert,
    task_alert,
)
from dataplatform.alerts.slack import render_slack
from tests.support.alert_context import BASE, RUN_ID, dag_context, task_context


class WarehouseError(Exception):
    pass


def all_text(message) -> str:
    import json

    return message.text + json.dumps(message.blocks)


@pytest.fixture(autouse=True)
def _base_url(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE)


def test_failed_task_alert_carries_everything_an_oncall_needs():
    ctx = task_context(
        try_number=4, max_tries=3, exception=WarehouseError("load failed\nrow 12: bad date\nmore")
    )
    alert = task_alert(ctx, AlertKind.TASK_FAILED, route="finance")
    assert alert.target == "sales_daily.load"
    assert (alert.dag_id, alert.task_id, alert.run_id) == ("sales_daily", "load", RUN_ID)
    assert alert.logical_date == "2026-11-01T06:00:00+00:00"
    assert (alert.try_number, alert.max_tries, alert.tries) == (4, 3, "4/4")
    assert alert.owner == "finance"
    assert alert.error_class == f"{__name__}.WarehouseError"
    assert alert.error_text == "load failed\nrow 12: bad date\nmore"
    assert alert.log_url == f"{BASE}/dags/sales_daily/runs/{RUN_ID}/tasks/load?try_number=4"
    assert alert.dag_url == f"{BASE}/dags/sales_daily"

    slack = render_slack(alert)
    text = all_text(slack)
    for expected in (
        "sales_daily",
        "`load`",
        RUN_ID,
        "2026-11-01T06:00:00+00:00",
        "try 4 of 4 (no retries left)",
        "finance",
        "WarehouseError",
        "row 12: bad date",
        alert.log_url,
        alert.dag_url,
    ):
        assert expected in text, expected
    assert slack.text.startswith("[FAILED] sales_daily.load (try 4/4)")
    assert slack.blocks[0]["type"] == "header"
    buttons = next(b for b in slack.blocks if b["type"] == "actions")["elements"]
    assert buttons[0]["url"] == alert.log_url
    assert buttons[0]["text"]["text"] == "Log of try 4"


def test_email_subject_and_bodies():
    ctx = task_context(try_number=2, max_tries=1, exception=ValueError("x < y & z"))
    email = render_email(task_alert(ctx, AlertKind.TASK_FAILED))
    assert email.subject == "[FAILED] sales_daily.load (try 2/2)"
    assert "x &lt; y &amp; z" in email.html  # escaped
    assert "x < y & z" in email.text
    assert f"{BASE}/dags/sales_daily/runs/{RUN_ID}/tasks/load?try_number=2" in email.html
    assert "try 2 of 2 (no retries left)" in email.html


def test_retry_notice_wording():
    ctx = task_context(try_number=1, max_tries=3, state="up_for_retry", exception=TimeoutError("slow"))
    alert = task_alert(ctx, AlertKind.TASK_RETRY)
    assert render_slack(alert).text.startswith("[RETRY] sales_daily.load (try 1/4)")
    assert "try 1 of 4 (3 retries left)" in all_text(render_slack(alert))
    assert render_email(alert).subject == "[RETRY] sales_daily.load (try 1/4)"


def test_killed_task_has_no_exception_but_an_explanation_and_its_log():
    ctx = task_context(try_number=1, max_tries=0, state=None)  # dag-processor context: no "exception"
    alert = task_alert(ctx, AlertKind.TASK_FAILED)
    assert alert.error_class is None
    assert alert.reason == KILLED_EXPLANATION
    assert "SIGKILL" in all_text(render_slack(alert))
    assert alert.log_url.endswith("/tasks/load?try_number=1")


def test_manual_run_without_logical_date():
    ctx = task_context()
    ctx["dag_run"].logical_date = None
    ctx["dag_run"].run_after = "2026-11-02T10:00:00+00:00"
    assert task_alert(ctx, AlertKind.TASK_FAILED).logical_date == "none (run after 2026-11-02T10:00:00+00:00)"


def test_log_url_is_built_like_airflows_when_the_ti_has_none():
    ctx = task_context(map_index=3)
    del ctx["ti"].log_url
    alert = task_alert(ctx, AlertKind.TASK_FAILED)
    assert alert.log_url == log_url("sales_daily", RUN_ID, "load", 1, 3)
    assert alert.log_url == (
        f"{BASE}/dags/sales_daily/runs/scheduled__2026-11-01T06%3A00%3A00%2B00%3A00/tasks/load/mapped/3?try_number=1"
    )
    assert alert.target == "sales_daily.load[3]"


def test_exception_summary_keeps_first_lines_only():
    exc = RuntimeError("\n".join(f"line {i}" for i in range(20)))
    name, text = exception_summary(exc, max_lines=3)
    assert name == "RuntimeError"
    assert text == "line 0\nline 1\nline 2\n… (17 more lines in the log)"
    assert exception_summary("plain string error")[1] == "plain string error"
    assert exception_summary(None) == (None, None)


def test_runbook_link_from_route_or_dag_param():
    ctx = task_context(params={"runbook_url": "https://wiki/runbooks/sales"})
    assert task_alert(ctx, AlertKind.TASK_FAILED).runbook_url == "https://wiki/runbooks/sales"
    alert = task_alert(ctx, AlertKind.TASK_FAILED, runbook_url="https://wiki/route")
    assert alert.runbook_url == "https://wiki/route"
    assert "https://wiki/route" in all_text(render_slack(alert))


def test_dag_summary_lists_failed_tasks_and_flags_the_killed_one():
    ctx = dag_context(last_ti=True)
    failed = [
        FailedTask("extract", f"{BASE}/x/extract?try_number=4", try_number=4, alerted=True),
        FailedTask("killed", f"{BASE}/x/killed?try_number=1", try_number=1, alerted=False),
    ]
    alert = dag_failure_alert(ctx, failed, upstream_failed=["publish"])
    slack = render_slack(alert)
    text = all_text(slack)
    assert slack.text.startswith(f"[FAILED] sales_daily run {RUN_ID}: 2 failed tasks")
    assert f"<{BASE}/x/extract?try_number=4|log>" in text
    assert f"<{BASE}/x/killed?try_number=1|log>" in text
    assert text.count("no task alert was sent") == 1
    assert "1 task(s) did not run (upstream failed)" in text
    assert alert.unalerted_tasks == (failed[1],)
    email = render_email(alert)
    assert email.subject == f"[FAILED] sales_daily run {RUN_ID}: 2 failed tasks"
    assert email.html.count("no task alert was sent") == 1


def test_recovery_message():
    alert = recovery_alert(dag_context(reason="success"), "manual__previous")
    slack = render_slack(alert)
    assert slack.text.startswith(f"[RECOVERED] sales_daily: run {RUN_ID} succeeded")
    assert "manual__previous" in all_text(slack)
