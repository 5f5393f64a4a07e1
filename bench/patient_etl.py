"""Benchmark: the patient ETL (validate -> transform -> load -> reconcile) against `psql \\copy` and pandas.

    .venv/bin/python -m bench.patient_etl                   # 1M and 5M rows, clean and dirty
    .venv/bin/python -m bench.patient_etl --rows 1000000    # one size
    .venv/bin/python -m bench.patient_etl --rows 1000000 --clean-only --pandas-max-rows 0 --repeat 3 --rerun

Each method runs in its own child process, so the peak RSS printed is that method's (each ETL
step is a separate process, as it is a separate task in Airflow). Files come from the seeded
generator in `dataplatform.sample_data` into bench/data/ (git-ignored) and are reused.
Reference: `psql \\copy` of the clean file of the same size into a table with a primary key
(\\copy cannot load the dirty file at all: it stops at the first malformed row). The pandas reference is the
method this DAG replaced: `read_csv` + `DataFrame.to_sql` (run only up to --pandas-max-rows).
Goals (issue 4): ETL <= 4x the \\copy time, >= 10x faster than to_sql, peak RSS <= 256 MB.

`--rerun` runs the ETL a second time on the same file into the loaded table (every row unchanged:
the re-run of a day). `--repeat N` runs everything N times (the machine is shared: compare the
best rounds) and ends with the best time of each method.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from bench._proc import DSN_TEMPLATE, Measured, psql, run_child

DATA = Path(__file__).parent / "data"
DB = "bench_patients"
TODAY = dt.date(2026, 11, 22)
STEPS = ("validate", "transform", "load", "reconcile", "cleanup")

TYPED_TABLE = """CREATE TABLE {name} (patient_id bigint PRIMARY KEY, name text, birth_date date, gender text,
 admitted_at timestamp, ward text, diagnosis_code text, billed_amount numeric(12,2))"""

ETL_STEP = """
import json, sys, time
from dataplatform.etl.patients import pipeline
args = json.loads(sys.argv[1])
run = pipeline.RunInfo("bench", "bench_run", 1, args["today"])
prev = args.get("prev", {})
t = time.perf_counter()
step = args["step"]
if step == "validate":
    out = pipeline.validate(args["source"], run, max_reject_ratio=1.0)
elif step == "transform":
    out = pipeline.transform(prev["validate"], run)
elif step == "load":
    out = pipeline.load(prev["transform"], run)
elif step == "reconcile":
    out = pipeline.reconcile(prev["validate"], prev["transform"], prev["load"])
else:
    out = pipeline.cleanup("bench", "bench_run")
