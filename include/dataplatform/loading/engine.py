"""The DuckDB session of one validation: queries run in threads, results streamed as CSV bytes.

DuckDB (in-process, vectorised, two threads) checks the rows; PostgreSQL stores them. Between the
two there is an OS pipe: DuckDB's ``COPY (...) TO '/dev/fd/N'`` writes CSV into it while the
caller reads it in 1 MiB chunks and hands them to ``COPY ... FROM STDIN`` -- both run at once, and
memory stays flat whatever the file size (DuckDB's own is capped by ``memory_limit``, spilling to
the work directory beyond it).

Imported only inside tasks: ``duckdb`` is a heavy import that DAG files must not pay.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: DuckDB's memory cap per validation (its read buffers; nothing is aggregated): the rest of a
#: task process (Airflow, psycopg, numpy, DuckDB itself) is ~180 MB.
MEMORY_LIMIT = "64MB"
THREADS = 2
CHUNK = 1 << 20


class DuckSession:
    """An in-memory DuckDB with the platform's limits; closes with the ``with`` block."""

    def __init__(self, workdir: Path, *, threads: int = THREADS, memory_limit: str = MEMORY_LIMIT) -> None:
        import duckdb

        (workdir / "duckdb_tmp").mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(
            ":memory:",
            config={
                "threads": threads,
                "memory_limit": memory_limit,
                "temp_directory": str(workdir / "duckdb_tmp"),
                "preserve_insertion_order": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )

    def __enter__(self) -> DuckSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def execute(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run ``query`` on a new cursor; its rows."""
        return self.con.cursor().execute(query, params).fetchall()

    @contextmanager
    def stream(self, query: str) -> Iterator[Iterator[bytes]]:
        """The query's rows as CSV byte chunks (no header), produced by DuckDB in a thread.

        Stop reading early (or raise in the block) and DuckDB is interrupted; a DuckDB error is
        raised when the block ends (the rows read so far must then be discarded by the caller).
        """
        read_fd, write_fd = os.pipe()
        errors: list[BaseException] = []
        cursor = self.con.cursor()

        def produce() -> None:
            try:
                cursor.execute(f"COPY ({query}) TO '/dev/fd/{write_fd}' (FORMAT csv, HEADER false)")
            except BaseException as err:
                errors.append(err)
            finally:
                os.close(write_fd)  # DuckDB closed its own descriptor: now the reader sees the end

        thread = threading.Thread(target=produce, name="duckdb-copy-stream", daemon=True)
        thread.start()
        reader = os.fdopen(read_fd, "rb", buffering=0)

        def chunks() -> Iterator[bytes]:
            while chunk := reader.read(CHUNK):
                yield chunk

        try:
            yield chunks()
        finally:
            reader.close()  # a writer still going gets EPIPE and stops
            if thread.is_alive():
                cursor.interrupt()
            thread.join()
        if errors:
            raise errors[0]


def _path(path: Path) -> str:
    return str(path).replace("'", "''")
