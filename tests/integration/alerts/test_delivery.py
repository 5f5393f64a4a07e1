"""Alerts against the real Slack webhook sink and SMTP sink (``slack_alerts`` / ``smtp_default``).

Each test uses its own run id and only counts messages naming it, so a late webhook call from a
previous test (the sink's "hang" mode answers after 20 s) can never be miscounted.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest

from dataplatform.alerts import on_dag_failure, on_dag_success, on_task_failure, on_task_retry
from dataplatform.alerts.callbacks import handle_dag_failure
from dataplatform.alerts.delivery import deliver
from dataplatform.alerts.message import AlertKind, task_alert
from dataplatform.alerts.routing import Route
from tests.support.alert_context import dag_context, task_context
from tests.support.alert_ledger import MemoryLedger

pytestmark = pytest.mark.integration

SECRET = "integration-secret-3e9b51"
DEFAULT_EMAIL = "data-alerts@example.com"
#: Quiet period after the expected messages arrived, to catch duplicates.
QUIET_SECONDS = 1.5


@pytest.fixture
def run_id() -> str:
    return f"manual__it_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def ledger(monkeypatch):
    memory = MemoryLedger()
    monkeypatch.setattr("dataplatform.alerts.callbacks.get_ledger", lambda: memory)
    return memory


@pytest.fixture
def secret():
    from airflow.sdk.log import mask_secret

    mask_secret(SECRET)
    return SECRET


def about(messages, run_id: str) -> list:
    """Slack payloads (dicts) or emails that mention ``run_id``."""
    out = []
    for m in list(messages):
        text = json.dumps(m) if isinstance(m, dict) else email_text(m)
        if run_id in text or run_id.replace(":", "%3A") in text:
            out.append(m)
    return out


def email_text(mail) -> str:
    """Subject and decoded bodies of an email (bodies are transfer-encoded on the wire)."""
    parts = [str(mail["Subject"])]
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def wait_about(sink, run_id: str, count: int, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = about(sink.messages, run_id)
        if len(found) >= count:
            break
        time.sleep(0.1)
    time.sleep(QUIET_SECONDS)
    return about(sink.messages, run_id)


def failing_context(run_id: str, secret: str, **kw):
    message = f"COPY into dw.sales failed: password {secret} rejected by postgresql://loader:{secret}@dw:5432/dw\nline two"
    return task_context(run_id=run_id, try_number=2, max_tries=1, exception=RuntimeError(message), **kw)


def test_failed_alert_reaches_slack_with_log_link_try_and_masked_secret(
    slack_sink, smtp_sink, ledger, run_id, secret
):
    on_task_failure(failing_context(run_id, secret))

    [payload] = wait_about(slack_sink, run_id, 1)
    raw = json.dumps(payload)
    assert payload["text"].startswith("[FAILED] sales_daily.load (try 2/2)")
    assert f"/dags/sales_daily/runs/{run_id}/tasks/load?try_number=2" in raw
    assert "try 2 of 2 (no retries left)" in raw
    assert "RuntimeError" in raw and "COPY into dw.sales failed" in raw
    assert secret not in raw
    assert "postgresql://loader:***@dw:5432/dw" in raw
    assert any(b["type"] == "actions" for b in payload["blocks"])
    assert about(smtp_sink.messages, run_id) == []  # Slack worked: no email


def test_slack_500_falls_back_to_email_with_readable_subject(slack_sink, smtp_sink, ledger, run_id, secret):
    slack_sink.mode = "error"
    on_task_failure(failing_context(run_id, secret))

    [mail] = wait_about(smtp_sink, run_id, 1)
    assert mail["Subject"] == "[FAILED] sales_daily.load (try 2/2)"
    assert mail["To"] == DEFAULT_EMAIL
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert f"/dags/sales_daily/runs/{run_id}/tasks/load?try_number=2" in body
        assert "COPY into dw.sales failed" in body
        assert secret not in body
    assert "try 2 of 2 (no retries left)" in html
    assert about(slack_sink.messages, run_id) == []


def test_slack_hang_falls_back_within_the_timeout(slack_sink, smtp_sink, ledger, run_id, secret):
    slack_sink.mode = "hang"  # the sink answers after 20 s
    started = time.monotonic()
    on_task_failure(failing_context(run_id, secret))
    elapsed = time.monotonic() - started

    assert elapsed < 10, f"the callback held the task for {elapsed:.1f}s"
    assert elapsed >= 4.5  # it did wait for Slack (5 s timeout), no silent skip
    [mail] = wait_about(smtp_sink, run_id, 1, timeout=5)
    assert mail["Subject"] == "[FAILED] sales_daily.load (try 2/2)"


def test_missing_slack_connection_falls_back_to_email(slack_sink, smtp_sink, ledger, run_id, secret, caplog):
    ctx = failing_context(
        run_id, secret, default_args={"alert_route": {"slack_conn_id": "slack_not_configured"}}
    )
    with caplog.at_level(logging.WARNING, logger="dataplatform.alerts.delivery"):
        on_task_failure(ctx)

    [mail] = wait_about(smtp_sink, run_id, 1)
    assert mail["Subject"] == "[FAILED] sales_daily.load (try 2/2)"
    assert "slack_not_configured" in caplog.text and "falling back to email" in caplog.text


def test_every_channel_down_is_logged_and_never_raises(slack_sink, ledger, run_id, secret, caplog):
    slack_sink.mode = "error"
    alert = task_alert(failing_context(run_id, secret), AlertKind.TASK_FAILED)
    with caplog.at_level(logging.ERROR, logger="dataplatform.alerts.delivery"):
        result = deliver(alert, Route(email=("x@example.com",)), smtp_conn_id="smtp_not_configured")
    assert not result.ok
    assert set(result.errors) == {"slack", "email"}
    assert "could NOT be delivered" in caplog.text
    assert secret not in caplog.text

    # and through the callback: nothing escapes
    ctx = failing_context(
        run_id, secret, default_args={"alert_route": {"slack_conn_id": "nope", "email": []}}
    )
    on_task_failure(ctx)
    assert (
        ledger.memory.values == {}
    )  # undelivered alerts are not recorded: the run summary will name the task


def test_duplicate_callbacks_for_one_try_send_one_alert(slack_sink, ledger, run_id):
    """A heartbeat timeout makes Airflow 3.3.2 run the task's failure callback twice in the
    dag-processor (no exception, ti.state unset): one alert."""
    ctx = task_context(run_id=run_id, try_number=1, max_tries=0, state=None)
    on_task_failure(ctx)
    on_task_failure(ctx)
    [payload] = wait_about(slack_sink, run_id, 1)
    assert payload["text"].startswith("[FAILED] sales_daily.load (try 1/1)")
    assert "SIGKILL" in json.dumps(payload)


def test_retry_notices_only_when_the_route_enables_them(slack_sink, ledger, run_id):
    exc = TimeoutError("upstream slow")
    on_task_retry(task_context(run_id=run_id, try_number=1, max_tries=2, state="up_for_retry", exception=exc))
    # the dag-processor may call on_failure_callback for a retry (#65400): still no FAILED alert
    on_task_failure(task_context(run_id=run_id, try_number=1, max_tries=2, state=None))
    assert wait_about(slack_sink, run_id, 1, timeout=2) == []

    ctx = task_context(
        run_id=run_id,
        try_number=1,
        max_tries=2,
        state="up_for_retry",
        exception=exc,
        default_args={"alert_route": {"retry_notices": True}},
    )
    on_task_retry(ctx)
    [payload] = wait_about(slack_sink, run_id, 1)
    assert payload["text"].startswith("[RETRY] sales_daily.load (try 1/3)")


def test_run_summary_names_the_killed_task_and_recovery_follows(slack_sink, ledger, run_id, secret):
    # task "load" got its own alert; "killed" was SIGKILLed and got none
    on_task_failure(failing_context(run_id, secret))
    states = {("load", -1): "failed", ("killed", -1): "failed", ("report", -1): "upstream_failed"}
    killed_ti = task_context(run_id=run_id, task_id="killed", try_number=1, max_tries=0, state=None)["ti"]
    handle_dag_failure(dag_context(run_id=run_id, last_ti=killed_ti), states=states)
    on_dag_failure(dag_context(run_id=run_id, last_ti=killed_ti))  # a second run-failure callback: no repeat

    task_msg, summary = wait_about(slack_sink, run_id, 2)
    assert task_msg["text"].startswith("[FAILED] sales_daily.load")
    raw = json.dumps(summary)
    assert summary["text"].startswith(f"[FAILED] sales_daily run {run_id}: 2 failed tasks")
    assert f"/runs/{run_id}/tasks/killed?try_number=1|log>" in raw
    assert f"/runs/{run_id}/tasks/load?try_number=2|log>" in raw
    assert raw.count("no task alert was sent") == 1  # only the killed task is flagged
    # a late duplicate task callback for the killed try is now quiet
    on_task_failure(task_context(run_id=run_id, task_id="killed", try_number=1, max_tries=0, state=None))

    next_run = f"{run_id}_next"
    on_dag_success(dag_context(run_id=next_run, reason="success"))
    [recovered] = wait_about(slack_sink, next_run, 1)
    assert recovered["text"].startswith(f"[RECOVERED] sales_daily: run {next_run} succeeded")
    assert run_id in json.dumps(recovered)
    on_dag_success(dag_context(run_id=f"{run_id}_again", reason="success"))  # no second recovery
    assert wait_about(slack_sink, f"{run_id}_again", 1, timeout=1) == []
    assert len(about(slack_sink.messages, run_id)) == 3
