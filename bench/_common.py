"""Helpers shared by the benchmarks: child processes with per-child peak RSS, psql, databases, CSVs.

Each measured method runs in its own child process, reaped with ``os.wait4`` so its peak RSS
(``ru_maxrss``) is that child's alone (``RUSAGE_CHILDREN`` would report the maximum over every
child waited for so far). Linux carries a process's high-water RSS across fork and exec, so a
child forked from this (Python, psycopg-importing) process would never show less than our own
peak: ``psql`` would read 15-35 MB instead of its ~10 MB. When GNU ``time`` is installed the child
is therefore started under ``time -f %M``, which forks it from a ~2 MB process and reports its
peak; without it, the ``wait4`` figure is used (exact for children larger than this process).
Python children report their own figures as one JSON line on stdout (:func:`child_report`),
read back with :meth:`ChildRun.report`.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "bench" / "data"  # gitignored
REPORT_MARKER = "BENCH-REPORT "

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")


# ------------------------------------------------------------------------------------ processes


@dataclass
class ChildRun:
    """One finished child process: wall time, its own peak RSS, output."""

    cmd: list[str]
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    def check(self) -> ChildRun:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.cmd[:4])}... exited {self.returncode}:\n{self.stderr[-3000:]}{self.stdout[-1000:]}"
            )
        return self

    def report(self) -> dict[str, Any]:
        """The JSON the child printed with :func:`child_report` (the last one)."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(REPORT_MARKER):
                return json.loads(line[len(REPORT_MARKER) :])
        raise RuntimeError(f"no {REPORT_MARKER.strip()} line in the child's output:\n{self.stdout[-2000:]}")


@functools.cache
def _gnu_time() -> str | None:
    """GNU ``time``, if installed and it takes ``-f``/``-o`` (see the module docstring)."""
    path = shutil.which("time")
    if path is None:
        return None
    try:
        probe = subprocess.run([path, "-f", "%M", "-o", os.devnull, "true"], capture_output=True)
    except OSError:
        return None
    return path if probe.returncode == 0 else None


def run_child(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None
) -> ChildRun:
    """Run ``cmd`` to completion; measure its wall time and *its own* peak RSS (see the module docstring)."""
    full_env = {**os.environ, **(env or {})}
    argv, rss_file = list(cmd), None
    if gnu_time := _gnu_time():
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        argv = [gnu_time, "-f", "%M", "-o", rss_file, *argv]
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # read both pipes in threads while we wait, so a chatty child cannot block on a full pipe
    out: dict[str, str] = {}

    def drain(name: str, stream: Any) -> None:
        out[name] = stream.read()

    import threading

    readers = [
        threading.Thread(target=drain, args=("stdout", proc.stdout), daemon=True),
        threading.Thread(target=drain, args=("stderr", proc.stderr), daemon=True),
    ]
    for t in readers:
        t.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: stop Popen from waiting again
    for t in readers:
        t.join()
    peak_kb = usage.ru_maxrss  # Linux: kilobytes
    if rss_file:
        with open(rss_file) as f:
            report = f.read().split()  # "%M", after "Command exited with non-zero status N" on failure
        os.unlink(rss_file)
        if report and report[-1].isdigit():
            peak_kb = int(report[-1])
    return ChildRun(
        cmd=list(cmd),
        returncode=proc.returncode,
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
    )


def run_python(module: str, *args: str, env: Mapping[str, str] | None = None) -> ChildRun:
    """``python -m module args...`` from the repository root, same interpreter."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return run_child(
        [sys.executable, "-m", module, *args], env={"PYTHONPATH": pythonpath, **(env or {})}, cwd=REPO_ROOT
    )


def self_peak_rss_mb() -> float:
    """Peak RSS of the calling process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_report(**values: Any) -> None:
    """Print the child's results as one JSON line (adds its peak RSS so far as ``self_peak_rss_mb``)."""
    values.setdefault("self_peak_rss_mb", round(self_peak_rss_mb(), 1))
    print(REPORT_MARKER + json.dumps(values, default=str), flush=True)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    t: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield t
    finally:
        t["seconds"] = time.perf_counter() - started


# ------------------------------------------------------------------------------------ Postgres


