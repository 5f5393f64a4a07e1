"""A Slack message (Block Kit + plain-text fallback) and its sending through ``SlackWebhookNotifier``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlackMessage:
    """What one webhook post carries: the notification ``text`` and the Block Kit ``blocks``."""

    text: str
    blocks: list[dict[str, Any]]


def send_slack(message: SlackMessage, conn_id: str, timeout: int) -> None:
    """POST through the official ``SlackWebhookNotifier`` (no Jinja rendering of alert text, no
    client-side retries: a hanging webhook costs at most ``timeout`` seconds). Raises on failure."""
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    notifier = SlackWebhookNotifier(
        slack_webhook_conn_id=conn_id,
        text=message.text,
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
        timeout=timeout,
        retry_handlers=[],
    )
    # notify(), not __call__(): __call__ renders Jinja in the text, and an exception message
    # containing "{{" must not break (or be evaluated in) the alert.
    notifier.notify({})
