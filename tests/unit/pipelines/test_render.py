"""Good specs render to the expected tasks, dependencies, operators and platform defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.standard.operators.python import PythonOperator

from dataplatform.alerts import on_dag_failure, on_task_failure
from dataplatform.pipelines import PipelineSpecError, pipeline_dag
from dataplatform.pipelines.operators import CommandOperator

REPO = Path(__file__).parents[3]
GOOD = REPO / "tests" / "fixtures" / "pipelines" / "good"
LOAD_TASKS = ["resolve", "wait_for_file", "validate", "deduplicate", "load", "reconcile", "cleanup"]


@pytest.fixture(scope="module")
def every_kind():
    return pipeline_dag(GOOD / "every_kind" / "dag.py")


def upstream(dag, task_id: str) -> set[str]:
    return set(dag.get_task(task_id).upstream_task_ids)


def test_tasks_and_operators(every_kind) -> None:
    assert sorted(every_kind.task_ids) == sorted(
        [f"patients.{t}" for t in LOAD_TASKS] + ["summarise", "score", "risk", "publish"]
    )
    assert isinstance(every_kind.get_task("summarise"), SQLExecuteQueryOperator)
    assert isinstance(every_kind.get_task("score"), CommandOperator)
    assert isinstance(every_kind.get_task("risk"), CommandOperator)
    assert isinstance(every_kind.get_task("publish"), PythonOperator)


def test_dependencies_follow_after(every_kind) -> None:
    assert upstream(every_kind, "summarise") == {"patients.cleanup"}
    assert upstream(every_kind, "score") == upstream(every_kind, "risk") == {"summarise"}
    assert upstream(every_kind, "publish") == {"score", "risk"}
    assert upstream(every_kind, "patients.resolve") == set()


def test_platform_defaults_and_overrides(every_kind) -> None:
    dag = every_kind
    assert dag.owner == "clinical-data" and dag.default_args["alert_route"] == "finance"
    assert on_dag_failure in dag.on_failure_callback
    assert set(dag.tags) == {"fixtures", "clinical-data"}
    assert dag.fileloc == str(GOOD / "every_kind" / "dag.py")
    assert dag.start_date == dt.datetime(2026, 1, 1, tzinfo=dt.UTC) and dag.catchup is False
    for task in dag.tasks:
        assert on_task_failure in task.on_failure_callback
        assert task.retry_delay == dt.timedelta(seconds=30)
    assert {t.retries for t in dag.tasks if t.task_id.startswith("patients.")} == {5}  # the step's override
    assert dag.get_task("summarise").retries == 4  # the shared defaults.yaml
    assert dag.get_task("summarise").retry_exponential_backoff == 2.0
    assert dag.get_task("publish").retry_exponential_backoff == 3
    assert dag.get_task("score").execution_timeout == dt.timedelta(minutes=5)
    assert dag.get_task("risk").execution_timeout == dt.timedelta(minutes=45)


def test_schedule_outlets_and_params(every_kind) -> None:
    dag = every_kind
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["warehouse.public.patients"]
    assert [a.name for a in dag.get_task("publish").outlets] == ["warehouse.bi.every_kind"]  # the final step
    assert dag.get_task("score").outlets == []
    assert dag.params["limit"] == 100 and dag.params["label"] == "ward"
    assert dag.params.get_param("label").schema["enum"] == ["ward", "payer"]
    assert "patients_source_uri" in dag.params  # the load step's params


def test_steps_get_their_config_files(every_kind) -> None:
    dag = every_kind
    sql = dag.get_task("summarise")
    assert sql.sql.startswith("SELECT {{ params.config.columns")
    assert sql.params["config"] == {"columns": ["ward", "count(*)"]}
    score = dag.get_task("score")
    assert score.params["config"]["rule"] == [
        {"@name": "age", "#text": "65"},
        {"@name": "ward", "#text": "ICU"},
    ]
    assert score.argv == [str(GOOD / "every_kind/scripts/score.sh"), "--day", "{{ ds }}", "--limit", "7"]
    assert (score.env, score.cwd, score.allowed_exit_codes) == (
        {"SCORE_MODE": "strict"},
        str(GOOD / "every_kind"),
        [0, 3],
    )
    risk = dag.get_task("risk")
    assert risk.argv == [
        "java",
        "-Xmx256m",
        "-jar",
        str(GOOD / "every_kind/lib/risk.jar"),
        "--config",
        "config/risk.yaml",
    ]
    assert risk.params["config"] == {"threshold": 0.8, "models": ["a", "b"]}
    publish = dag.get_task("publish")
    assert publish.op_kwargs == {
        "callable_path": "dataplatform.pipelines.tasks.require_reconciled",
        "kwargs": {"sources": ["patients"]},
    }


def test_doc_md_is_generated_from_the_spec(every_kind) -> None:
    doc = every_kind.doc_md
    assert doc.startswith("# every_kind\n\nevery step kind once, wired by after\n")
    assert (
        "| `publish` | python | `score`, `risk` | calls `dataplatform.pipelines.tasks.require_reconciled` |"
        in doc
    )
    assert "`warehouse.public.patients`" in doc and "`patient_id`" in doc  # the load's contract doc


def test_minimal_pipeline_gets_the_defaults() -> None:
    dag = pipeline_dag(GOOD / "minimal" / "dag.py")
    assert dag.task_ids == ["only"] and dag.schedule is None
    task = dag.get_task("only")
    assert (task.retries, task.execution_timeout, task.owner) == (4, dt.timedelta(minutes=45), "fixture-team")


def test_billing_summary_pipeline() -> None:
    dag = pipeline_dag(REPO / "dags" / "pipelines" / "billing_summary" / "dag.py")
    assert dag.task_ids == ["inputs_reconciled", "build"]
    assert upstream(dag, "build") == {"inputs_reconciled"}
    assert [a.name for a in dag.get_task("build").outlets] == ["warehouse.bi.billing_summary"]
    assert sorted(a.name for a in dag.timetable.asset_condition.objects) == [
        "warehouse.public.billing_claims",
        "warehouse.public.insurance_claims",
    ]
    assert "INSERT INTO bi.billing_summary" in dag.get_task("build").sql


def test_broken_spec_raises_every_error(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "p.yaml").write_text("id: p\nowner: t\ndescription: d\nschedul: x\nsteps:\n  a: {kind: sqll}\n")
    with pytest.raises(PipelineSpecError) as raised:
        pipeline_dag(folder / "dag.py")
    text = str(raised.value)
    assert text.startswith("2 error(s) in pipeline spec:\n")
    assert "p.yaml:4:1: p: unknown key `schedul` (did you mean `schedule`?)" in text
    assert "p.yaml:6:13: p/a: unknown step kind `sqll` (did you mean `sql`?)" in text


def test_errors_name_absolute_paths_when_run_from_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "p.yaml").write_text("id: p\n")
    monkeypatch.chdir("/")
    with pytest.raises(PipelineSpecError) as raised:
        pipeline_dag(folder / "dag.py")
    assert f"\n{folder / 'p.yaml'}:1:1: p: missing required key `description`" in str(raised.value)
