"""Send an alert on its route: Slack first, email as the fallback. Never raises.

A failing alert channel (Slack answers 500, hangs, connection missing; SMTP down) is logged and
must never hide the task's own failure or break the callback that called us.

Time budget: task callbacks run after the task reported its final state, and the supervisor
SIGTERMs the task process ``[core] task_success_overtime`` (20 s) later. Each channel is bounded
by ``[dataplatform] alert_timeout_seconds`` (5 s; no Slack client retries, no SMTP reconnects), so
a hanging Slack plus the email fallback stay well inside that window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from dataplatform.alerts.email import render_email, send_email
from dataplatform.alerts.masking import mask_text, register_connection_secrets
from dataplatform.alerts.message import Alert
from dataplatform.alerts.routing import Route
from dataplatform.alerts.settings import AlertSettings, load_settings
from dataplatform.alerts.slack import render_slack
from dataplatform.conn_ids import SMTP_CONN_ID
from dataplatform.notifications.slack import send_slack

log = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    """Which channels took the alert, and why the others did not."""

    delivered: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.delivered)

    @property
    def channel(self) -> str | None:
        return ",".join(self.delivered) or None


def deliver(
    alert: Alert,
    route: Route,
    *,
    settings: AlertSettings | None = None,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> DeliveryResult:
    """Slack on ``route.slack_conn_id``; on any Slack failure (or ``always_email``) email to
    ``route.email`` via ``smtp_conn_id``. Each channel is bounded by ``alert_timeout_seconds``."""
    result = DeliveryResult()
    try:
        settings = settings or load_settings()
        register_connection_secrets([route.slack_conn_id, smtp_conn_id])
    except Exception as err:  # pragma: no cover - settings/masker trouble must not lose the alert
        log.warning("alert setup problem (continuing): %s", err)
        settings = settings or AlertSettings()

    if route.slack_conn_id:
        try:
            send_slack(render_slack(alert), route.slack_conn_id, settings.timeout_seconds)
            result.delivered.append("slack")
        except Exception as err:
            result.errors["slack"] = _describe(err)
            log.warning(
                "Slack alert %r via connection %r failed (%s); falling back to email %s",
                alert.kind.value,
                route.slack_conn_id,
                result.errors["slack"],
                ", ".join(route.email) or "(no recipients)",
            )
    else:
        result.errors["slack"] = "route has no Slack connection"

    if "slack" not in result.delivered or route.always_email:
        try:
            send_email(
                render_email(alert), route.email, smtp_conn_id, settings.timeout_seconds, settings.from_email
            )
            result.delivered.append("email")
        except Exception as err:
            result.errors["email"] = _describe(err)
            log.warning("Email alert via connection %r failed: %s", smtp_conn_id, result.errors["email"])

    if result.ok:
        log.info("Alert %s %s delivered via %s", alert.kind.value, alert.target, result.channel)
    else:
        log.error(
            "Alert %s %s could NOT be delivered on route %r: %s",
            alert.kind.value,
            alert.target,
            route.name,
            result.errors,
        )
    return result


def _describe(err: BaseException) -> str:
    return mask_text(f"{type(err).__name__}: {err}")[:500]
