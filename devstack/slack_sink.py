"""A Slack incoming-webhook stand-in: records every JSON payload; can answer 500 or hang.

In tests it runs in a thread (``SlackSink().start()``); for the local stack as a process:
``python -m devstack.slack_sink --port 8090 --record .local/slack.jsonl``.
``GET /_messages`` lists what was received; ``POST /_mode`` with ``{"mode": "ok|error|hang"}`` switches.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODES = ("ok", "error", "hang")


class SlackSink:
    """HTTP server recording webhook payloads, with a switchable failure mode."""

    def __init__(
        self, port: int = 0, record: Path | None = None, hang_seconds: float = 30.0, host: str = "127.0.0.1"
    ) -> None:
        self.messages: list[dict[str, Any]] = []
        self.mode = "ok"
        self.hang_seconds = hang_seconds
        self.record = record
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> SlackSink:
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
        self.mode = "ok"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` payloads arrived; return all of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self._lock:
            return list(self.messages)

    def _received(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(payload)
        if self.record:
            with open(self.record, "a") as f:
                f.write(json.dumps(payload) + "\n")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: str, ctype: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.startswith("/_messages"):
                    with sink._lock:
                        self._reply(200, json.dumps(sink.messages), "application/json")
                else:
                    self._reply(200, "slack sink")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/_mode"):
                    mode = json.loads(body or b"{}").get("mode", "ok")
                    if mode not in MODES:
                        self._reply(400, f"mode must be one of {MODES}")
                        return
                    sink.mode = mode
                    self._reply(200, mode)
                    return
                if sink.mode == "hang":
                    time.sleep(sink.hang_seconds)
                if sink.mode == "error":
                    self._reply(500, "internal_error")
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    self._reply(400, "invalid_payload")
                    return
                sink._received(payload)
                self._reply(200, "ok")

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    sink = SlackSink(args.port, args.record, host=args.host)
    print(f"slack sink listening on {sink.url}", flush=True)
    sink._server.serve_forever()


if __name__ == "__main__":
    main()