@dataclass(frozen=True)
class Database:
    name: str
    host: str = PG_HOST
    port: int = PG_PORT
    user: str = PG_USER

    @property
    def uri(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    def airflow_conn_env(self, conn_id: str) -> dict[str, str]:
        """``AIRFLOW_CONN_<ID>`` pointing a child's hooks at this database."""
        conn = {"conn_type": "postgres", "host": self.host, "port": self.port, "login": self.user}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps({**conn, "schema": self.name})}

    def execute(self, *statements: str) -> None:
        """Run SQL statements in autocommit (DDL, CHECKPOINT, ...)."""
        import psycopg

        with psycopg.connect(self.uri, autocommit=True) as conn:
            for stmt in statements:
                conn.execute(stmt)  # type: ignore[arg-type]

    def scalar(self, query: str) -> Any:
        import psycopg

        with psycopg.connect(self.uri, autocommit=True) as conn:
            row = conn.execute(query).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None


@contextmanager
def temporary_database(name: str, *, keep: bool = False) -> Iterator[Database]:
    """Create database ``name`` (dropping a leftover first), yield it, drop it unless ``keep``."""
    import psycopg
    from psycopg import sql

    db = Database(name)
    with psycopg.connect(
        host=db.host, port=db.port, user=db.user, dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield db
    finally:
        if not keep:
            with psycopg.connect(
                host=db.host, port=db.port, user=db.user, dbname="postgres", autocommit=True
            ) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def psql(db: Database, *commands: str) -> ChildRun:
    """Run ``psql -c cmd ...`` (stops at the first error)."""
    cmd = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        db.host,
        "-p",
        str(db.port),
        "-U",
        db.user,
        "-d",
        db.name,
    ]
    for c in commands:
        cmd += ["-c", c]
    return run_child(cmd)


def psql_copy(
    db: Database,
    table: str,
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    header: bool = True,
    delimiter: str = ",",
) -> ChildRun:
    """``psql \\copy table (cols) FROM path (FORMAT csv, ...)``: the reference load, in a child."""
    cols = f" ({', '.join(columns)})" if columns else ""
    quoted = str(path).replace("'", "''")
    opts = f"FORMAT csv, HEADER {'true' if header else 'false'}, DELIMITER '{delimiter}'"
    return psql(db, f"\\copy {table}{cols} FROM '{quoted}' WITH ({opts})").check()


# ------------------------------------------------------------------------------------ CSV files


@dataclass
class CsvFile:
    path: Path
    rows: int
    bytes: int = field(default=0)

    @property
    def mb(self) -> float:
        return self.bytes / 1e6


#: Fixed "today" for generated files, so the same seed gives the same bytes on any day.
GENERATED_TODAY = date(2026, 6, 1)
#: The month of generated billing and insurance files.
GENERATED_MONTH = date(2026, 5, 1)


def sample_csv(
    kind: str, rows: int, *, seed: int, dirty: bool = False, patients: int = 0, directory: Path = DATA_DIR
) -> CsvFile:
    """A cached file from the seeded generators of ``devstack.samples`` (those of the sample data).

    ``kind``: patients (dated :data:`GENERATED_TODAY`, which a run checking "in the future" must
    take as its date), billing or insurance (month :data:`GENERATED_MONTH`, claims of patients
    ``1..patients``). Written once to ``directory/<kind>_<clean|dirty>_<rows>_s<seed>.csv``
    (atomically) and reused.
    """
    path = directory / f"{kind}_{'dirty' if dirty else 'clean'}_{rows}_s{seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        tmp = path.with_suffix(".tmp")
        if kind == "patients":
            from devstack.samples.patients import write_patients_csv

            write_patients_csv(tmp, rows, seed=seed, dirty=dirty, today=GENERATED_TODAY)
        elif kind == "billing":
            from devstack.samples.billing import write_billing_csv

            write_billing_csv(tmp, GENERATED_MONTH, rows, patients=patients, seed=seed, dirty=dirty)
        else:
            from devstack.samples.insurance import write_insurance_csv

            write_insurance_csv(tmp, GENERATED_MONTH, rows, patients=patients, seed=seed, dirty=dirty)
        tmp.replace(path)
    return CsvFile(path, rows, path.stat().st_size)


def json_figures(figures: Any) -> None:
    """The last line of a ``--json`` run: the figures, for comparing commits."""
    print(json.dumps(figures, default=str), flush=True)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-markdown table; floats get 2 decimals (1 for values over 100)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    body = [[cell(v) for v in r] for r in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)
