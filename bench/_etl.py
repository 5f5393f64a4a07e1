"""The load steps of a contract measured one child process each, as Airflow runs them (one task each).

``run_etl(db, contract, path, run)`` runs validate -> deduplicate -> load -> reconcile in children
(``python -m bench._etl --child ...``), each reporting its own time and result; the child's peak
RSS is measured from outside (:mod:`bench._common`). ``rewritten(db, contract)`` fingerprints the
target's row versions (xmin) to show a re-run rewrote nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NamedTuple

from bench._common import Database, child_report, run_python, stopwatch
from dataplatform.conn_ids import WAREHOUSE_CONN_ID

STEPS = ("validate", "deduplicate", "load", "reconcile")


class Step(NamedTuple):
    name: str
    seconds: float  # the child's own timing of the step (imports excluded: a worker pays them once)
    peak_rss_mb: float
    result: Any


def bench_run(period_kind: str, period: str, run_date: str) -> dict[str, Any]:
    """A load run of the benchmark (the run id is set per measured load)."""
    return {
        "dag_id": "bench",
        "try_number": 1,
        "run_date": run_date,
        "period_kind": period_kind,
        "period": period,
    }


def child(contract_name: str, step: str, args: dict[str, Any]) -> None:
    """In the child: run one step and report its time and result."""
    from dataplatform.loading import steps
    from dataplatform.loading.period import LoadRun
    from dataplatform.sources import CONTRACTS

    contract = CONTRACTS[contract_name]
    prev = args.get("prev", {})
    with stopwatch() as t:
        if step == "validate":
            out = steps.validate(
                contract,
                args["source"],
                LoadRun.from_dict(args["run"]),
                force=args["force"],
                max_reject_ratio=1.0,
            )
        elif step == "deduplicate":
            out = steps.deduplicate(contract, prev["validate"])
        elif step == "load":
            out = steps.load(contract, prev["validate"], prev["deduplicate"])
        elif step == "reconcile":
            out = steps.reconcile_load(contract, prev["validate"], prev["deduplicate"], prev["load"])
        else:
            out = steps.cleanup(contract, args["run"]["dag_id"], args["run"]["run_id"])
    child_report(seconds=t["seconds"], result=out)


def run_etl(
    db: Database, contract_name: str, source: str, run: dict[str, Any], *, force: bool = False
) -> list[Step]:
    """The steps in order, each in its own child; then cleanup (not timed)."""
    env = db.airflow_conn_env(WAREHOUSE_CONN_ID)
    prev: dict[str, Any] = {}
    measured = []
    for step in (*STEPS, "cleanup"):
        args = {"source": source, "run": run, "force": force, "prev": prev}
        proc = run_python(
            "bench._etl", "--child", contract_name, step, json.dumps(args, default=str), env=env
        ).check()
        report = proc.report()
        prev[step] = report["result"]
        if step != "cleanup":
            measured.append(Step(step, report["seconds"], proc.peak_rss_mb, report["result"]))
    return measured


def rewritten(db: Database, table: str) -> str:
    """A fingerprint of every row version of ``table``: equal before and after = nothing rewritten."""
    return str(db.scalar(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY ctid)) FROM {table}"))


def figures(steps: list[Step], copy_seconds: float) -> dict[str, Any]:
    total = sum(s.seconds for s in steps)
    return {
        "etl_seconds": round(total, 3),
        "etl_over_copy": round(total / copy_seconds, 3),
        "max_step_rss_mb": round(max(s.peak_rss_mb for s in steps), 1),
        "steps": {s.name: {"seconds": round(s.seconds, 3), "rss_mb": round(s.peak_rss_mb, 1)} for s in steps},
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))


def copy_table_ddl(contract_name: str, table: str = "copy_ref") -> str:
    """The reference table for ``psql \\copy``: the contract's columns and key (nothing else)."""
    from dataplatform.sources import CONTRACTS

    contract = CONTRACTS[contract_name]
    cols = ", ".join(f"{c.name} {c.type.pg_type}" for c in contract.columns)
    return f"CREATE TABLE {table} ({cols}, PRIMARY KEY ({', '.join(contract.key)}))"
