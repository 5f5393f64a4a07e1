"""``SmtpNotifier`` that sends a readable alert: ``multipart/alternative`` with text AND HTML parts.

The SMTP provider's hook only attaches an HTML part; this thin layer inserts the plain-text
alternative in front of it and bounds the connect timeout / retries so that an alert can never hold
a task (or the dag-processor) for long. :meth:`AlertSmtpHook.send_message` sends a ready MIME
message (the reports' inline charts and attachments, which the provider's builder cannot make).
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage
from email.mime.text import MIMEText
from functools import cached_property
from typing import Any

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from dataplatform.conn_ids import SMTP_CONN_ID


class AlertSmtpHook(SmtpHook):
    """``SmtpHook`` with an optional text/plain alternative and capped timeout / retry count."""

    def __init__(
        self,
        smtp_conn_id: str = SMTP_CONN_ID,
        auth_type: str = "basic",
        *,
        text_content: str | None = None,
        max_timeout: int | None = None,
        max_retries: int = 0,
    ) -> None:
        super().__init__(smtp_conn_id=smtp_conn_id, auth_type=auth_type)
        self.text_content = text_content
        self.max_timeout = max_timeout
        self.max_retries = max_retries

    @property
    def timeout(self) -> int:
        configured = super().timeout
        return min(configured, self.max_timeout) if self.max_timeout else configured

    @property
    def smtp_retry_limit(self) -> int:
        return min(super().smtp_retry_limit, self.max_retries)

    def _build_mime_message(self, *args: Any, **kwargs: Any):
        msg, recipients = super()._build_mime_message(*args, **kwargs)
        if self.text_content and msg.get_content_subtype() == "alternative":
            charset = kwargs.get("mime_charset", "utf-8")
            # RFC 2046: alternatives in increasing order of preference, so text first, HTML last.
            msg.get_payload().insert(0, MIMEText(self.text_content, "plain", charset))
        return msg, recipients

    def send_message(self, message: EmailMessage) -> list[str]:
        """Send ``message`` to its To/Cc/Bcc through the connection (``From`` defaults to the
        connection's ``from_email``); return the recipients. Raises on failure."""
        recipients = [
            address.strip()
            for header in ("To", "Cc", "Bcc")
            for value in message.get_all(header, [])
            for address in str(value).split(",")
            if address.strip()
        ]
        if not recipients:
            raise ValueError("the message has no recipients")
        with self:
            self.get_conn()
            if not message["From"]:
                if not self.from_email:
                    raise ValueError(
                        f"SMTP connection {self.smtp_conn_id!r} has no from_email and the message no From"
                    )
                message["From"] = self.from_email
            del message["Bcc"]
            self._smtp_client.send_message(message, to_addrs=recipients)  # type: ignore[union-attr]
        return recipients


class AlertEmailNotifier(SmtpNotifier):
    """Email notifier for alerts: subject + HTML + plain text, via the ``smtp_default`` connection.

    .. code-block:: python

        AlertEmailNotifier(to="oncall@example.com", subject="[FAILED] dag.task (try 2/2)",
                           html_content="<p>…</p>", text_content="…")
    """

    template_fields = (*SmtpNotifier.template_fields, "text_content")

    def __init__(
        self,
        to: str | Iterable[str],
        *,
        text_content: str | None = None,
        smtp_conn_id: str | None = SMTP_CONN_ID,
        max_timeout: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mime_subtype", "alternative")
        super().__init__(to=to, smtp_conn_id=smtp_conn_id, **kwargs)
        self.text_content = text_content
        self.max_timeout = max_timeout

    @cached_property
    def hook(self) -> AlertSmtpHook:
        return AlertSmtpHook(
            smtp_conn_id=self.smtp_conn_id,
            auth_type=self.auth_type,
            text_content=self.text_content,
            max_timeout=self.max_timeout,
        )
