"""The DAG files committed to the test repository, as source text (``@MARKER@`` set per commit).

Test-only DAGs (never deployed): ``airflow.sdk`` and the standard library only, owner, tags, doc_md
and retries like the repository's DAGs. Each task logs the marker its code was written with and the
file it was loaded from (a path inside the bundle version's checkout), so a log shows which commit ran.
"""

from __future__ import annotations

PROBE_ID = "bundle_probe"
SECOND_ID = "bundle_second"
ADDED_ID = "bundle_added"
#: Paths in the repository (the bundle's ``subdir`` is ``dags``).
PROBE_FILE = "dags/bundle_probe.py"
SECOND_FILE = "dags/bundle_second.py"
ADDED_FILE = "dags/bundle_added.py"

_HEADER = '''"""Test-only DAG delivered by the git bundle tests (never deployed)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from airflow.sdk import dag, task

MARKER = "@MARKER@"
DEFAULT_ARGS = {
    "owner": "platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=1),
    "retry_exponential_backoff": True,
}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
'''

_PROBE = """

@dag(
    dag_id="bundle_probe",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["test", "bundle"],
    doc_md="Test-only: `wait_for_flag` waits for the file `conf['flag']` (if given), then `report` logs MARKER.",
    default_args=DEFAULT_ARGS,
)
def bundle_probe():
    @task
    def wait_for_flag(**context) -> None:
        flag = context["dag_run"].conf.get("flag")
        deadline = time.monotonic() + 150
        while flag and not Path(flag).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"flag {flag} never appeared")
            time.sleep(0.2)
        print(f"wait_for_flag marker: {MARKER} from {__file__}")

    @task
    def report() -> str:
        print(f"report marker: {MARKER} from {__file__}")
        return MARKER

    wait_for_flag() >> report()


bundle_probe()
"""


def _reporting_dag(dag_id: str, doc: str, label: str) -> str:
    """A one-task DAG whose ``report`` logs ``<label> marker: MARKER``."""
    return f'''

@dag(
    dag_id="{dag_id}",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["test", "bundle"],
    doc_md="Test-only: {doc}; `report` logs MARKER.",
    default_args=DEFAULT_ARGS,
)
def {dag_id}():
    @task
    def report() -> str:
        print(f"{label} marker: {{MARKER}} from {{__file__}}")
        return MARKER

    report()


{dag_id}()
'''


_SECOND = _reporting_dag("bundle_second", "a second DAG of the bundle", "second")
_ADDED = _reporting_dag("bundle_added", "a DAG that appears in a later commit of the bundle", "added")

#: What the bad commit puts in bundle_second.py: the DAG file fails at import.
BROKEN_IMPORT = "dataplatform_module_that_does_not_exist"


def _source(body: str, marker: str) -> str:
    return (_HEADER + body).replace("@MARKER@", marker)


def probe(marker: str) -> str:
    return _source(_PROBE, marker)


def second(marker: str) -> str:
    return _source(_SECOND, marker)


def added(marker: str) -> str:
    return _source(_ADDED, marker)


def broken_second(marker: str) -> str:
    """``bundle_second.py`` with an import of a module that does not exist (an import error)."""
    return second(marker).replace(
        "from airflow.sdk import", f"import {BROKEN_IMPORT}\nfrom airflow.sdk import"
    )