print(json.dumps({"seconds": time.perf_counter() - t, "result": out}))
"""

PANDAS = """
import json, sys, time
import pandas as pd
from sqlalchemy import create_engine
args = json.loads(sys.argv[1])
t = time.perf_counter()
df = pd.read_csv(args["source"])
df.to_sql("patients_pandas", create_engine(args["url"]), if_exists="replace", index=False)
print(json.dumps({"seconds": time.perf_counter() - t, "result": len(df)}))
"""


def generate(rows: int, dirty: bool) -> Path:
    from dataplatform.sample_data.patients import write_patients_csv

    path = DATA / f"patients_{rows}_{'dirty' if dirty else 'clean'}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        tmp = path.with_suffix(".tmp")
        write_patients_csv(tmp, rows, seed=rows, dirty=dirty, today=TODAY)
        tmp.rename(path)
    return path


def reset_db() -> None:
    psql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {DB}")


def bench_copy(path: Path) -> Measured:
    psql(DB, "DROP TABLE IF EXISTS copy_ref")
    psql(DB, TYPED_TABLE.format(name="copy_ref"))
    return run_child(
        [
            "psql",
            "-X",
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            DB,
            "-c",
            f"\\copy copy_ref FROM '{path}' WITH (FORMAT csv, HEADER true)",
        ]
    )


def bench_etl(path: Path, *, fresh: bool = True) -> list[tuple[str, Measured]]:
    if fresh:
        psql(DB, "DROP TABLE IF EXISTS public.patients, public.patients_rejected")
    prev: dict = {}
    measured = []
    env = {**os.environ, "AIRFLOW_CONN_WAREHOUSE_DB": DSN_TEMPLATE.format(db=DB)}
    for step in STEPS:
        args = {"step": step, "source": str(path), "today": TODAY.isoformat(), "prev": prev}
        m = run_child([sys.executable, "-c", ETL_STEP, json.dumps(args)], env=env, parse_json=True)
        prev[step] = m.result
        measured.append((step, m))
    return measured


def bench_pandas(path: Path) -> Measured:
    url = DSN_TEMPLATE.format(db=DB).replace("postgresql://", "postgresql+psycopg://")
    return run_child(
        [sys.executable, "-c", PANDAS, json.dumps({"source": str(path), "url": url})], parse_json=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument(
        "--pandas-max-rows",
        type=int,
        default=1_000_000,
        help="skip the pandas reference above this size (5M rows need ~8 GB and minutes)",
    )
    parser.add_argument("--clean-only", action="store_true", help="skip the dirty files")
    parser.add_argument(
        "--rerun", action="store_true", help="also time a second ETL run of the same file (no change)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds to run; the best of each is shown")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", str(DATA / "airflow_home"))
    reset_db()
    best: dict[tuple[str, str], tuple[float, int, float]] = {}  # (file, method) -> (seconds, rows, rss)

    def show(label: str, method: str, seconds: float, rows: int, ref: float | None, rss: float) -> None:
        _row(label, method, seconds, rows, ref, rss)
        if seconds < best.get((label, method), (float("inf"),))[0]:
            best[(label, method)] = (seconds, rows, rss)

    print(f"{'file':32} {'method':22} {'seconds':>8} {'rows/s':>10} {'x copy':>7} {'peak RSS':>9}")
    try:
        for _round in range(args.repeat):
            for rows in args.rows:
                ref = bench_copy(generate(rows, dirty=False))
                for dirty in (False,) if args.clean_only else (False, True):
                    path = generate(rows, dirty)
                    label = path.name
                    if not dirty:
                        show(label, "psql \\copy", ref.seconds, rows, ref.seconds, ref.peak_rss_mb)
                    first_total = 0.0
                    for kind, fresh in (("etl", True), ("etl re-run", False))[: 2 if args.rerun else 1]:
                        steps = bench_etl(path, fresh=fresh)
                        for step, m in steps:
                            show(label, f"  {kind} {step}", m.seconds, rows, None, m.peak_rss_mb)
                        total = sum(m.seconds for _, m in steps)
                        if fresh:
                            first_total = total
                        peak = max(m.peak_rss_mb for _, m in steps)
                        show(label, f"{kind} (all steps)", total, rows, ref.seconds, peak)
                        if kind == "etl re-run":
                            print(f"{'':32} {'  re-run load counts':22} {steps[2][1].result}")
                    if not dirty and rows <= args.pandas_max_rows:
                        pd_m = bench_pandas(path)
                        show(
                            label, "pandas read_csv+to_sql", pd_m.seconds, rows, ref.seconds, pd_m.peak_rss_mb
                        )
                        print(f"{'':32} {'etl speed-up vs pandas':22} {pd_m.seconds / first_total:>8.1f}x")
        if args.repeat > 1:
            print(f"\nbest of {args.repeat} rounds (x copy: against the best \\copy of the same size)")
            refs = {label: s for (label, method), (s, _, _) in best.items() if method == "psql \\copy"}
            for (label, method), (seconds, rows, rss) in best.items():
                ref = None if method.startswith("  ") else refs[label.replace("dirty", "clean")]
                _row(label, method, seconds, rows, ref, rss)
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def _row(label: str, method: str, seconds: float, rows: int, ref: float | None, rss: float) -> None:
    ratio = f"{seconds / ref:>6.2f}x" if ref else ""
    print(
        f"{label:32} {method:22} {seconds:>8.2f} {rows / seconds:>10,.0f} {ratio:>7} {rss:>7.0f}MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
