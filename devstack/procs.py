"""Small process helpers: free ports, background processes stopped by PID, readiness waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.3) -> None:
    """Poll ``check`` until true; raise ``TimeoutError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


@dataclass
class Background:
    """A process started in its own session, so stopping it stops its children too."""

    name: str
    proc: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        # started with start_new_session: its process group id is its pid, which still names the
        # group after the leader died (a worker killed by PID leaves its task processes behind)
        stop_pid(self.pid, timeout, pgid=self.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=1)

    def kill(self, *, tree: bool = False) -> None:
        """SIGKILL the process; with ``tree``, every process it started too, whatever their
        process group (Airflow's task processes make their own): what a lost machine does."""
        import psutil

        victims = [self.pid]
        if tree:
            with contextlib.suppress(psutil.Error):
                victims += [c.pid for c in psutil.Process(self.pid).children(recursive=True)]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def start(
    name: str, cmd: Sequence[str], env: Mapping[str, str], log_path: Path, unset: Iterable[str] = ()
) -> Background:
    """Start ``cmd`` in a new session with output appended to ``log_path``; ``env`` is added to
    this process's environment, without the variables named in ``unset``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in {**os.environ, **env}.items() if k not in set(unset)}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Background(name, proc, log_path)


def stop_pid(pid: int, timeout: float = 15.0, pgid: int | None = None) -> None:
    """SIGTERM the process group of ``pid`` (or ``pgid``), then SIGKILL it if it outlives ``timeout``."""
    if pgid is None:
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            _reap(pid)
            time.sleep(0.1)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
