"""Pipeline facts of one day from Airflow's REST API: DAG runs per DAG, and the failed tasks.

A run belongs to the day it *started* in (UTC); a failed task to the day its try ended in. Each
failed task carries the link to its try's log, the same link an alert has.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from dataplatform.hooks.airflow_api import AirflowApiHook
from dataplatform.ui_links import log_url, run_url

#: Failed tasks listed in the report (the rest are counted).
MAX_FAILED_TASKS = 50
FINISHED = ("success", "failed")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _seconds(run: Mapping[str, Any]) -> float | None:
    if not run.get("start_date") or not run.get("end_date"):
        return None
    start = dt.datetime.fromisoformat(run["start_date"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(run["end_date"].replace("Z", "+00:00"))
    return round((end - start).total_seconds(), 1)


def dag_run_summary(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per DAG: runs, by state, median and longest duration of the finished ones, the latest run."""
    by_dag: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for run in runs:
        by_dag[run["dag_id"]].append(run)
    summary = []
    for dag_id, dag_runs in sorted(by_dag.items()):
        states: dict[str, int] = defaultdict(int)
        for run in dag_runs:
            states[run.get("state") or "none"] += 1
        durations = [s for r in dag_runs if r.get("state") in FINISHED and (s := _seconds(r)) is not None]
        latest = max(dag_runs, key=lambda r: r.get("start_date") or "")
        summary.append(
            {
                "dag_id": dag_id,
                "runs": len(dag_runs),
                "success": states.get("success", 0),
                "failed": states.get("failed", 0),
                "unfinished": sum(n for s, n in states.items() if s not in FINISHED),
                "median_seconds": round(statistics.median(durations), 1) if durations else None,
                "max_seconds": max(durations) if durations else None,
                "latest_state": latest.get("state"),
                "latest_run_url": run_url(dag_id, latest["dag_run_id"]),
            }
        )
    return summary


def failed_task_list(tis: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Failed task tries, latest first, each with its log link."""
    rows = [
        {
            "dag_id": ti["dag_id"],
            "run_id": ti["dag_run_id"],
            "task_id": ti["task_id"],
            "map_index": ti.get("map_index", -1),
            "try_number": ti.get("try_number"),
            "end_date": ti.get("end_date"),
            "log_url": log_url(
                ti["dag_id"], ti["dag_run_id"], ti["task_id"], ti.get("try_number"), ti.get("map_index", -1)
            ),
        }
        for ti in tis
    ]
    return sorted(rows, key=lambda r: (r["end_date"] or "", r["dag_id"], r["task_id"]), reverse=True)


def pipeline_facts(hook: AirflowApiHook, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Runs that started in ``[start, end)`` and task tries that failed in it."""
    runs = list(
        hook.collect(
            "dags/~/dagRuns",
            "dag_runs",
            {"start_date_gte": _iso(start), "start_date_lt": _iso(end), "order_by": "start_date"},
        )
    )
    failed = failed_task_list(
        hook.collect(
            "dags/~/dagRuns/~/taskInstances",
            "task_instances",
            {"state": "failed", "end_date_gte": _iso(start), "end_date_lt": _iso(end)},
        )
    )
    dags = dag_run_summary(runs)
    return {
        "dags": dags,
        "totals": {
            "dags": len(dags),
            "runs": len(runs),
            "success": sum(d["success"] for d in dags),
            "failed": sum(d["failed"] for d in dags),
            "unfinished": sum(d["unfinished"] for d in dags),
            "failed_tasks": len(failed),
        },
        "failed_tasks": failed[:MAX_FAILED_TASKS],
    }
