"""Secrets registered with Airflow's masker, connection passwords and URL credentials never appear."""

from __future__ import annotations

import json

import pytest

from dataplatform.alerts.email import render_email
from dataplatform.alerts.masking import mask_payload, mask_text, register_connection_secrets
from dataplatform.alerts.message import AlertKind, FailedTask, dag_failure_alert, task_alert
from dataplatform.alerts.slack import render_slack
from tests.support.alert_context import dag_context, task_context

CONN_PASSWORD = "conn-pw-unit-5c1e9a"
REGISTERED = "registered-secret-0b77d4"


@pytest.fixture
def secrets(monkeypatch):
    """A registered secret (as a task would ``mask_secret`` it) and a connection with a password."""
    from airflow.sdk.log import mask_secret

    mask_secret(REGISTERED)
    monkeypatch.setenv(
        "AIRFLOW_CONN_UNIT_VAULTED_DB",
        json.dumps({"conn_type": "postgres", "host": "db", "login": "app", "password": CONN_PASSWORD}),
    )
    register_connection_secrets(["unit_vaulted_db", "missing_conn_is_fine"])


def rendered(alert) -> str:
    slack = render_slack(alert)
    email = render_email(alert)
    return json.dumps(slack.blocks) + slack.text + email.subject + email.html + email.text


def test_task_alert_never_shows_registered_secret_or_connection_password(secrets):
    message = (
        f"auth failed for token {REGISTERED}; retried with {CONN_PASSWORD}\n"
        f"dsn=postgresql://app:{CONN_PASSWORD}@db:5432/dw"
    )
    out = rendered(task_alert(task_context(exception=RuntimeError(message)), AlertKind.TASK_FAILED))
    assert REGISTERED not in out
    assert CONN_PASSWORD not in out
    assert "postgresql://app:***@db:5432/dw" in out
    assert "auth failed for token ***" in out


def test_summary_reason_and_task_labels_are_masked(secrets):
    alert = dag_failure_alert(
        dag_context(reason=f"timed out talking to {REGISTERED}"),
        [FailedTask("t", "http://x/t", alerted=False)],
    )
    out = rendered(alert)
    assert REGISTERED not in out
    assert "timed out talking to ***" in out


def test_secret_with_html_characters_is_masked_before_escaping(monkeypatch):
    from airflow.sdk.log import mask_secret

    tricky = "p&ss<w>rd-4471"
    mask_secret(tricky)
    out = rendered(
        task_alert(task_context(exception=ValueError(f"bad password {tricky}")), AlertKind.TASK_FAILED)
    )
    assert tricky not in out
    assert "p&amp;ss&lt;w&gt;rd-4471" not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("https://user:tok%2Fen@api.example.com/v1", "https://user:***@api.example.com/v1"),
        ("password=hunter2 user=bob", "password=*** user=bob"),
        ('{"api_key": "abc123"}', '{"api_key": "***"}'),
        ("https://example.com/path?x=1", "https://example.com/path?x=1"),
        ("no secrets here: just text", "no secrets here: just text"),
    ],
)
def test_credential_patterns(text, expected):
    assert mask_text(text) == expected


def test_mask_payload_walks_nested_structures():
    from airflow.sdk.log import mask_secret

    mask_secret("nested-secret-value-9")
    payload = {"blocks": [{"text": {"text": "x nested-secret-value-9 y"}}], "n": 3, "ok": True}
    assert mask_payload(payload) == {"blocks": [{"text": {"text": "x *** y"}}], "n": 3, "ok": True}
