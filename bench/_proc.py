"""Bench plumbing: run a method in a child process and measure its wall time and peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DSN_TEMPLATE = "postgresql://postgres@127.0.0.1:5432/{db}"


@dataclass
class Measured:
    seconds: float  # the child's own timing when it reports one, else wall time
    peak_rss_mb: float
    result: Any = None


def run_child(cmd: Sequence[str], env: Mapping[str, str] | None = None, parse_json: bool = False) -> Measured:
    """Run ``cmd``; return its time and peak RSS (from ``wait4``, so only that child counts)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=dict(env) if env else None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{err[-3000:]}")
    measured = Measured(wall, usage.ru_maxrss / 1024)
    if parse_json:
        report = json.loads(out.strip().splitlines()[-1])
        measured.seconds, measured.result = report["seconds"], report["result"]
    return measured


def psql(db: str, command: str) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", command],
        check=True,
        capture_output=True,
    )
