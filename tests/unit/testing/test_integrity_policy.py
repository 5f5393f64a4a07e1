"""The DAG integrity policy against fixtures: ``tests/fixtures/broken_dags/<rule>/`` each break
exactly one rule, ``tests/fixtures/good_dags/`` breaks none."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from dataplatform.testing import (
    DEFAULT_HEAVY_MODULES,
    IntegrityReport,
    Policy,
    Rule,
    Violation,
    format_violations,
    run_integrity,
    run_integrity_many,
    shared_parser,
)
from dataplatform.testing.rules import has_platform_callback
from dataplatform.testing.source import check_source

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOOD = FIXTURES / "good_dags"
BROKEN = FIXTURES / "broken_dags"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())
WITHOUT_HEAVY = Policy(disabled={Rule.HEAVY_IMPORT})  # the other rules only
PREFIXES = ("dataplatform.alerts", "dataplatform.notifications")

shared_parser()  # start the parse worker (it imports Airflow) while pytest collects


@pytest.fixture(scope="module")
def reports() -> dict[str, IntegrityReport]:
    """Every fixture folder checked once (one parallel parse batch for all of them)."""
    found = run_integrity_many([GOOD, *(BROKEN / case for case in CASES)])
    return {folder.name: report for folder, report in found.items()}


def _rule(case: str) -> Rule:
    return Rule(case.replace("_", "-"))


def test_every_rule_has_a_broken_fixture() -> None:
    assert {_rule(case) for case in CASES} == set(Rule)


def test_good_fixture_passes_every_rule(reports: dict[str, IntegrityReport]) -> None:
    report = reports[GOOD.name]
    assert not report.violations, format_violations(report.violations)
    assert report.dags == {
        "fixture_good_classic": "good_dags/classic.py",
        "fixture_good_decorated": "good_dags/decorated.py",
    }


@pytest.mark.parametrize("case", CASES)
def test_broken_fixture_breaks_exactly_its_rule(reports: dict[str, IntegrityReport], case: str) -> None:
    rule = _rule(case)
    violations = reports[case].violations
    assert {v.rule for v in violations} == {rule}, format_violations(violations)
    for path in sorted((BROKEN / case).glob("*.py")):
        texts = [str(v) for v in reports[case].for_file(f"{case}/{path.name}")]
        assert texts, f"{path.name} breaks no rule:\n{format_violations(violations)}"
        assert all(text.startswith(f"{case}/{path.name}") and f" {rule}: " in text for text in texts)


@pytest.mark.parametrize(
    ("case", "file", "dag_id", "expected"),
    [
        ("import_error", "misspelt_import.py", None, ["default_arguments", "(line 6)"]),
        ("no_dags", "forgot_to_call.py", None, ["@dag function"]),
        (
            "duplicate_dag_id",
            "orders_v1.py",
            "fixture_orders",
            ["also defined in duplicate_dag_id/orders_v2.py"],
        ),
        (
            "duplicate_dag_id",
            "orders_v2.py",
            "fixture_orders",
            ["also defined in duplicate_dag_id/orders_v1.py"],
        ),
        ("duplicate_dag_id", "twice_in_one_file.py", "fixture_ledger", ["2 times in this file"]),
        ("owner", "task_owned_by_airflow.py", "fixture_owner", ["default owner 'airflow'", "task(s) work"]),
        ("retries", "single_retry.py", "fixture_retries", ["work (1)"]),
        ("backoff", "no_backoff.py", "fixture_backoff", ["task(s) work"]),
        ("failure_callback", "task_callback.py", "fixture_task_callback", ["task(s) work"]),
        ("failure_callback", "dag_callback.py", "fixture_dag_callback", ["the DAG's on_failure_callback"]),
        ("catchup", "implicit_catchup.py", "fixture_catchup", ["line 9", "catchup="]),
        ("start_date", "moving_start_date.py", "fixture_moving_start", ["line 12", "now()"]),
        ("start_date", "missing_start_date.py", "fixture_missing_start", ["no start_date"]),
        ("heavy_import", "s3hook_at_top.py", None, ["boto3, botocore"]),
    ],
)
def test_violation_says_what_and_where(
    reports: dict[str, IntegrityReport], case: str, file: str, dag_id: str | None, expected: list[str]
) -> None:
    [violation] = reports[case].for_file(f"{case}/{file}")
    assert violation.dag_id == dag_id
    for text in expected:
        assert text in violation.message


def test_violation_str_names_file_dag_and_rule() -> None:
    with_dag = Violation("dags/foo.py", "foo", "owner", "default owner 'airflow'")
    assert str(with_dag) == "dags/foo.py [dag foo] owner: default owner 'airflow'"
    assert str(Violation("dags/bar.py", None, "import-error", "boom")) == "dags/bar.py import-error: boom"


def test_empty_folder_has_no_dags(tmp_path: Path) -> None:
    violations = run_integrity(tmp_path, WITHOUT_HEAVY).violations
    assert [(v.file, v.rule) for v in violations] == [(f"{tmp_path.name}/", "no-dags")]


def test_file_that_kills_its_parser_is_an_import_error(tmp_path: Path) -> None:
    (tmp_path / "exits.py").write_text("from airflow.sdk import dag\nimport os\n\nos._exit(3)\n")
    [violation] = run_integrity(tmp_path).violations
    assert (violation.file, violation.rule) == (f"{tmp_path.name}/exits.py", "import-error")
    assert "died" in violation.message


def test_importing_the_package_imports_no_airflow_and_no_heavy_module() -> None:
    code = "import sys, dataplatform.testing; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'airflow'" not in loaded
    assert not [m for m in DEFAULT_HEAVY_MODULES if f"'{m}'" in loaded]


def test_heavy_modules_are_a_parameter() -> None:
    policy = Policy(heavy_modules=frozenset({"pandas"}))
    assert run_integrity(BROKEN / "heavy_import", policy).violations == []


def test_driver_of_the_metadata_db_is_still_a_heavy_import(tmp_path: Path) -> None:
    """The session's metadata DB is postgresql+psycopg (tests/conftest.py): the parse worker must not
    preload psycopg through Airflow's ORM set-up, or this import would go unnoticed."""
    (tmp_path / "pg.py").write_text(
        "from airflow.providers.postgres.hooks.postgres import PostgresHook  # dag\n"
    )
    heavy = [v for v in run_integrity(tmp_path).violations if v.rule == "heavy-import"]
    assert len(heavy) == 1
    assert "imports psycopg" in heavy[0].message  # the provider also pulls in psycopg2


