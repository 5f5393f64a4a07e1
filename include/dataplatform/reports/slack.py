"""A report's Slack summary: a headline, a few figures, a link (Block Kit + plain-text fallback)."""

from __future__ import annotations

from collections.abc import Sequence

from dataplatform.notifications.slack import SlackMessage

_FIELD_LIMIT = 10  # Slack: at most 10 fields per section


def summary_message(
    headline: str,
    fields: Sequence[tuple[str, str]],
    *,
    lines: Sequence[str] = (),
    link: tuple[str, str] | None = None,
    footer: str | None = None,
) -> SlackMessage:
    """``headline`` as header, ``fields`` as label/value pairs, ``lines`` as text, ``link`` = (text, url)."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": headline[:150]}}]
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{_esc(label)}*\n{_esc(value)}"}
                    for label, value in fields[:_FIELD_LIMIT]
                ],
            }
        )
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if link:
        text, url = link
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}],
            }
        )
    if footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _esc(footer)}]})
    fallback = [headline, *(f"{label}: {value}" for label, value in fields), *lines]
    if link:
        fallback.append(f"{link[0]}: {link[1]}")
    return SlackMessage(text="\n".join(fallback), blocks=blocks)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
