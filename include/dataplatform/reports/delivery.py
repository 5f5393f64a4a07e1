"""Deliver a report edition once per channel -- email to its route's recipients, Slack to its
route's connection -- and say what happened (the send tasks' result)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.steps import failing_for_good
from dataplatform.notifications.slack import SlackMessage
from dataplatform.reports import editions
from dataplatform.reports.email import send_report_message
from dataplatform.reports.settings import load_report_settings, report_route

log = logging.getLogger(__name__)

EMAIL, SLACK = "email", "slack"


def deliver(
    conn_id: str, edition_id: int, channel: str, send: Callable[[editions.Outgoing], str]
) -> dict[str, Any]:
    """:func:`~dataplatform.reports.editions.deliver_once` in its own transaction; the delivery as a dict."""
    with WarehouseHook(postgres_conn_id=conn_id).transaction() as conn:
        delivery, sent = editions.deliver_once(conn, edition_id, channel, send)
    if sent:
        log.info(
            "edition %d sent on %s (issue %d) to %s", edition_id, channel, delivery.issue, delivery.recipients
        )
    else:
        log.info(
            "edition %d was already sent on %s at %s (issue %d): not sending again",
            edition_id,
            channel,
            delivery.sent_at,
            delivery.issue,
        )
    return {
        "channel": channel,
        "sent": sent,
        "issue": delivery.issue,
        "recipients": delivery.recipients,
        "message_id": delivery.message_id,
        "sent_at": delivery.sent_at.isoformat(),
    }


def email_once(
    what: str,
    edition_id: int,
    route: str,
    message_for: Callable[[editions.Outgoing, tuple[str, ...]], EmailMessage],
    *,
    conn_id: str,
    smtp_conn_id: str,
) -> dict[str, Any]:
    """Email the edition to ``route``'s recipients once; ``message_for(outgoing, recipients)``
    builds the message. An unknown route fails ``what`` for good."""
    settings = load_report_settings()
    with failing_for_good(f"{what} email"):
        recipients = report_route(route).email

    def send(outgoing: editions.Outgoing) -> str:
        message = message_for(outgoing, recipients)
        message["X-Report-Edition"] = str(outgoing.edition.id)
        message["X-Report-Issue"] = str(outgoing.issue)
        return ", ".join(send_report_message(message, conn_id=smtp_conn_id, timeout=settings.timeout_seconds))

    return deliver(conn_id, edition_id, EMAIL, send)


def slack_once(
    what: str,
    edition_id: int,
    route: str,
    message_for: Callable[[editions.Outgoing], SlackMessage],
    *,
    conn_id: str,
) -> dict[str, Any]:
    """Post the edition's summary to ``route``'s Slack connection once."""
    from dataplatform.notifications.slack import send_slack

    settings = load_report_settings()
    with failing_for_good(f"{what} Slack summary"):
        slack_conn_id = report_route(route).slack_conn_id
        if not slack_conn_id:
            raise ValueError(f"report route {route!r} has no Slack connection")

    def send(outgoing: editions.Outgoing) -> str:
        send_slack(message_for(outgoing), slack_conn_id, settings.timeout_seconds)
        return slack_conn_id

    return deliver(conn_id, edition_id, SLACK, send)
