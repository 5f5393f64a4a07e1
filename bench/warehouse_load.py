"""Benchmark: ``WarehouseHook.load_csv`` against ``psql \\copy`` on a patients CSV (1M rows, ~80 MB).

    .venv/bin/python -m bench.warehouse_load [--rows 1000000] [--database NAME] [--repeat 1]

In one run: ``psql \\copy`` into a fresh table with a primary key (the reference: the fastest a
client can load a CSV), ``load_csv(mode="merge")`` into an empty table with a primary key, and a
re-run of the same merge (nothing changes). Each method runs in its own child process, so the
peak RSS printed is that process's alone; a child that only imports the hook gives the floor
Airflow's imports set. Seconds: psql's wall time (process start included); for the hook, the
``load_csv`` call (connection included, Python + Airflow import excluded: a worker pays that once).
A ``CHECKPOINT`` before each method keeps earlier WAL out of later timings.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench._common import (
    DATA_DIR,
    Database,
    child_report,
    markdown_table,
    patients_csv,
    psql_copy,
    run_python,
    self_peak_rss_mb,
    stopwatch,
    temporary_database,
)
from dataplatform.sample_data.patients import HEADER

CONN_ID = "bench_warehouse"
DDL = """
DROP TABLE IF EXISTS {t};
CREATE TABLE {t} (
    patient_id      bigint PRIMARY KEY,
    name            text NOT NULL,
    birth_date      date,
    gender          text,
    admitted_at     timestamp NOT NULL,
    ward            text,
    diagnosis_code  text,
    billed_amount   numeric(12, 2)
)
"""
COPY_TABLE = "bench_patients_copy"
MERGE_TABLE = "bench_patients_merge"
RSS_GOAL_MB = 64
RATIO_GOAL = 0.8


def child(argv: list[str]) -> None:
    """In the child: import the hook, then (unless ``noop``) run one load and report."""
    mode, path, table = argv
    from dataplatform.hooks.warehouse import WarehouseHook

    import_rss = self_peak_rss_mb()
    if mode == "noop":
        child_report(seconds=0.0, import_rss_mb=import_rss)
        return
    hook = WarehouseHook(postgres_conn_id=CONN_ID, work_mem="256MB" if mode == "merge-work-mem" else None)
    with stopwatch() as t:
        if mode == "merge-staged":  # the general path: no direct COPY into an empty target
            with hook.staged(table) as stage:
                stage.copy_csv(path)
                result = stage.merge("patient_id")
        else:
            result = hook.load_csv(path, table, mode="merge", key="patient_id")
    child_report(seconds=t["seconds"], import_rss_mb=import_rss, result=result.as_dict())


def run(db: Database, rows: int, seed: int, repeat: int, extra: bool = False) -> str:
    with stopwatch() as gen:
        data = patients_csv(rows, seed=seed)
    print(
        f"CSV {data.path} ({data.rows:,} rows, {data.mb:.1f} MB; ready in {gen['seconds']:.1f} s)", flush=True
    )
    env = {
        **db.airflow_conn_env(CONN_ID),
        "AIRFLOW_HOME": str(DATA_DIR / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    results: dict[str, list[tuple[float, float, dict]]] = {}
    growth: dict[str, float] = {}  # peak RSS above the child's own RSS right after its imports

    def record(
        method: str, seconds: float, rss: float, extra: dict | None = None, imported: float = 0
    ) -> None:
        results.setdefault(method, []).append((seconds, rss, extra or {}))
        if imported:
            growth[method] = max(growth.get(method, 0.0), rss - imported)
        print(f"  {method}: {seconds:.2f} s, peak RSS {rss:.0f} MB {extra or ''}", flush=True)

    base = run_python("bench.warehouse_load", "--child", "noop", "-", "-", env=env).check()
    record("import WarehouseHook only (floor)", 0.0, base.peak_rss_mb)
    for i in range(repeat):
        print(f"round {i + 1}/{repeat}", flush=True)
        db.execute(DDL.format(t=COPY_TABLE), DDL.format(t=MERGE_TABLE), "CHECKPOINT")
        ref = psql_copy(db, COPY_TABLE, data.path, columns=HEADER)
        record("psql \\copy (reference)", ref.seconds, ref.peak_rss_mb)
        methods = [
            ("load_csv merge, empty table", "merge"),
            ("load_csv merge re-run (no change)", "merge"),
        ]
        if extra:
            methods += [
                ("re-run, work_mem=256MB", "merge-work-mem"),
                ("staged() copy_csv + merge, empty table", "truncate+merge-staged"),
                ("staged() re-run (no change)", "merge-staged"),
            ]
        for method, child_mode in methods:
            if child_mode.startswith("truncate+"):
                child_mode = child_mode.removeprefix("truncate+")
                db.execute(f"TRUNCATE {MERGE_TABLE}")
            db.execute("CHECKPOINT")
            proc = run_python(
                "bench.warehouse_load", "--child", child_mode, str(data.path), MERGE_TABLE, env=env
            )
            rep = proc.check().report()
            res = rep["result"]
            record(
                method,
                rep["seconds"],
                proc.peak_rss_mb,
                {k: res[k] for k in ("inserted", "updated", "unchanged")},
                imported=rep["import_rss_mb"],
            )
        counts = [db.scalar(f"SELECT count(*) FROM {t}") for t in (COPY_TABLE, MERGE_TABLE)]
        if counts != [data.rows, data.rows]:
            raise SystemExit(f"row counts {counts} != {data.rows}")
        for method, runs in results.items():
            if "re-run" in method and (runs[-1][2]["inserted"] or runs[-1][2]["updated"]):
                raise SystemExit(f"{method} changed rows: {runs[-1][2]}")

    ref_rate = data.rows / min(s for s, _, _ in results["psql \\copy (reference)"])
    table = []
    for method, runs in results.items():
        best = min(s for s, _, _ in runs)
        rss = max(r for _, r, _ in runs)
        above = f"{growth[method]:.1f}" if method in growth else "—"
        if best == 0:
            table.append((method, "—", "—", "—", rss, above))
            continue
        rate = data.rows / best
        table.append((method, best, f"{rate / 1000:,.0f}k", f"{rate / ref_rate:.2f}", rss, above))
    header = (
        "method",
        "seconds",
        "rows/s",
        "× \\copy throughput",
        "client peak RSS MB",
        "RSS above imports MB",
    )
    return markdown_table(header, table) + (
        f"\n\n{data.rows:,} rows, {data.mb:.0f} MB; best of {repeat}. Goals: ≥ {RATIO_GOAL}× \\copy "
        f"throughput; client peak RSS ≤ {RSS_GOAL_MB} MB -- unreachable in absolute terms for any process "
        "that imports Airflow (the floor row), so judge the load by the RSS it adds above its imports."
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return
    parser = argparse.ArgumentParser(
        prog="python -m bench.warehouse_load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best time of each method is shown")
    parser.add_argument(
        "--extra",
        action="store_true",
        help="also time a re-run with work_mem=256MB, and staged() (no direct-COPY fast path)",
    )
    parser.add_argument(
        "--database",
        help="existing database to use (its bench_* tables are replaced); "
        "default: create and drop 'bench_warehouse' on $PGHOST:$PGPORT (127.0.0.1:5432) as $PGUSER (postgres)",
    )
    args = parser.parse_args(argv)
    if args.database:
        db = Database(args.database)
        try:
            report = run(db, args.rows, args.seed, args.repeat, args.extra)
        finally:
            db.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}", f"DROP TABLE IF EXISTS {MERGE_TABLE}")
        print(report)
    else:
        with temporary_database("bench_warehouse") as db:
            report = run(db, args.rows, args.seed, args.repeat, args.extra)
        print(report)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
