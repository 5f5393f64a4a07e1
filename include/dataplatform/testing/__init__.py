"""DAG integrity policy: every DAG repository of the platform runs it in CI.

.. code-block:: python

    from pathlib import Path

    import pytest

    from dataplatform.testing import format_violations, run_integrity, shared_parser
    from dataplatform.testing.pytest_params import pytest_params

    DAGS = Path(__file__).parents[2] / "dags"
    shared_parser()  # optional: start the parse worker at collection time


    @pytest.fixture(scope="module")
    def report():
        return run_integrity(DAGS)


    def test_no_violations(report):
        assert not report.violations, format_violations(report.violations)


    @pytest.mark.parametrize("dag_file", pytest_params(DAGS))
    def test_dag_file(report, dag_file):
        assert not report.for_file(dag_file), format_violations(report.for_file(dag_file))

Tune with :class:`Policy` (heavy modules, callback package prefixes, minimum retries, disabled
rules). Each DAG file is parsed alone in a child of one worker process that imported Airflow once
(:class:`DagParser`): importing this package imports neither Airflow nor DAG code.
"""

from dataplatform.testing.integrity import IntegrityReport, dag_files, run_integrity, run_integrity_many
from dataplatform.testing.parser import DagParser, shared_parser
from dataplatform.testing.policy import (
    DEFAULT_CALLBACK_PREFIX,
    DEFAULT_HEAVY_MODULES,
    DEFAULT_NOTIFIER_PREFIX,
    Policy,
    Rule,
    Violation,
    format_violations,
)
from dataplatform.testing.results import FileResult

__all__ = [
    "DEFAULT_CALLBACK_PREFIX",
    "DEFAULT_HEAVY_MODULES",
    "DEFAULT_NOTIFIER_PREFIX",
    "DagParser",
    "FileResult",
    "IntegrityReport",
    "Policy",
    "Rule",
    "Violation",
    "dag_files",
    "format_violations",
    "run_integrity",
    "run_integrity_many",
    "shared_parser",
]
