"""An SMTP server that records every message (aiosmtpd); a real mail catcher for tests and the stack.

In tests: ``SmtpSink().start()``; as a process: ``python -m devstack.smtp_sink --port 1025 --record DIR``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SmtpSink:
    """Records received messages as parsed ``EmailMessage`` objects (and optionally .eml files)."""

    def __init__(self, port: int = 0, record: Path | None = None) -> None:
        from devstack.procs import free_port

        self.port = port or free_port()
        self.record = record
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            n = len(self.messages)
        if self.record:
            self.record.mkdir(parents=True, exist_ok=True)
            (self.record / f"{int(time.time())}-{n:05d}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return all of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self._lock:
            return list(self.messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    SmtpSink(args.port, args.record).start()
    print(f"smtp sink listening on 127.0.0.1:{args.port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
