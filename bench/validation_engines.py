"""Benchmark: candidate engines for the validate step, on the same patients file, against `psql \\copy`.

    .venv/bin/python -m bench.validation_engines                 # 1M rows, clean and dirty
    .venv/bin/python -m bench.validation_engines --rows 200000 --json

Every candidate reads the file, applies the patients contract's checks and leaves the good rows
typed in an UNLOGGED table and the rejects (line number, raw text, reason) in another, in its own
child process:

* ``duckdb lines (shipped)`` -- the loading stack's validate step (``dataplatform.loading``):
  DuckDB reads physical lines (exact numbers), checks them with SQL generated from the contract,
  streams the result into ``COPY``; Python's ``csv`` parses the rare quoted records;
* ``python csv + COPY`` -- the engine of the first patient ETL: ``csv.reader``, a precompiled
  row regex and per-field checks in Python, ``write_row`` into ``COPY``;
* ``postgres set-based`` -- ``COPY`` of the raw text into an all-text table, then one
  ``INSERT ... SELECT`` with the checks as regexes and casts in SQL (line numbers from a serial:
  exact only without quoted newlines);
* ``duckdb csv reader`` -- DuckDB's own CSV parser (fastest parse, but no line numbers: it cannot
  name a rejected row's line), same checks, streamed into ``COPY``.

pyarrow and polars are not in the lock (their CSV readers give no line numbers either).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._common import (
    DATA_DIR,
    GENERATED_TODAY,
    child_report,
    json_figures,
    psql_copy,
    run_python,
    sample_csv,
    stopwatch,
    temporary_database,
)
from bench._etl import copy_table_ddl
from dataplatform.conn_ids import WAREHOUSE_CONN_ID

CANDIDATES = ("duckdb lines (shipped)", "python csv + COPY", "postgres set-based", "duckdb csv reader")
TODAY = GENERATED_TODAY.isoformat()
_TS = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
_TYPED = "patient_id bigint, name text, birth_date date, gender text, admitted_at timestamp, ward text, diagnosis_code text, billed_amount numeric(12,2)"


def shipped(source: str, url: str) -> int:
    from dataplatform.loading import steps
    from dataplatform.loading.period import LoadRun, Period
    from dataplatform.sources.patients import PATIENTS

    run = LoadRun("bench", "engines", 1, GENERATED_TODAY, Period.containing("day", GENERATED_TODAY))
    out = steps.validate(PATIENTS, source, run, force=True, max_reject_ratio=1.0)
    return out["rows_read"]


def python_csv(source: str, url: str) -> int:
    import psycopg

    row_re = re.compile(
        r"[0-9]{1,18}\x1f[^\x1f]*\S[^\x1f]*\x1f(?:[0-9]{4}-[0-9]{2}-[0-9]{2})?\x1f[^\x1f]*\x1f"
        + _TS
        + r"\x1f[^\x1f]*\x1f[^\x1f]*\x1f(?:[0-9]{1,10}(?:\.[0-9]{0,2})?)?"
    )

    def problem(f: list[str]) -> str | None:
        if len(f) != 8:
            return "wrong number of fields"
        if row_re.fullmatch("\x1f".join(f)):
            try:
                if f[2]:
                    dt.date.fromisoformat(f[2])
                dt.datetime.fromisoformat(f[4])
            except ValueError:
                return "date"
            return "birth_date is in the future" if f[2] > TODAY else None
        return "a field is bad"

    n = 0
    with psycopg.connect(url) as conn, psycopg.connect(url) as conn2:  # one COPY per connection
        conn.execute(
            f"DROP TABLE IF EXISTS eng_good, eng_bad; CREATE UNLOGGED TABLE eng_good (line_no bigint, {_TYPED}); "
            "CREATE UNLOGGED TABLE eng_bad (line_no bigint, raw text, reason text)"
        )
        conn.commit()
        with (
            open(source, newline="", encoding="utf-8") as f,
            conn.cursor().copy("COPY eng_good FROM STDIN (NULL '')") as good,
            conn2.cursor().copy("COPY eng_bad FROM STDIN") as bad,
        ):
            reader = csv.reader(f, strict=True)
            next(reader)
            for fields in reader:
                n += 1
                reason = problem(fields)
                if reason is None:
                    good.write_row((reader.line_num, *fields))
                else:
                    bad.write_row((reader.line_num, ",".join(fields), reason))
    return n


def postgres(source: str, url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS eng_raw, eng_good; CREATE UNLOGGED TABLE eng_raw (line_no bigserial, "
            "patient_id text, name text, birth_date text, gender text, admitted_at text, ward text, diagnosis_code text, billed_amount text)"
        )
        with (
            open(source, "rb") as f,
            conn.cursor().copy(
                "COPY eng_raw (patient_id, name, birth_date, gender, admitted_at, ward, diagnosis_code, billed_amount) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.execute(f"""
            CREATE UNLOGGED TABLE eng_good AS SELECT line_no, patient_id::bigint AS patient_id, name, birth_date::date AS birth_date,
                upper(gender) AS gender, admitted_at::timestamp AS admitted_at, ward, upper(diagnosis_code) AS diagnosis_code,
                billed_amount::numeric(12,2) AS billed_amount
            FROM eng_raw WHERE patient_id ~ '^[0-9]{{1,18}}$' AND btrim(name) <> ''
              AND (birth_date = '' OR birth_date IS NULL OR (birth_date ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' AND birth_date <= '{TODAY}'))
              AND admitted_at ~ '^{_TS}$' AND (billed_amount IS NULL OR billed_amount ~ '^[0-9]{{1,10}}(\\.[0-9]{{0,2}})?$')
        """)
        return int(conn.execute("SELECT count(*) FROM eng_raw").fetchone()[0])


def duckdb_reader(source: str, url: str) -> int:
    import psycopg

    from dataplatform.loading.engine import DuckSession
    from dataplatform.loading.period import Period
    from dataplatform.loading.validation_sql import Params, checked_rows
    from dataplatform.sources.patients import PATIENTS

    width = len(PATIENTS.columns)
    cols = ", ".join(f"'c{i + 1}': 'VARCHAR'" for i in range(width))
    records = (
        f"SELECT ordinality AS line_no, NULL::VARCHAR AS raw, NULL::VARCHAR AS problem, {width} AS nfields, * EXCLUDE (ordinality) "
        f"FROM read_csv('{source}', columns={{{cols}}}, header=true, auto_detect=false, strict_mode=false, null_padding=true, parallel=false, buffer_size=8388608, max_line_size=2097152) WITH ORDINALITY"
    )
    query = checked_rows(
        PATIENTS, records, Params(GENERATED_TODAY, Period.containing("day", GENERATED_TODAY))
    )
    with tempfile.TemporaryDirectory() as tmp, DuckSession(Path(tmp)) as duck, psycopg.connect(url) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS eng_out; CREATE UNLOGGED TABLE eng_out (patient_id bigint, line_no bigint, reason text, raw_line text, "
            "name text, birth_date date, gender text, admitted_at timestamp, ward text, diagnosis_code text, billed_amount numeric(12,2))"
        )
        with duck.stream(query) as chunks, conn.cursor().copy("COPY eng_out FROM STDIN (FORMAT csv)") as copy:
            for chunk in chunks:
                copy.write(chunk)
        return int(conn.execute("SELECT count(*) FROM eng_out").fetchone()[0])


ENGINES = {
    "duckdb lines (shipped)": shipped,
    "python csv + COPY": python_csv,
    "postgres set-based": postgres,
    "duckdb csv reader": duckdb_reader,
}


def child(name: str, source: str, url: str) -> None:
    import psycopg  # noqa: F401 - imports are not timed: a worker pays them once

    import dataplatform.loading.steps
    import dataplatform.loading.validation_sql  # noqa: F401

    with stopwatch() as t:
        rows = ENGINES[name](source, url)
    child_report(seconds=t["seconds"], result=rows)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], argv[2], argv[3])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(DATA_DIR / "airflow_home"))
    results: list[dict[str, Any]] = []
    print(f"{'file':32} {'engine':24} {'seconds':>8} {'x copy':>7} {'peak RSS':>9}")
    with temporary_database("bench_engines") as db:
        env = db.airflow_conn_env(WAREHOUSE_CONN_ID)
        for rows in args.rows:
            clean = sample_csv("patients", rows, seed=42)
            db.execute("DROP TABLE IF EXISTS copy_ref", copy_table_ddl("patients"), "CHECKPOINT")
            copy_seconds = psql_copy(db, "copy_ref", clean.path).seconds
            reference = "psql \\copy (reference)"
            print(f"{clean.path.name:32} {reference:24} {copy_seconds:>8.2f} {1:>6.2f}x")
            for dirty in (False, True):
                file = sample_csv("patients", rows, seed=42, dirty=dirty)
                for name in CANDIDATES:
                    db.execute("CHECKPOINT")
                    proc = run_python(
                        "bench.validation_engines", "--child", name, str(file.path), db.uri, env=env
                    )
                    fig = {
                        "rows": rows,
                        "variant": "dirty" if dirty else "clean",
                        "engine": name,
                        "copy_seconds": round(copy_seconds, 3),
                    }
                    if proc.returncode != 0:  # e.g. COPY of raw text stops at the first malformed row
                        fig["error"] = proc.stderr.strip().splitlines()[-1][:200]
                        print(f"{file.path.name:32} {name:24} {'fails':>8}  {fig['error'][:90]}", flush=True)
                    else:
                        seconds = proc.report()["seconds"]
                        fig.update(
                            seconds=round(seconds, 3),
                            over_copy=round(seconds / copy_seconds, 3),
                            rss_mb=round(proc.peak_rss_mb, 1),
                        )
                        print(
                            f"{file.path.name:32} {name:24} {seconds:>8.2f} {fig['over_copy']:>6.2f}x {proc.peak_rss_mb:>7.0f}MB",
                            flush=True,
                        )
                    results.append(fig)
    if args.json:
        json_figures(results)


if __name__ == "__main__":
    main()
