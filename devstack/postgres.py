"""The machine's PostgreSQL: make sure it runs, create and drop databases."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from devstack.procs import port_open, wait_until


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or could not be started."""


def ensure_running(host: str = "127.0.0.1", port: int = 5432) -> None:
    """Start the local cluster with ``pg_ctlcluster`` if nothing listens on ``port``."""
    if port_open(port, host):
        return
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    )
    if not versions or not shutil.which("pg_ctlcluster"):
        raise PostgresUnavailable(
            f"PostgreSQL is not listening on {host}:{port} and no local cluster was found "
            "(/etc/postgresql, pg_ctlcluster). Install PostgreSQL 15 (apt-get install postgresql-15) "
            "or point PGHOST/PGPORT at a running server."
        )
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 and "already running" not in result.stderr:
        raise PostgresUnavailable(f"{' '.join(cmd)} failed: {result.stderr.strip()}")
    wait_until(lambda: port_open(port, host), 30, f"PostgreSQL on {host}:{port}")


def admin_connect(host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True)


def create_database(name: str, *, recreate: bool = False, **conn: object) -> None:
    """Create database ``name`` (dropping it first when ``recreate``)."""
    with admin_connect(**conn) as c:  # type: ignore[arg-type]
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and recreate:
            c.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str, **conn: object) -> None:
    """Drop database ``name`` if it exists, disconnecting its sessions."""
    with admin_connect(**conn) as c:  # type: ignore[arg-type]
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
