"""Reading the Slack webhook sink in end-to-end tests: messages of one run, and log links."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

#: After the expected messages arrived, wait this long to prove no extra one follows.
QUIET_SECONDS = 5.0


def for_run(messages: list, run_id: str) -> list[dict]:
    """The messages that mention ``run_id`` (plain or URL-encoded, as in log links)."""
    encoded = quote(run_id, safe="")
    return [m for m in list(messages) if run_id in json.dumps(m) or encoded in json.dumps(m)]


def settle(sink, run_id: str, expected: int, timeout: float = 60.0) -> list[dict]:
    """Wait for ``expected`` messages about ``run_id``, then QUIET_SECONDS more; return them all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(for_run(sink.messages, run_id)) < expected:
        time.sleep(0.2)
    time.sleep(QUIET_SECONDS)
    return for_run(sink.messages, run_id)


def log_link(stack, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
    """The UI link to one try's log, as the alerts build it from ``[api] base_url``."""
    return f"{stack.base_url}/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}?try_number={try_number}"
