"""``python -m dataplatform.pipelines validate|schema``: output and exit codes; the committed schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dataplatform.pipelines.cli import main, schema_text

REPO = Path(__file__).parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "pipelines"
SCHEMA = REPO / "dags" / "pipelines" / "pipeline.schema.json"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_repo_pipelines_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "dags/pipelines"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "no errors in" in out.err


def test_every_error_of_every_file_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/fixtures/pipelines/broken"]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert (
        "tests/fixtures/pipelines/broken/unknown_after/unknown_after.yaml:12:13: unknown_after/load:"
        " step `load` depends on `extrct`, which is not a step (did you mean `extract`?)"
    ) in lines
    assert "tests/fixtures/pipelines/broken/cycle/cycle.yaml:9:12: cycle/a: cycle: a → b → c → a" in out.out
    expected = sum(
        sum(line.startswith("# expect: ") for line in p.read_text().splitlines())
        for p in sorted((FIXTURES / "broken").glob("*/*.yaml"))
        if p.stem == p.parent.name
    )
    assert len(lines) == expected  # every error of every case
    assert out.err.strip().endswith(f"error(s) in {len(list((FIXTURES / 'broken').glob('*/')))} pipeline(s)")


def test_one_file_and_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/fixtures/pipelines/good/minimal/minimal.yaml"]) == 0
    assert main(["validate", "no/such/folder"]) == 1
    assert capsys.readouterr().out == "no/such/folder: no such file or folder\n"


def test_duplicate_ids_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for where in ("a", "b"):
        shutil.copytree(FIXTURES / "good" / "minimal", tmp_path / where / "minimal")
    assert main(["validate", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "pipeline id `minimal` is also used by" in capsys.readouterr().out


def test_module_entry_point_exit_code() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "dataplatform.pipelines", "validate", "tests/fixtures/pipelines/broken/cycle"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert bad.returncode == 1
    assert bad.stdout.startswith(
        "tests/fixtures/pipelines/broken/cycle/cycle.yaml:9:12: cycle/a: cycle: a → b → c → a"
    )


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "dags/pipelines/pipeline.schema.json is stale: run python -m dataplatform.pipelines schema"
    )
    assert main(["schema", "--check"]) == 0


def test_schema_check_fails_when_stale(tmp_path: Path) -> None:
    stale = tmp_path / "pipeline.schema.json"
    stale.write_text("{}\n")
    assert main(["schema", "--check", "--output", str(stale)]) == 1
    assert main(["schema", "--output", str(stale)]) == 0
    assert main(["schema", "--check", "--output", str(stale)]) == 0


def test_a_spec_not_named_after_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pipelines" / "minimal"
    shutil.copytree(FIXTURES / "good" / "minimal", folder)
    (folder / "minimal.yaml").rename(folder / "pipeline.yaml")
    assert main(["validate", str(tmp_path / "pipelines")]) == 1
    out = capsys.readouterr().out
    assert "minimal/dag.py: dag.py has no minimal.yaml beside it: its DAG fails to import" in out