def test_preloaded_airflow_sdk_imports_no_heavy_module() -> None:
    assert not shared_parser().baseline() & DEFAULT_HEAVY_MODULES


def test_callback_prefixes_are_parameters() -> None:
    policy = Policy(
        callback_prefix="acme.alerts", notifier_prefix="acme.notify", disabled=WITHOUT_HEAVY.disabled
    )
    violations = run_integrity(GOOD, policy).violations
    assert {v.rule for v in violations} == {"failure-callback"}
    assert len(violations) == 4  # task-level and DAG-level, in both good DAGs
    assert all("acme.alerts" in v.message for v in violations)


def test_min_retries_and_disabled_rules_are_parameters() -> None:
    strict = run_integrity(GOOD, Policy(min_retries=4, disabled=WITHOUT_HEAVY.disabled)).violations
    assert {v.rule for v in strict} == {"retries"}
    assert run_integrity(BROKEN / "tags", Policy(disabled={"tags"})).violations == []


def test_policy_rejects_unknown_rule_names() -> None:
    with pytest.raises(ValueError, match="tag"):
        Policy(disabled={"tag"})


def _in_module(module: str) -> object:
    def callback(context: object) -> None: ...

    callback.__module__ = module
    return callback


def _notifier(module: str) -> object:
    return type("Notifier", (), {"__module__": module, "__call__": lambda self, context: None})()


ALERT = _in_module("dataplatform.alerts.callbacks")


@pytest.mark.parametrize(
    ("callbacks", "ok"),
    [
        (None, False),
        ([], False),
        (ALERT, True),
        ([print, ALERT], True),
        ((ALERT,), True),
        (functools.partial(ALERT), True),
        (_in_module("dataplatform.alerts"), True),
        (_notifier("dataplatform.notifications.email"), True),
        ([print], False),
        (_in_module("dataplatform.alertsx"), False),
        (_notifier("acme.notifications"), False),
    ],
    ids=[
        "none",
        "empty",
        "function",
        "list",
        "tuple",
        "partial",
        "package-itself",
        "notifier",
        "foreign",
        "prefix-boundary",
        "foreign-notifier",
    ],
)
def test_platform_callback_detection(callbacks: object, ok: bool) -> None:
    assert has_platform_callback(callbacks, PREFIXES) is ok


DAG_HEADER = "import datetime\nimport pendulum\nfrom airflow.sdk import DAG, dag\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("DAG('a', start_date=pendulum.datetime(2026, 1, 1), catchup=False)", []),
        ("DAG('a', start_date=datetime.datetime.now(), catchup=False)", [("a", "start-date", "now()")]),
        (
            "DAG('a', start_date=pendulum.today('UTC').add(days=-1), catchup=False)",
            [("a", "start-date", "today()")],
        ),
        (
            "START = days_ago(2)\nDAG('a', start_date=START, catchup=False)",
            [("a", "start-date", "days_ago()")],
        ),
        (
            "ARGS = {'start_date': timezone.utcnow()}\nDAG('a', default_args=ARGS, catchup=False)",
            [(None, "start-date", "utcnow()")],
        ),
        ("DAG(dag_id='a', start_date=pendulum.datetime(2026, 1, 1))", [("a", "catchup", "catchup=")]),
        ("DAG('a', **common)", [("a", "catchup", "**kwargs")]),
        ("@dag\ndef pipeline():\n    pass", [("pipeline", "catchup", "line 4")]),
        ("@dag(dag_id='b', catchup=True)\ndef pipeline():\n    pass", []),
        ("from airflow.sdk import DAG as AirflowDAG\nAirflowDAG('c')", [("c", "catchup", "catchup=")]),
        ("import airflow.sdk as sdk\n@sdk.dag()\ndef d():\n    pass", [("d", "catchup", "catchup=")]),
    ],
    ids=[
        "static",
        "datetime-now",
        "pendulum-today",
        "module-constant",
        "default-args-dict",
        "no-catchup",
        "star-kwargs",
        "bare-decorator",
        "decorator-ok",
        "aliased-class",
        "module-alias",
    ],
)
def test_source_rules(tmp_path: Path, source: str, expected: list[tuple[str | None, str, str]]) -> None:
    path = tmp_path / "dag_file.py"
    path.write_text(DAG_HEADER + source + "\n")
    found = check_source(path, Policy())
    assert [(dag_id, str(rule)) for dag_id, rule, _ in found] == [(d, r) for d, r, _ in expected]
    for (_, _, message), (_, _, text) in zip(found, expected, strict=True):
        assert text in message


def test_unparsable_source_is_left_to_import_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("from airflow.sdk import dag\ndef x(:\n")
    assert check_source(path, Policy()) == []
