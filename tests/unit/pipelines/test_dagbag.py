"""In Airflow's DagBag, a broken pipeline is its own import error and never hides a good one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pipelines"


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    """A DAGs folder with one broken pipeline (an unknown ``after:`` target) and one good one."""
    pipelines = tmp_path / "dags" / "pipelines"
    shutil.copytree(FIXTURES / "broken" / "unknown_after", pipelines / "unknown_after")
    shutil.copytree(FIXTURES / "good" / "minimal", pipelines / "minimal")
    shutil.copy(FIXTURES / "good" / "defaults.yaml", pipelines / "defaults.yaml")
    return tmp_path / "dags"


def test_one_broken_pipeline_is_one_import_error(dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.chdir(dags_folder.parent)
    bag = DagBag(dag_folder=str(dags_folder))
    assert sorted(bag.dags) == ["minimal"]
    assert bag.dags["minimal"].fileloc == str(dags_folder / "pipelines" / "minimal" / "dag.py")
    ((path, trace),) = bag.import_errors.items()
    assert path.endswith("pipelines/unknown_after/dag.py")
    assert "PipelineSpecError: 1 error(s) in pipeline spec:" in trace
    assert (
        "dags/pipelines/unknown_after/unknown_after.yaml:12:13: unknown_after/load: step `load` depends on"
        " `extrct`, which is not a step (did you mean `extract`?)"
    ) in trace
