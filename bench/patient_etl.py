"""Benchmark: the patient ETL (validate -> transform -> load -> reconcile) against `psql \\copy` and pandas.

    .venv/bin/python -m bench.patient_etl                   # 1M and 5M rows, clean and dirty
    .venv/bin/python -m bench.patient_etl --rows 1000000    # one size
    .venv/bin/python -m bench.patient_etl --rows 1000000 --clean-only --pandas-max-rows 0 --repeat 3 --rerun

Each method runs in its own child process, so the peak RSS printed is that method's (each ETL
step is a separate process, as it is a separate task in Airflow). Files come from the seeded
generator in `dataplatform.sample_data` (`bench._common.patients_csv`, seed 42 like warehouse_load,
dated `GENERATED_TODAY`, which is also the ETL run's date) into bench/data/ (git-ignored) and are reused.
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
import json
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from bench._common import (
    DATA_DIR,
    GENERATED_TODAY,
    Database,
    child_report,
    patients_csv,
    psql_copy,
    run_python,
    stopwatch,
    temporary_database,
)
from dataplatform.conn_ids import WAREHOUSE_CONN_ID

DB = "bench_patients"
SEED = 42  # warehouse_load's default seed: the two benchmarks share the clean file of a size
TODAY = GENERATED_TODAY.isoformat()  # the run's date: "today" for the birth dates the generator wrote
STEPS = ("validate", "transform", "load", "reconcile", "cleanup")


class Measured(NamedTuple):
    seconds: float  # the child's own timing when it reports one (Python children), else wall time
    peak_rss_mb: float  # the child's own peak RSS (os.wait4)
    result: Any = None


TYPED_TABLE = """CREATE TABLE copy_ref (patient_id bigint PRIMARY KEY, name text, birth_date date, gender text,
 admitted_at timestamp, ward text, diagnosis_code text, billed_amount numeric(12,2))"""


def child(method: str, args: dict[str, Any]) -> None:
    """In the child: run one ETL step (or the pandas reference) and report its own time and result."""
    if method == "pandas":
        import pandas as pd
        from sqlalchemy import create_engine

        with stopwatch() as t:
            df = pd.read_csv(args["source"])
            df.to_sql("patients_pandas", create_engine(args["url"]), if_exists="replace", index=False)
        child_report(seconds=t["seconds"], result=len(df))
        return
    from dataplatform.etl.patients import pipeline

    run = pipeline.RunInfo("bench", "bench_run", 1, args["today"])
    prev = args.get("prev", {})
    with stopwatch() as t:
        if method == "validate":
            out = pipeline.validate(args["source"], run, max_reject_ratio=1.0)
        elif method == "transform":
            out = pipeline.transform(prev["validate"], run)
        elif method == "load":
            out = pipeline.load(prev["transform"], run)
        elif method == "reconcile":
            out = pipeline.reconcile(prev["validate"], prev["transform"], prev["load"])
        else:
            out = pipeline.cleanup("bench", "bench_run")
    child_report(seconds=t["seconds"], result=out)


def run_method(method: str, args: dict[str, Any], env: dict[str, str] | None = None) -> Measured:
    """Run ``method`` in its own child (``python -m bench.patient_etl --child``)."""
    proc = run_python("bench.patient_etl", "--child", method, json.dumps(args), env=env).check()
    report = proc.report()
    return Measured(report["seconds"], proc.peak_rss_mb, report["result"])


def generate(rows: int, dirty: bool) -> Path:
    return patients_csv(rows, seed=SEED, dirty=dirty).path


def bench_copy(db: Database, path: Path) -> Measured:
    db.execute("DROP TABLE IF EXISTS copy_ref", TYPED_TABLE)
    ref = psql_copy(db, "copy_ref", path)
    return Measured(ref.seconds, ref.peak_rss_mb)


def bench_etl(db: Database, path: Path, *, fresh: bool = True) -> list[tuple[str, Measured]]:
    if fresh:
        db.execute("DROP TABLE IF EXISTS public.patients, public.patients_rejected")
    prev: dict[str, Any] = {}
    measured = []
    env = db.airflow_conn_env(WAREHOUSE_CONN_ID)
    for step in STEPS:
        m = run_method(step, {"source": str(path), "today": TODAY, "prev": prev}, env)
        prev[step] = m.result
        measured.append((step, m))
    return measured


def bench_pandas(db: Database, path: Path) -> Measured:
    url = db.uri.replace("postgresql://", "postgresql+psycopg://")
    return run_method("pandas", {"source": str(path), "url": url})


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], json.loads(argv[2]))
        return
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
    args = parser.parse_args(argv)
    os.environ.setdefault("AIRFLOW_HOME", str(DATA_DIR / "airflow_home"))  # the children inherit it
    best: dict[tuple[str, str], tuple[float, int, float]] = {}  # (file, method) -> (seconds, rows, rss)

    def show(label: str, method: str, seconds: float, rows: int, ref: float | None, rss: float) -> None:
        _row(label, method, seconds, rows, ref, rss)
        if seconds < best.get((label, method), (float("inf"),))[0]:
            best[(label, method)] = (seconds, rows, rss)

    print(f"{'file':32} {'method':22} {'seconds':>8} {'rows/s':>10} {'x copy':>7} {'peak RSS':>9}")
    with temporary_database(DB) as db:
        for _round in range(args.repeat):
            for rows in args.rows:
                ref = bench_copy(db, generate(rows, dirty=False))
                for dirty in (False,) if args.clean_only else (False, True):
                    path = generate(rows, dirty)
                    label = path.name
                    if not dirty:
                        show(label, "psql \\copy", ref.seconds, rows, ref.seconds, ref.peak_rss_mb)
                    first_total = 0.0
                    for kind, fresh in (("etl", True), ("etl re-run", False))[: 2 if args.rerun else 1]:
                        steps = bench_etl(db, path, fresh=fresh)
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
                        pd_m = bench_pandas(db, path)
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


def _row(label: str, method: str, seconds: float, rows: int, ref: float | None, rss: float) -> None:
    ratio = f"{seconds / ref:>6.2f}x" if ref else ""
    print(
        f"{label:32} {method:22} {seconds:>8.2f} {rows / seconds:>10,.0f} {ratio:>7} {rss:>7.0f}MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
