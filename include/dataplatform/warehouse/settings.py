"""Session settings every warehouse transaction runs with, set in one place.

:meth:`dataplatform.hooks.warehouse.WarehouseHook.transaction` applies them, transaction-local
(``set_config(..., true)``), at the start of every transaction of every loading step:

* ``lock_timeout`` -- how long a statement waits for a lock before failing (a load never queues
  forever behind a long writer);
* ``statement_timeout`` -- how long any one statement may run;
* ``work_mem`` -- server memory per sort / hash of this transaction (the default 4MB spills the
  sorts and hash joins of 1M-row loads to disk: 1.6 s instead of 1.0 s measured);
* ``client_connection_check_interval`` (PostgreSQL 14+) -- the server notices within 10 s that
  the client vanished (task killed) and stops, releasing its locks.

``synchronous_commit`` is left alone: a load commits once, and that commit measured 0.02 s of a
2.5 s load of 1M rows, so turning it off (risking the last commit on a server crash) buys nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

_MEMORY = re.compile(r"\d+\s*(kB|MB|GB)")
#: Seconds after which the server checks that the client is still there (PostgreSQL 14+).
CLIENT_CHECK_INTERVAL = "10s"


def timeout_setting(seconds: float | None) -> str:
    """A timeout value: ``"1500ms"``; ``"0"`` (no limit) for None."""
    return "0" if seconds is None else f"{max(1, round(seconds * 1000))}ms"


@dataclass(frozen=True)
class SessionSettings:
    """``lock_timeout`` / ``statement_timeout`` in seconds (None: no limit), ``work_mem`` like ``"64MB"``."""

    lock_timeout: float | None = 300.0
    statement_timeout: float | None = None
    work_mem: str | None = "64MB"

    def __post_init__(self) -> None:
        for name in ("lock_timeout", "statement_timeout"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ValueError(f"{name} must be a positive number of seconds or None, not {value!r}")
        if self.work_mem is not None and not _MEMORY.fullmatch(self.work_mem):
            raise ValueError(f"work_mem must look like '64MB' (kB, MB or GB), not {self.work_mem!r}")

    def apply(self, conn: psycopg.Connection) -> None:
        """Set them for the transaction ``conn`` is in (or is about to start)."""
        values = {
            "lock_timeout": timeout_setting(self.lock_timeout),
            "statement_timeout": timeout_setting(self.statement_timeout),
        }
        if self.work_mem is not None:
            values["work_mem"] = self.work_mem
        if conn.info.server_version >= 140000:
            values["client_connection_check_interval"] = CLIENT_CHECK_INTERVAL
        conn.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in values),
            [item for pair in values.items() for item in pair],
        )
