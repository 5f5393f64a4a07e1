"""Email rendering (subject ``[FAILED] dag.task (try n/m)``, HTML + text) and sending via SMTP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from dataplatform.alerts.masking import mask_text
from dataplatform.alerts.message import Alert, AlertKind
from dataplatform.alerts.slack import MAX_LISTED_TASKS, headline, plain_text


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


def _e(text: str) -> str:
    """Mask first (secrets are registered unescaped), then HTML-escape."""
    return escape(mask_text(text))


def _row(name: str, value: str | None) -> str:
    if not value:
        return ""
    return f"<tr><th align='left' style='padding-right:12px'>{_e(name)}</th><td>{_e(str(value))}</td></tr>"


def _link(url: str, text: str) -> str:
    return f"<a href='{escape(mask_text(url), quote=True)}'>{_e(text)}</a>"


def render_email(alert: Alert) -> EmailContent:
    """Subject, HTML and plain-text bodies with the same content as the Slack message, masked."""
    parts = [f"<h2>{_e(headline(alert))}</h2>", "<table>"]
    parts += [
        _row("DAG", alert.dag_id),
        _row("Task", alert.target.split(".", 1)[1] if alert.task_id else None),
        _row("Run", alert.run_id),
        _row("Logical date", alert.logical_date),
        _row(
            "Try", alert.tries_text if alert.kind in (AlertKind.TASK_FAILED, AlertKind.TASK_RETRY) else None
        ),
        _row("Owner", alert.owner),
        _row("Previous failed run", alert.previous_run_id),
        "</table>",
    ]
    if alert.error_class or alert.error_text:
        parts.append(f"<p><b>Error</b> <code>{_e(alert.error_class or 'unknown')}</code></p>")
        if alert.error_text:
            parts.append(f"<pre>{_e(alert.error_text)}</pre>")
    elif alert.reason and alert.kind is not AlertKind.DAG_FAILED:
        parts.append(f"<p>{_e(alert.reason)}</p>")
    if alert.kind is AlertKind.DAG_FAILED:
        parts.append("<p><b>Failed tasks</b></p><ul>")
        for task in alert.failed_tasks[:MAX_LISTED_TASKS]:
            note = (
                ""
                if task.alerted is not False
                else " &mdash; <b>no task alert was sent</b>: killed (SIGKILL/OOM) or lost heartbeat"
            )
            tries = f" (try {task.try_number})" if task.try_number else ""
            parts.append(f"<li><code>{_e(task.label)}</code>{tries}: {_link(task.log_url, 'log')}{note}</li>")
        if not alert.failed_tasks:
            parts.append(f"<li>No task instance is in state failed (reason: {_e(alert.reason or '?')})</li>")
        parts.append("</ul>")
        if alert.upstream_failed:
            parts.append(f"<p>{len(alert.upstream_failed)} task(s) did not run (upstream failed).</p>")
    links = []
    if alert.log_url:
        links.append(
            _link(alert.log_url, f"Log of try {alert.try_number}" if alert.try_number else "Task log")
        )
    if alert.run_url:
        links.append(_link(alert.run_url, "Run"))
    if alert.runbook_url:
        links.append(_link(alert.runbook_url, "Runbook"))
    links.append(_link(alert.dag_url, "DAG docs"))
    parts.append("<p>" + " | ".join(links) + "</p>")
    if alert.route:
        parts.append(f"<p style='color:#888'>route {_e(alert.route)}</p>")
    return EmailContent(
        subject=mask_text(headline(alert)),
        html=mask_text("\n".join(p for p in parts if p)),
        text=mask_text(plain_text(alert)),
    )


def send_email(
    content: EmailContent,
    to: Sequence[str],
    conn_id: str,
    timeout: int,
    from_email: str | None = None,
) -> None:
    """Send through :class:`~dataplatform.notifications.email.AlertEmailNotifier`. Raises on failure."""
    from dataplatform.notifications.email import AlertEmailNotifier

    if not to:
        raise ValueError("no email recipients on this alert route")
    notifier = AlertEmailNotifier(
        to=list(to),
        subject=content.subject,
        html_content=content.html,
        text_content=content.text,
        from_email=from_email,
        smtp_conn_id=conn_id,
        max_timeout=timeout,
    )
    # Fill from_email from the connection if needed; no Jinja rendering of the alert text.
    notifier.notify({})
