"""``CommandOperator`` runs a real process with allowed exit codes; ``call_by_path`` imports by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowException

from dataplatform.pipelines.operators import CommandOperator, call_by_path


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.sh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_runs_argv_in_cwd_with_env(tmp_path: Path) -> None:
    run = script(tmp_path, 'echo "$1 $STEP_MODE $(pwd)"')
    op = CommandOperator(task_id="t", argv=[str(run), "a b"], env={"STEP_MODE": "strict"}, cwd=str(tmp_path))
    assert op.execute({}) == f"a b strict {tmp_path}"


def test_allowed_exit_codes(tmp_path: Path) -> None:
    run = script(tmp_path, "echo nothing to do; exit 3")
    ok = CommandOperator(task_id="t", argv=[str(run)], allowed_exit_codes=[0, 3], cwd=str(tmp_path))
    assert ok.execute({}) == "nothing to do"
    failing = CommandOperator(task_id="t", argv=[str(run)], cwd=str(tmp_path))
    with pytest.raises(
        AirflowException, match=r"exited with 3 \(allowed: \[0\]\); last output: nothing to do"
    ):
        failing.execute({})


def test_call_by_path() -> None:
    assert call_by_path("posixpath:basename", {"p": "/a/b.txt"}) == "b.txt"
    assert call_by_path("json.dumps", {"obj": [1], "indent": None}) == "[1]"
