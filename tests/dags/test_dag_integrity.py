"""DAG integrity: every DAG in ``dags/`` passes the platform policy (:mod:`dataplatform.testing`).

No database and no services: each DAG file is parsed alone with a ``DagBag`` in a child of one
worker process (this process never imports the DAG code). Parse time is not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataplatform.testing import IntegrityReport, format_violations, run_integrity, shared_parser
from dataplatform.testing.pytest_params import pytest_params

DAGS = Path(__file__).parents[2] / "dags"

shared_parser()  # start the parse worker (it imports Airflow) while pytest collects


@pytest.fixture(scope="module")
def report() -> IntegrityReport:
    return run_integrity(DAGS)


def test_dags_folder_has_dags(report: IntegrityReport) -> None:
    assert report.dags, f"no DAG parsed from {DAGS}"


def test_no_integrity_violations(report: IntegrityReport) -> None:
    assert not report.violations, format_violations(report.violations)


@pytest.mark.parametrize("dag_file", pytest_params(DAGS))
def test_dag_file_passes_policy(report: IntegrityReport, dag_file: str) -> None:
    violations = report.for_file(dag_file)
    assert not violations, format_violations(violations)


@pytest.mark.parametrize("dag_file", pytest_params(DAGS))
def test_dag_file_defines_a_dag(report: IntegrityReport, dag_file: str) -> None:
    assert dag_file in report.dags.values(), f"{dag_file} defines no DAG"
