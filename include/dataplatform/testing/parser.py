"""Parse DAG files in isolation, fast: the client side of :mod:`dataplatform.testing.worker`.

Importing Airflow costs seconds, so :class:`DagParser` starts ONE subprocess that imports it once,
then forks a child per DAG file; each child parses its file with a ``DagBag``, applies the per-file
rules and reports the top-level modules the file's import added. The caller never imports Airflow
or DAG code. The subprocess gets a throw-away SQLite metadata DB URL (see :func:`worker_env`), so
the result does not depend on the metadata DB's driver.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from dataplatform.testing.policy import Policy
from dataplatform.testing.results import FileResult

#: Imported once by the worker, never blamed on a DAG file (the dag-processor has them loaded too).
DEFAULT_PRELOAD: tuple[str, ...] = ("airflow.sdk", "airflow.dag_processing.dagbag")


class DagParser:
    """A worker subprocess that parses DAG folders file by file (see the module doc).

    ``preload``: modules imported once before any DAG file; ``timeout``: seconds per file;
    ``workers``: files parsed in parallel; ``env``: extra environment variables for the worker.
    The worker starts at construction, so its Airflow import overlaps with the caller's work. Use as
    a context manager or call :meth:`close`; :func:`shared_parser` gives a process-wide one.
    """

    def __init__(
        self,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        *,
        timeout: int = 120,
        workers: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="dag-integrity-")
        config = {
            "sys_path": [p or os.getcwd() for p in sys.path],
            "preload": list(preload),
            "timeout": timeout,
            "workers": workers or max(1, min(4, os.cpu_count() or 1)),
            "workdir": self._workdir.name,
        }
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "dataplatform.testing.worker", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=worker_env(self._workdir.name, config["sys_path"], env),
            start_new_session=True,  # its own process group: close() stops the worker and its children
        )
        self._baseline: frozenset[str] | None = None

    def baseline(self) -> frozenset[str]:
        """Top-level modules loaded by the preload alone (waits until the worker is ready)."""
        if self._baseline is None:
            self._baseline = frozenset(self._read()["baseline"])
        return self._baseline

    def parse(self, folders: Sequence[Path], policy: Policy) -> dict[Path, list[FileResult]]:
        """Every DAG file of every folder, parsed alone; keys are the folders as given."""
        self.baseline()  # the ready line comes first
        self._send({"folders": [str(f) for f in folders], "policy": policy.to_json()})
        answer = self._read()
        return {Path(f): [FileResult.from_json(r) for r in answer[str(f)]] for f in folders}

    @property
    def alive(self) -> bool:
        """Whether the worker is still running."""
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the worker and remove its temp files (idempotent). The worker holds no state worth a
        graceful exit, so it is terminated, not asked to finish (that could wait for its preload)."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
            if stream is not None:
                stream.close()
        self._workdir.cleanup()

    def __enter__(self) -> DagParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, payload: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(payload) + "\n")
        self._proc.stdin.flush()

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"DAG parse worker exited (code {self._proc.wait()}):\n{self._stderr_tail()}")
        return json.loads(line)

    def _stderr_tail(self, limit: int = 4000) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:]


def worker_env(
    workdir: str, sys_path: Sequence[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment, with its ``sys.path`` as ``PYTHONPATH`` (the worker imports what the
    caller imports) and a throw-away SQLite metadata DB, then ``overrides``.

    Airflow's import builds its ORM engine, which imports the metadata DB's driver (``psycopg`` for
    ``postgresql+psycopg://``). With the real DB URL that driver would be preloaded and a DAG file
    importing it would pass or fail depending on where the check runs. Parsing needs no DB.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys_path)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{workdir}/unused.db"
    env.update(overrides or {})
    return env


_SHARED: list[DagParser] = []


def shared_parser() -> DagParser:
    """A process-wide :class:`DagParser` with the defaults, started on first use, stopped at exit.

    It snapshots ``sys.path`` and the environment when it starts: create your own
    :class:`DagParser` if those change between checks.
    """
    if not _SHARED or not _SHARED[0].alive:
        _SHARED[:] = [DagParser()]
    return _SHARED[0]


@atexit.register
def _close_shared() -> None:
    for parser in _SHARED:
        parser.close()
    _SHARED.clear()
