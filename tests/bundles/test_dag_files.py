"""The DAG files the bundle tests commit follow the platform's DAG policy (no stack needed)."""

from __future__ import annotations

from pathlib import Path

from dataplatform.testing import Policy, Rule, format_violations, run_integrity
from tests.bundles import dag_files

#: Failure callbacks come from the provider package; these DAGs use ``airflow.sdk`` only.
POLICY = Policy(disabled={Rule.FAILURE_CALLBACK})


def test_committed_dag_files_pass_the_policy(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, source in {
        "bundle_probe.py": dag_files.probe("x"),
        "bundle_second.py": dag_files.second("x"),
        "bundle_added.py": dag_files.added("x"),
    }.items():
        (folder / name).write_text(source)

    report = run_integrity(folder, policy=POLICY)

    assert sorted(report.dags) == sorted([dag_files.PROBE_ID, dag_files.SECOND_ID, dag_files.ADDED_ID])
    assert not report.violations, format_violations(report.violations)


def test_the_bad_commit_is_an_import_error(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "bundle_second.py").write_text(dag_files.broken_second("x"))

    report = run_integrity(folder, policy=POLICY)

    assert [v.rule for v in report.violations] == [Rule.IMPORT_ERROR]
    assert dag_files.BROKEN_IMPORT in report.violations[0].message
