"""Slack rendering of alerts (Block Kit + plain-text fallback)."""

from __future__ import annotations

from typing import Any

from dataplatform.alerts.masking import mask_payload, mask_text
from dataplatform.alerts.message import Alert, AlertKind
from dataplatform.notifications.slack import SlackMessage

MAX_LISTED_TASKS = 15
_HEADER_LIMIT = 150
_SECTION_LIMIT = 2900
_EMOJI = {
    AlertKind.TASK_FAILED: ":red_circle:",
    AlertKind.TASK_RETRY: ":warning:",
    AlertKind.DAG_FAILED: ":rotating_light:",
    AlertKind.RECOVERED: ":large_green_circle:",
}


def headline(alert: Alert) -> str:
    """One line, the same for Slack's notification text and the email subject."""
    if alert.kind in (AlertKind.TASK_FAILED, AlertKind.TASK_RETRY):
        return f"[{alert.kind.value}] {alert.target} (try {alert.tries})"
    if alert.kind is AlertKind.DAG_FAILED:
        n = len(alert.failed_tasks)
        tasks = f"{n} failed task{'s' if n != 1 else ''}" if n else "no failed task"
        return f"[FAILED] {alert.dag_id} run {alert.run_id}: {tasks}"
    return f"[RECOVERED] {alert.dag_id}: run {alert.run_id} succeeded"


def plain_text(alert: Alert) -> str:
    """The ``text`` fallback (notifications, screen readers, clients without blocks)."""
    lines = [headline(alert)]
    if alert.error_class or alert.error_text:
        lines.append(f"{alert.error_class or 'Error'}: {alert.error_text or ''}".strip())
    elif alert.reason and alert.kind is not AlertKind.DAG_FAILED:
        lines.append(alert.reason)
    if alert.kind is AlertKind.DAG_FAILED:
        for task in alert.failed_tasks[:MAX_LISTED_TASKS]:
            note = "" if task.alerted is not False else " (no task alert: killed or lost heartbeat)"
            lines.append(f"- {task.label}{note}: {task.log_url}")
    if alert.log_url:
        lines.append(f"Log: {alert.log_url}")
    if alert.runbook_url:
        lines.append(f"Runbook: {alert.runbook_url}")
    lines.append(f"DAG: {alert.dag_url}")
    return "\n".join(lines)


def _fields(alert: Alert) -> list[dict[str, str]]:
    pairs = [("DAG", f"`{alert.dag_id}`")]
    if alert.task_id:
        pairs.append(("Task", f"`{alert.target.split('.', 1)[1]}`"))
    pairs.append(("Run", f"`{alert.run_id}`"))
    if alert.logical_date:
        pairs.append(("Logical date", alert.logical_date))
    if alert.kind in (AlertKind.TASK_FAILED, AlertKind.TASK_RETRY):
        pairs.append(("Try", alert.tries_text))
    if alert.owner:
        pairs.append(("Owner", str(alert.owner)))
    if alert.kind is AlertKind.RECOVERED and alert.previous_run_id:
        pairs.append(("Previous failed run", f"`{alert.previous_run_id}`"))
    return [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in pairs[:10]]


def _task_list(alert: Alert) -> str:
    rows = []
    for task in alert.failed_tasks[:MAX_LISTED_TASKS]:
        tries = f" (try {task.try_number})" if task.try_number else ""
        note = (
            ""
            if task.alerted is not False
            else " :skull: _no task alert was sent: killed (SIGKILL/OOM) or lost heartbeat_"
        )
        rows.append(f"• `{task.label}`{tries}: <{task.log_url}|log>{note}")
    if len(alert.failed_tasks) > MAX_LISTED_TASKS:
        rows.append(f"… and {len(alert.failed_tasks) - MAX_LISTED_TASKS} more (see the run page)")
    if not rows:
        rows.append(
            "_No task instance is in state failed_" + (f" (reason: {alert.reason})" if alert.reason else "")
        )
    if alert.upstream_failed:
        rows.append(f"{len(alert.upstream_failed)} task(s) did not run (upstream failed).")
    return "*Failed tasks*\n" + "\n".join(rows)


def _buttons(alert: Alert) -> list[dict[str, Any]]:
    buttons = []
    if alert.log_url:
        label = f"Log of try {alert.try_number}" if alert.try_number else "Task log"
        buttons.append(_button(label, alert.log_url, primary=True))
    if alert.run_url:
        buttons.append(_button("Run", alert.run_url))
    if alert.runbook_url:
        buttons.append(_button("Runbook", alert.runbook_url))
    buttons.append(_button("DAG docs", alert.dag_url))
    return buttons


def _button(text: str, url: str, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}
    if primary:
        button["style"] = "primary"
    return button


def render_slack(alert: Alert) -> SlackMessage:
    """Block Kit blocks + ``text`` fallback, every string masked."""
    title = f"{_EMOJI[alert.kind]} {headline(alert)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, _HEADER_LIMIT), "emoji": True}},
        {"type": "section", "fields": _fields(alert)},
    ]
    if alert.error_class or alert.error_text:
        error = f"*Error* `{_esc(alert.error_class or 'unknown')}`"
        if alert.error_text:
            error += "\n```" + _esc(alert.error_text).replace("```", "ʼʼʼ") + "```"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(error, _SECTION_LIMIT)}})
    elif alert.reason and alert.kind in (AlertKind.TASK_FAILED, AlertKind.TASK_RETRY):
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_esc(alert.reason), _SECTION_LIMIT)}}
        )
    if alert.kind is AlertKind.DAG_FAILED:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_task_list(alert), _SECTION_LIMIT)}}
        )
    if alert.log_url:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{alert.log_url}|Log of this try>"}}
        )
    blocks.append({"type": "actions", "elements": _buttons(alert)})
    footer = f"route `{alert.route}`" if alert.route else "dataplatform alerts"
    if alert.kind is AlertKind.DAG_FAILED and alert.reason:
        footer += f" · reason: {_esc(alert.reason)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    message = mask_payload({"text": plain_text(alert), "blocks": blocks})
    return SlackMessage(text=message["text"], blocks=message["blocks"])


def _esc(text: str) -> str:
    """Mask first (secrets are registered unescaped), then escape Slack's control characters."""
    return mask_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
