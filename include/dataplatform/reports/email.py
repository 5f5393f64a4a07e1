"""A report email: HTML with inline charts (``cid:``), a plain-text alternative, attached files.

Structure (what mail clients expect)::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html            <img src="cid:revenue_trend">
          image/png            Content-ID: <revenue_trend>
      text/csv (attachment)    ...

Sent through :meth:`dataplatform.notifications.email.AlertSmtpHook.send_message` on the SMTP
connection (``smtp_default``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate

from dataplatform.conn_ids import SMTP_CONN_ID


def report_message(
    *,
    subject: str,
    to: Sequence[str],
    html: str,
    text: str,
    images: Mapping[str, bytes] | None = None,
    attachments: Mapping[str, bytes] | None = None,
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The email (see the module docstring); ``images`` by Content-ID name, ``attachments`` by file name."""
    if not to:
        raise ValueError("a report email needs recipients")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for name, data in (images or {}).items():
        html_part.add_related(
            data,
            maintype="image",
            subtype="png",
            cid=f"<{name}>",
            disposition="inline",
            filename=f"{name}.png",
        )
    for filename, data in (attachments or {}).items():
        maintype, subtype = ("text", "csv") if filename.endswith(".csv") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_report_message(
    message: EmailMessage, *, conn_id: str = SMTP_CONN_ID, timeout: int = 30
) -> list[str]:
    """Send through the SMTP connection (no reconnect retries: the task's retry is the retry)."""
    from dataplatform.notifications.email import AlertSmtpHook

    return AlertSmtpHook(smtp_conn_id=conn_id, max_timeout=timeout).send_message(message)
