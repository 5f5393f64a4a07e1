"""The daily report's steps: build (collect the facts) -> send_email | post_slack, each once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from dataplatform.conn_ids import AIRFLOW_API_CONN_ID, SMTP_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.airflow_api import AirflowApiHook
from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.contract import SourceContract
from dataplatform.reports import editions
from dataplatform.reports.daily.build import build_daily
from dataplatform.reports.daily.render import render_email, slack_summary
from dataplatform.reports.delivery import email_once, slack_once
from dataplatform.reports.email import report_message


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
    """Email the day's edition to the route, once."""

    def message(outgoing: editions.Outgoing, recipients: tuple[str, ...]) -> EmailMessage:
        subject, html, text = render_email(
            outgoing.edition.figures,
            edition_id=outgoing.edition.id,
            issue=outgoing,
            api_url=AirflowApiHook(api_conn_id).base_url,
        )
        return report_message(
            subject=subject, to=recipients, html=html, text=text, message_id=outgoing.message_id
        )

    what = f"daily report {built['day']}"
    return email_once(what, built["edition_id"], route, message, conn_id=conn_id, smtp_conn_id=smtp_conn_id)


def post_slack(built: dict[str, Any], *, route: str, conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, Any]:
    """Post the day's summary to the route's Slack connection, once."""
    return slack_once(
        f"daily report {built['day']}",
        built["edition_id"],
        route,
        lambda outgoing: slack_summary(outgoing.edition.figures, outgoing),
        conn_id=conn_id,
    )
