"""The daily report's pipeline figures from REST payloads (as GET /api/v2/dags/~/dagRuns returns them)."""

from __future__ import annotations

from dataplatform.reports.daily.pipeline import dag_run_summary, failed_task_list


def run(dag_id, run_id, state, start, end=None):
    return {"dag_id": dag_id, "dag_run_id": run_id, "state": state, "start_date": start, "end_date": end}


def test_runs_are_counted_per_dag_with_durations_of_finished_ones(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://ui.example")
    summary = dag_run_summary(
        [
            run("a", "r1", "success", "2026-12-01T06:00:00Z", "2026-12-01T06:01:00Z"),
            run("a", "r2", "failed", "2026-12-01T07:00:00Z", "2026-12-01T07:03:00Z"),
            run("a", "r3", "success", "2026-12-01T08:00:00Z", "2026-12-01T08:02:00Z"),
            run("a", "r4", "running", "2026-12-01T09:00:00Z"),
            run(
                "b",
                "manual__2026-12-01T10:00:00+00:00",
                "success",
                "2026-12-01T10:00:00Z",
                "2026-12-01T10:00:30Z",
            ),
        ]
    )
    a, b = summary
    assert (a["dag_id"], a["runs"], a["success"], a["failed"], a["unfinished"]) == ("a", 4, 2, 1, 1)
    assert (a["median_seconds"], a["max_seconds"], a["latest_state"]) == (120.0, 180.0, "running")
    assert a["latest_run_url"] == "http://ui.example/dags/a/runs/r4"
    assert b["latest_run_url"] == "http://ui.example/dags/b/runs/manual__2026-12-01T10%3A00%3A00%2B00%3A00"


def test_failed_tasks_link_to_their_try_latest_first(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://ui.example/")
    tasks = failed_task_list(
        [
            {
                "dag_id": "a",
                "dag_run_id": "r1",
                "task_id": "g.t",
                "map_index": -1,
                "try_number": 2,
                "end_date": "2026-12-01T06:00:00Z",
            },
            {
                "dag_id": "a",
                "dag_run_id": "r2",
                "task_id": "m",
                "map_index": 3,
                "try_number": 1,
                "end_date": "2026-12-01T09:00:00Z",
            },
        ]
    )
    assert [t["log_url"] for t in tasks] == [
        "http://ui.example/dags/a/runs/r2/tasks/m/mapped/3?try_number=1",
        "http://ui.example/dags/a/runs/r1/tasks/g.t?try_number=2",
    ]
