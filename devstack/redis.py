"""The machine's Redis (the Celery broker): make sure it runs; empty one database of it."""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlsplit

from devstack.procs import port_open, wait_until


class RedisUnavailable(RuntimeError):
    """Redis is not installed or could not be started."""


def ensure_running(url: str = "redis://127.0.0.1:6379/0") -> None:
    """Start a local ``redis-server`` (daemonized, no persistence) if nothing listens at ``url``,
    installing Debian's package first if it is missing (as root)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if port_open(port, host):
        return
    if not shutil.which("redis-server"):
        from devstack.apt import AptUnavailable, apt_install

        try:
            apt_install("redis-server")
        except AptUnavailable as err:
            raise RedisUnavailable(
                f"Redis is not listening on {host}:{port}: {err} (or point the broker URL at a running server)"
            ) from err
    cmd = ["redis-server", "--bind", host, "--port", str(port), "--daemonize", "yes", "--save", ""]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RedisUnavailable(f"{' '.join(cmd)} failed: {result.stderr.strip() or result.stdout.strip()}")
    wait_until(lambda: port_open(port, host), 30, f"Redis on {host}:{port}")


def flush(url: str) -> None:
    """Empty the database ``url`` names (a test session's broker starts with no stale messages)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
