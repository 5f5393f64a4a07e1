"""Secrets never leave in an alert: Airflow's secrets masker plus URL / key=value credential patterns.

Airflow 3.3 has two masker singletons: the Task SDK's (``airflow.sdk.log`` → ``airflow.sdk._shared
.secrets_masker``; task processes and dag-processor callbacks register connection passwords and
``mask_secret`` values there) and airflow-core's (``airflow._shared.secrets_masker``; used by
``airflow.models.Connection`` in server processes such as the scheduler). Alerts are redacted with
both, then with patterns Airflow does not know (credentials embedded in URLs, ``password=…``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

MASK = "***"

#: ``scheme://user:password@host`` → ``scheme://user:***@host``
_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)@")
#: ``password=…``, ``token: …``, ``"api_key": "…"`` and friends
_KEY_VALUE = re.compile(
    r"""(?P<head>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)
        ["']?\s*[=:]\s*["']?)(?P<secret>[^\s"'&,;]+)""",
    re.IGNORECASE | re.VERBOSE,
)


def _maskers() -> list[Callable[[str], Any]]:
    found = []
    try:
        from airflow.sdk.log import redact as sdk_redact

        found.append(sdk_redact)
    except ImportError:  # pragma: no cover - always present on Airflow 3.3
        pass
    try:  # only populated in server processes (scheduler, api-server)
        from airflow._shared.secrets_masker import redact as core_redact

        found.append(core_redact)
    except ImportError:  # pragma: no cover
        pass
    return found


def mask_text(text: str | None) -> str:
    """``text`` with every registered secret and credential pattern replaced by ``***``."""
    if not text:
        return text or ""
    out = text
    for redact in _maskers():
        try:
            redacted = redact(out)
        except Exception:  # a masker bug must not lose the alert
            log.debug("secrets masker failed", exc_info=True)
            continue
        if isinstance(redacted, str):
            out = redacted
    out = _URL_CREDENTIALS.sub(lambda m: f"{m['head']}{MASK}@", out)
    return _KEY_VALUE.sub(lambda m: f"{m['head']}{MASK}", out)


def mask_payload(value: Any) -> Any:
    """Deep copy of a JSON-like payload (dicts, lists, strings) with :func:`mask_text` on every string."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_payload(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_payload(v) for v in value]
    return value


def register_connection_secrets(conn_ids: Iterable[str | None]) -> None:
    """Fetch the alert connections first, so their passwords (the Slack webhook URL is one) are
    registered with the masker before any alert text is rendered. Missing connections are fine."""
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # pragma: no cover
        return
    for conn_id in filter(None, conn_ids):
        try:
            conn = BaseHook.get_connection(conn_id)
        except Exception:
            continue
        if conn.password:
            mask_secret(conn.password)


def mask_secret(secret: str) -> None:
    """Register ``secret`` with the Task SDK masker (and airflow-core's, in server processes)."""
    try:
        from airflow.sdk.log import mask_secret as sdk_mask

        sdk_mask(secret)
    except Exception:  # pragma: no cover
        log.debug("could not register secret with the SDK masker", exc_info=True)
    try:
        from airflow._shared.secrets_masker import mask_secret as core_mask

        core_mask(secret)
    except Exception:  # pragma: no cover
        pass
