"""The daily report's steps: build (collect the facts) -> send_email | post_slack, each once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dataplatform.conn_ids import AIRFLOW_API_CONN_ID, SMTP_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.airflow_api import AirflowApiHook
from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.steps import failing_for_good
from dataplatform.reports import editions
from dataplatform.reports.daily.build import build_daily
from dataplatform.reports.daily.render import render_email, slack_summary
from dataplatform.reports.delivery import EMAIL, SLACK, deliver
from dataplatform.reports.email import report_message, send_report_message
from dataplatform.reports.settings import load_report_settings, report_route


def build(
    contracts: Sequence[SourceContract],
    day: dt.date,
    *,
    dag_id: str,
    run_id: str,
    try_number: int,
    conn_id: str = WAREHOUSE_CONN_ID,
    api_conn_id: str = AIRFLOW_API_CONN_ID,
) -> dict[str, Any]:
    return build_daily(
        AirflowApiHook(api_conn_id),
        WarehouseHook(postgres_conn_id=conn_id),
        contracts,
        day,
        dag_id=dag_id,
        run_id=run_id,
        try_number=try_number,
    )


def send_email(
    built: dict[str, Any],
    *,
    route: str,
    conn_id: str = WAREHOUSE_CONN_ID,
    smtp_conn_id: str = SMTP_CONN_ID,
    api_conn_id: str = AIRFLOW_API_CONN_ID,
) -> dict[str, Any]:
    settings = load_report_settings()
    with failing_for_good(f"daily report {built['day']} email"):
        recipients = report_route(route).email

    def send(outgoing: editions.Outgoing) -> str:
        subject, html, text = render_email(
            outgoing.edition.figures,
            edition_id=outgoing.edition.id,
            issue=outgoing,
            api_url=AirflowApiHook(api_conn_id).base_url,
        )
        message = report_message(
            subject=subject,
            to=recipients,
            html=html,
            text=text,
            message_id=outgoing.message_id,
            headers={"X-Report-Edition": str(outgoing.edition.id), "X-Report-Issue": str(outgoing.issue)},
        )
        return ", ".join(send_report_message(message, conn_id=smtp_conn_id, timeout=settings.timeout_seconds))

    return deliver(conn_id, built["edition_id"], EMAIL, send)


def post_slack(built: dict[str, Any], *, route: str, conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, Any]:
    from dataplatform.notifications.slack import send_slack

    settings = load_report_settings()
    with failing_for_good(f"daily report {built['day']} Slack summary"):
        slack_conn_id = report_route(route).slack_conn_id
        if not slack_conn_id:
            raise ValueError(f"report route {route!r} has no Slack connection")

    def send(outgoing: editions.Outgoing) -> str:
        send_slack(slack_summary(outgoing.edition.figures, outgoing), slack_conn_id, settings.timeout_seconds)
        return slack_conn_id

    return deliver(conn_id, built["edition_id"], SLACK, send)
