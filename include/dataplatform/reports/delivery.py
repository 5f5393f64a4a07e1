"""Deliver a report edition on a channel once, and say what happened (the send tasks' result)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.reports import editions

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
