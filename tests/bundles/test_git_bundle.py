"""DAG delivery by a GitDagBundle on the real stack: commits, bad commits, pinning, running versions.

The tests share one stack and one repository and run in file order; each starts from whatever
``main`` holds and leaves the bundle tracking ``main`` with no import error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bundles.dag_files import (
    ADDED_FILE,
    ADDED_ID,
    BROKEN_IMPORT,
    PROBE_FILE,
    PROBE_ID,
    SECOND_FILE,
    SECOND_ID,
    added,
    broken_second,
    probe,
    second,
)
from tests.support.bundle_stack import BUNDLE_NAME, BundleStack

pytestmark = pytest.mark.e2e


def _log(bundle: BundleStack, dag_id: str, run: dict, task_id: str) -> str:
    return bundle.client.task_log(dag_id, run["dag_run_id"], task_id)


def _code_path(sha: str, dag_file: str) -> str:
    """Where a task of commit ``sha`` loads ``dag_file`` from: that version's own checkout."""
    return f"{BUNDLE_NAME}/versions/{sha}/{dag_file}"


def _task_versions(bundle: BundleStack, dag_id: str, run: dict) -> dict[str, str | None]:
    """task id -> the bundle version of the DAG version each task instance ran."""
    tis = bundle.client.task_instances(dag_id, run["dag_run_id"])
    return {ti["task_id"]: (ti["dag_version"] or {}).get("bundle_version") for ti in tis}


def test_new_commit_is_picked_up_and_its_code_runs(bundle_stack: BundleStack) -> None:
    bundle = bundle_stack
    sha = bundle.repo.commit(
        {PROBE_FILE: probe("a-v2"), ADDED_FILE: added("a-v2")}, "bundle_probe v2; new DAG bundle_added"
    )

    took = bundle.wait_for_version([PROBE_ID, ADDED_ID], sha)
    print(f"commit {sha[:10]} parsed {took:.1f}s after the push")

    run = bundle.run(PROBE_ID)
    assert run["state"] == "success"
    assert run["bundle_version"] == sha
    log = _log(bundle, PROBE_ID, run, "report")
    assert "report marker: a-v2" in log
    assert _code_path(sha, PROBE_FILE) in log

    new_dag_run = bundle.run(ADDED_ID)
    assert (new_dag_run["state"], new_dag_run["bundle_version"]) == ("success", sha)
    assert "added marker: a-v2" in _log(bundle, ADDED_ID, new_dag_run, "report")


def test_bad_commit_shows_import_error_and_is_rolled_back_by_pinning(bundle_stack: BundleStack) -> None:
    bundle = bundle_stack
    good = bundle.repo.head
    good_second = (bundle.repo.path / SECOND_FILE).read_text()
    bad = bundle.repo.commit({SECOND_FILE: broken_second("b-bad")}, "bundle_second: import a missing module")

    # the import error names the file; the other DAG parses from the bad commit and keeps working
    took = bundle.wait(lambda: bool(bundle.import_errors_for(SECOND_FILE)), f"import error in {SECOND_FILE}")
    print(f"import error shown {took:.1f}s after the push")
    [error] = bundle.import_errors_for(SECOND_FILE)
    assert error["bundle_name"] == BUNDLE_NAME
    assert BROKEN_IMPORT in error["stack_trace"]
    bundle.wait_for_version([PROBE_ID], bad)
    run = bundle.run(PROBE_ID)
    assert (run["state"], run["bundle_version"]) == ("success", bad)
    # the broken file's DAG is deactivated (stale): it cannot be triggered until its file imports again
    bundle.wait(lambda: bundle.dag(SECOND_ID)["is_stale"], f"{SECOND_ID} stale")
    refused = bundle.client.http.post(f"/dags/{SECOND_ID}/dagRuns", json={"conf": {}, "logical_date": None})
    assert refused.status_code == 404, refused.text

    try:
        # roll back: pin the bundle to the last good commit and restart the components
        bundle.repoint(good)
        bundle.wait(lambda: not bundle.import_errors_for(SECOND_FILE), "import error gone after the pin")
        bundle.wait_for_version([PROBE_ID, SECOND_ID], good)
        assert bundle.bundle_row()[0] == good

        pinned = bundle.run(SECOND_ID)
        assert (pinned["state"], pinned["bundle_version"]) == ("success", good)
        log = _log(bundle, SECOND_ID, pinned, "report")
        assert _code_path(good, SECOND_FILE) in log
        assert BROKEN_IMPORT not in log

        # while pinned, new commits on main are not deployed: the fix lands on main unseen
        fixed = bundle.repo.revert(bad)
        assert (bundle.repo.path / SECOND_FILE).read_text() == good_second
        pushed = datetime.now(UTC)
        bundle.wait(lambda: (bundle.bundle_row()[1] or pushed) > pushed, "a bundle refresh after the push")
        assert bundle.bundle_row()[0] == good
        assert bundle.dag(SECOND_ID)["bundle_version"] == good
    finally:
        if bundle.repo.head == bad:
            fixed = bundle.repo.revert(bad)
        # back to tracking main, which now holds the revert
        bundle.repoint("main")

    bundle.wait_for_version([PROBE_ID, SECOND_ID], fixed)
    assert not bundle.import_errors_for(SECOND_FILE)


