"""The whole load of one source, against ``psql \\copy`` of the same file: first load, unchanged re-runs.

Used by ``bench.patient_etl`` and ``bench.billing_etl``. For each size and variant (clean, dirty):

* ``psql \\copy`` of the clean file into a fresh table with the contract's columns and primary key
  -- the reference (``\\copy`` cannot load the dirty file: it stops at its first bad row);
* the load's steps (validate, deduplicate, load, reconcile), each in its own child process, into an
  empty target: ``etl_over_copy`` = their summed time / the ``\\copy`` time;
* a re-run of the same file (the ledger finds it unchanged), checked to rewrite no row (the
  target's row versions unchanged), and a forced one (``force_reload``: validated and applied again;
  a merge then leaves every equal row alone, a partition replace rewrites the period's rows).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from bench._common import DATA_DIR, CsvFile, Database, json_figures, psql_copy, temporary_database
from bench._etl import copy_table_ddl, figures, rewritten, run_etl


def bench_file(
    db: Database, contract: str, target: str, file: CsvFile, copy_seconds: float, run: dict[str, Any]
) -> dict[str, Any]:
    from dataplatform.sources import CONTRACTS

    c = CONTRACTS[contract]
    db.execute(f"DROP TABLE IF EXISTS {c.target}, {c.quarantine}", "CHECKPOINT")
    if db.scalar("SELECT to_regclass('dataplatform.loads')"):
        db.execute(f"DELETE FROM dataplatform.loads WHERE contract = '{contract}'")
    first = run_etl(db, contract, str(file.path), {**run, "run_id": "bench_first"})
    out = {
        "rows": file.rows,
        "bytes": file.bytes,
        "copy_seconds": round(copy_seconds, 3),
        **figures(first, copy_seconds),
    }
    load = first[2].result
    out["loaded"], out["rejected"] = load["rows"], first[0].result["rows_rejected"]
    for label, force in (("rerun", False), ("forced_rerun", True)):
        before = rewritten(db, target)
        again = run_etl(db, contract, str(file.path), {**run, "run_id": f"bench_{label}"}, force=force)
        unchanged = rewritten(db, target) == before
        out[label] = {
            **figures(again, copy_seconds),
            "skipped": again[0].result["skipped"],
            "rows_rewritten": again[2].result["inserted"] + again[2].result["updated"],
            "row_versions_unchanged": unchanged,
        }
    return out


def main(
    contract: str,
    make_file: Callable[[int, bool], CsvFile],
    run: dict[str, Any],
    *,
    argv: list[str] | None = None,
    prepare: Callable[[Database, list[int]], None] | None = None,
    description: str = "",
) -> None:
    parser = argparse.ArgumentParser(
        description=description or __doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--clean-only", action="store_true", help="skip the dirty files")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds; the best ETL time of each file is kept"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args(argv)
    os.environ.setdefault("AIRFLOW_HOME", str(DATA_DIR / "airflow_home"))  # the children inherit it
    from dataplatform.sources import CONTRACTS

    target = CONTRACTS[contract].target
    results: dict[tuple[int, str], dict[str, Any]] = {}
    heads = ("\\copy", "ETL", "x copy", "peak RSS", "re-run", "x copy", "forced", "x copy")
    print(f"{'file':34} " + " ".join(f"{h:>7}" for h in heads) + "  steps (s)")
    with temporary_database(f"bench_{contract}") as db:
        if prepare:
            prepare(db, args.rows)
        for _round in range(args.repeat):
            for rows in args.rows:
                clean = make_file(rows, False)
                db.execute("DROP TABLE IF EXISTS copy_ref", copy_table_ddl(contract), "CHECKPOINT")
                copy_seconds = psql_copy(db, "copy_ref", clean.path).seconds
                db.execute("DROP TABLE copy_ref")
                for variant in ("clean",) if args.clean_only else ("clean", "dirty"):
                    file = clean if variant == "clean" else make_file(rows, True)
                    fig = {
                        "source": contract,
                        "variant": variant,
                        **bench_file(db, contract, target, file, copy_seconds, run),
                    }
                    best = results.get((rows, variant))
                    if best is None or fig["etl_seconds"] < best["etl_seconds"]:
                        results[(rows, variant)] = fig
                    _show(file.path.name, fig)
    if args.repeat > 1:
        print(f"\nbest of {args.repeat} rounds")
        for fig in results.values():
            _show(f"{fig['source']} {fig['variant']} {fig['rows']}", fig)
    if args.json:
        json_figures(list(results.values()))


def _show(label: str, fig: dict[str, Any]) -> None:
    steps = " ".join(f"{k} {v['seconds']:.2f}" for k, v in fig["steps"].items())
    r, f = fig["rerun"], fig["forced_rerun"]
    print(
        f"{label:34} {fig['copy_seconds']:>7.2f} {fig['etl_seconds']:>7.2f} {fig['etl_over_copy']:>6.2f}x "
        f"{fig['max_step_rss_mb']:>7.0f}MB {r['etl_seconds']:>7.2f} {r['etl_over_copy']:>6.2f}x "
        f"{f['etl_seconds']:>7.2f} {f['etl_over_copy']:>6.2f}x  {steps}"
        + ("" if r["row_versions_unchanged"] else "  RE-RUN REWROTE ROWS")
        + ("" if f["row_versions_unchanged"] else f"  (forced re-run rewrote {f['rows_rewritten']} rows)"),
        flush=True,
    )
