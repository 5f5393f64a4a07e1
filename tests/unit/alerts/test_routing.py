"""Routing: owner / tag / per-DAG override → Slack connection and email recipients, in one place."""

from __future__ import annotations

from types import SimpleNamespace

from dataplatform.alerts.routing import Route, resolve_route, route_for_dag
from dataplatform.alerts.settings import AlertSettings, load_settings, split_emails

SETTINGS = AlertSettings(
    alert_email=("data-alerts@corp.test",),
    routes={
        "finance": {
            "slack_conn_id": "slack_finance",
            "email": "fin@corp.test, cfo@corp.test",
            "owners": ["finance"],
        },
        "ml": {
            "slack_conn_id": "slack_ml",
            "email": ["ml@corp.test"],
            "owners": "ml-team",
            "retry_notices": "true",
        },
    },
)


def test_default_route_is_slack_alerts_plus_configured_email():
    route = resolve_route(owner="nobody-in-particular", settings=SETTINGS)
    assert route == Route(name="default", slack_conn_id="slack_alerts", email=("data-alerts@corp.test",))
    assert route.retry_notices is False
    assert route.recovery_notices is True


def test_default_email_comes_from_config_with_a_fallback(monkeypatch):
    monkeypatch.delenv("AIRFLOW__DATAPLATFORM__ALERT_EMAIL", raising=False)
    assert load_settings().alert_email == ("data-alerts@example.com",)
    monkeypatch.setenv("AIRFLOW__DATAPLATFORM__ALERT_EMAIL", "oncall@corp.test,  second@corp.test")
    assert load_settings().alert_email == ("oncall@corp.test", "second@corp.test")
    assert resolve_route().email == ("oncall@corp.test", "second@corp.test")


def test_routes_from_config_json(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW__DATAPLATFORM__ALERT_ROUTES",
        '{"finance": {"slack_conn_id": "slack_fin", "owners": ["finance"]}}',
    )
    route = resolve_route(owner="finance")
    assert (route.name, route.slack_conn_id) == ("finance", "slack_fin")
    monkeypatch.setenv("AIRFLOW__DATAPLATFORM__ALERT_ROUTES", "{not json")
    assert resolve_route(owner="finance").name == "default"  # a broken setting never breaks alerting


def test_owner_selects_route():
    route = resolve_route(owner="finance", settings=SETTINGS)
    assert route.name == "finance"
    assert route.slack_conn_id == "slack_finance"
    assert route.email == ("fin@corp.test", "cfo@corp.test")
    assert resolve_route(owner="airflow, ml-team", settings=SETTINGS).name == "ml"


def test_tag_beats_owner():
    route = resolve_route(owner="finance", tags={"daily", "alerts:ml"}, settings=SETTINGS)
    assert route.name == "ml"
    assert route.retry_notices is True


def test_dag_override_beats_tag_and_owner():
    by_name = resolve_route(
        default_args={"alert_route": "finance"}, tags={"alerts:ml"}, owner="ml-team", settings=SETTINGS
    )
    assert by_name.name == "finance"
    tweaked = resolve_route(
        default_args={
            "alert_route": {"retry_notices": True, "email": ["me@corp.test"], "runbook_url": "https://wiki/x"}
        },
        owner="finance",
        settings=SETTINGS,
    )
    assert tweaked.name == "finance"  # base route still chosen by owner
    assert tweaked.slack_conn_id == "slack_finance"
    assert tweaked.email == ("me@corp.test",)
    assert tweaked.retry_notices is True
    assert tweaked.runbook_url == "https://wiki/x"
    explicit = resolve_route(
        default_args={"alert_route": {"route": "ml", "slack_conn_id": None}}, settings=SETTINGS
    )
    assert (explicit.name, explicit.slack_conn_id, explicit.email) == ("ml", None, ("ml@corp.test",))


def test_unknown_route_name_falls_back_to_default_channels():
    route = resolve_route(tags={"alerts:typo"}, settings=SETTINGS)
    assert route.name == "typo"
    assert route.slack_conn_id == "slack_alerts"
    assert route.email == ("data-alerts@corp.test",)


def test_route_for_dag_reads_dag_and_task_objects():
    dag = SimpleNamespace(dag_id="d", owner="platform", tags={"x"}, default_args={})
    task = SimpleNamespace(owner="finance")
    assert route_for_dag(dag, task, SETTINGS).name == "finance"  # the task's owner wins
    assert route_for_dag(dag, None, SETTINGS).name == "default"
    assert route_for_dag(None, None, SETTINGS).name == "default"


def test_split_emails():
    assert split_emails(" a@x , ,b@x ") == ("a@x", "b@x")
    assert split_emails(["a@x", " "]) == ("a@x",)
    assert split_emails(None) == ()