def test_run_started_before_a_commit_keeps_its_version(bundle_stack: BundleStack, tmp_path: Path) -> None:
    bundle = bundle_stack
    client = bundle.client
    old = bundle.repo.commit({PROBE_FILE: probe("c-old")}, "bundle_probe c-old")
    bundle.wait_for_version([PROBE_ID], old)

    flag = tmp_path / "release"
    run_id = client.trigger(PROBE_ID, conf={"flag": str(flag)})
    client.wait_for_task_state(PROBE_ID, run_id, ["wait_for_flag"], "running", timeout=120)

    new = bundle.repo.commit({PROBE_FILE: probe("c-new")}, "bundle_probe c-new, pushed while a run waits")
    bundle.wait_for_version([PROBE_ID], new)
    flag.touch()  # `report` is queued only now, after the DAG is at the new commit

    assert client.wait_for_run(PROBE_ID, run_id, timeout=120) == "success"
    run = client.run(PROBE_ID, run_id)
    assert run["bundle_version"] == old
    for task_id in ("wait_for_flag", "report"):
        log = _log(bundle, PROBE_ID, run, task_id)
        assert f"{task_id} marker: c-old" in log
        assert _code_path(old, PROBE_FILE) in log

    later = bundle.run(PROBE_ID)
    assert (later["state"], later["bundle_version"]) == ("success", new)
    assert "report marker: c-new" in _log(bundle, PROBE_ID, later, "report")


def test_successive_commits_are_all_picked_up(bundle_stack: BundleStack) -> None:
    """apache/airflow#56194 ("bundle stops syncing"): every one of several commits gets deployed."""
    bundle = bundle_stack
    latencies = []
    for i in range(4):
        # alternate the file that changes: a commit is seen whether or not a given DAG's file changed
        files = {PROBE_FILE: probe(f"d-{i}")} if i % 2 == 0 else {SECOND_FILE: second(f"d-{i}")}
        sha = bundle.repo.commit(files, f"successive commit {i}")
        latencies.append(bundle.wait_for_version([PROBE_ID, SECOND_ID], sha, timeout=90))
        assert bundle.bundle_row()[0] == sha
    print("successive commits parsed after (s): " + ", ".join(f"{t:.1f}" for t in latencies))

    run = bundle.run(SECOND_ID)
    assert (run["state"], run["bundle_version"]) == ("success", sha)
    assert "second marker: d-3" in _log(bundle, SECOND_ID, run, "report")


def test_api_reports_the_newest_commit_for_an_unchanged_dag(bundle_stack: BundleStack) -> None:
    """apache/airflow#49606 ("stale bundle version shown"): a DAG whose file did not change in the newest
    commit still reports that commit everywhere the API shows a version."""
    bundle = bundle_stack
    versions_before = bundle.dag_versions(PROBE_ID)
    sha = bundle.repo.commit({SECOND_FILE: second("e-only-second")}, "only bundle_second changes")
    bundle.wait_for_version([PROBE_ID, SECOND_ID], sha)

    def reported(dag_id: str) -> dict[str, str | None]:
        return {
            "dag": bundle.dag(dag_id)["bundle_version"],
            "details.latest_dag_version": bundle.dag_details(dag_id)["latest_dag_version"]["bundle_version"],
            "dagVersions[newest]": bundle.dag_versions(dag_id)[0]["bundle_version"],
        }

    everywhere = {k: sha for k in ("dag", "details.latest_dag_version", "dagVersions[newest]")}
    bundle.wait(
        lambda: reported(PROBE_ID) == everywhere and reported(SECOND_ID) == everywhere,
        f"every API view at {sha[:10]}",
        timeout=30,
    )
    # the unchanged DAG got no new DagVersion: its newest one now points at the new commit
    versions_after = bundle.dag_versions(PROBE_ID)
    assert [v["version_number"] for v in versions_after] == [v["version_number"] for v in versions_before]
    source = bundle.client._ok(bundle.client.http.get(f"/dagSources/{SECOND_ID}"))
    assert 'MARKER = "e-only-second"' in source["content"]

    run = bundle.run(PROBE_ID)
    assert (run["state"], run["bundle_version"]) == ("success", sha)
    assert _task_versions(bundle, PROBE_ID, run) == {"wait_for_flag": sha, "report": sha}
    assert _code_path(sha, PROBE_FILE) in _log(bundle, PROBE_ID, run, "report")
