"""Alerting settings, read from the ``[dataplatform]`` config section (env ``AIRFLOW__DATAPLATFORM__*``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DEFAULT_ALERT_EMAIL = "data-alerts@example.com"
DEFAULT_TIMEOUT_SECONDS = 5
DEFAULT_LEDGER_TTL_DAYS = 7


@dataclass(frozen=True)
class AlertSettings:
    """What a deployment tunes without touching DAG files.

    * ``alert_email``: recipients of the default route (comma separated).
    * ``alert_timeout_seconds``: per-channel delivery timeout (Slack webhook, SMTP connect).
    * ``alert_routes``: JSON object ``{route_name: {slack_conn_id, email, owners, retry_notices, ...}}``.
    * ``alert_from_email``: sender address when the SMTP connection defines none.
    * ``alert_ledger_ttl_days``: how long dedup records of finished runs are kept.
    """

    alert_email: tuple[str, ...] = (DEFAULT_ALERT_EMAIL,)
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    routes: dict[str, dict[str, Any]] | None = None
    from_email: str | None = None
    ledger_ttl_days: int = DEFAULT_LEDGER_TTL_DAYS


def split_emails(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"a@x, b@x"`` or a list → a tuple of stripped, non-empty addresses."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(a.strip() for a in items if a and a.strip())


def load_settings() -> AlertSettings:
    """Current settings; any unreadable value falls back to its default (alerting must not crash)."""
    from airflow.sdk import conf

    def get(key: str) -> str | None:
        try:
            value = conf.get("dataplatform", key, fallback=None)
        except Exception:
            return None
        return value if value not in (None, "") else None

    routes: dict[str, dict[str, Any]] | None = None
    if raw := get("alert_routes"):
        try:
            parsed = json.loads(raw)
            routes = parsed if isinstance(parsed, dict) else None
        except ValueError:
            routes = None
    return AlertSettings(
        alert_email=split_emails(get("alert_email")) or (DEFAULT_ALERT_EMAIL,),
        timeout_seconds=_to_int(get("alert_timeout_seconds"), DEFAULT_TIMEOUT_SECONDS),
        routes=routes,
        from_email=get("alert_from_email"),
        ledger_ttl_days=_to_int(get("alert_ledger_ttl_days"), DEFAULT_LEDGER_TTL_DAYS),
    )


def _to_int(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value is not None else default
    except ValueError:
        return default
