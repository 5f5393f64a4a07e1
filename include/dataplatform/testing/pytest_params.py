"""The policy's pytest entry point: one ``pytest.param`` per DAG file (the only module importing pytest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dataplatform.testing.integrity import dag_files


def pytest_params(dags_folder: Path | str) -> list[Any]:
    """``pytest.param`` per DAG file (id = the file as shown in violations), for per-file tests::

    @pytest.mark.parametrize("dag_file", pytest_params(DAGS))
    def test_dag_file(report, dag_file):
        assert not report.for_file(dag_file), format_violations(report.for_file(dag_file))
    """
    return [pytest.param(file, id=file) for file in dag_files(dags_folder)]
