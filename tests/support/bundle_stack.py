"""A real Airflow stack whose DAGs come from a local git repository through a ``GitDagBundle``.

:class:`GitRepo` is the "remote" the bundle tracks (commit, revert, head); :func:`bundle_env` is the
configuration of the bundle; :class:`BundleStack` wraps a running :class:`devstack.airflow.AirflowStack`
with the waits the bundle tests need and :meth:`BundleStack.repoint`, which changes ``tracking_ref``
and restarts the components that read the bundle configuration (how a commit is pinned).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from devstack.airflow import AirflowClient, AirflowStack, airflow_bin
from devstack.config import airflow_env
from devstack.procs import start, wait_until

BUNDLE_NAME = "dataplatform-git-dags"
GIT_BUNDLE_CLASSPATH = "airflow.providers.git.bundles.git.GitDagBundle"
#: The DAG files live in this folder of the repository (the bundle's ``subdir``), like ``dags/`` here.
DAGS_SUBDIR = "dags"
#: The components restarted when the bundle configuration changes. The api-server keeps running: it
#: reads the bundle list only to build "view code" links, which a local repository has none of.
BUNDLE_READERS = ("dag-processor", "scheduler", "triggerer")
#: What each component logs once it serves (checked only in the log of the new process).
READY_MARKERS = {
    "dag-processor": "DAG bundles loaded",
    "scheduler": "Starting the scheduler",
    "triggerer": "Starting the triggerer",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}:\n{result.stderr}")
    return result.stdout.strip()


@dataclass(frozen=True)
class GitRepo:
    """A git repository on local disk, branch ``main``: the DAG repository the bundle tracks."""

    path: Path

    @classmethod
    def create(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True)
        git(path, "init", "--quiet", "--initial-branch", "main")
        git(path, "config", "user.name", "bundle-tests")
        git(path, "config", "user.email", "bundle-tests@dataplatform.local")
        git(path, "config", "commit.gpgsign", "false")
        return cls(path)

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    @property
    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Write (or, for ``None``, delete) files relative to the repository root; commit; return the sha."""
        for rel, content in files.items():
            target = self.path / rel
            if content is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
        git(self.path, "add", "--all", ".")
        git(self.path, "commit", "--quiet", "-m", message)
        return self.head

    def revert(self, sha: str) -> str:
        """Commit the inverse of ``sha`` on ``main`` (the other way to undo a bad commit); return the new sha."""
        git(self.path, "revert", "--no-edit", sha)
        return self.head


def git_bundle_config(repo_url: str, tracking_ref: str, refresh_interval: int) -> str:
    """``[dag_processor] dag_bundle_config_list`` with one ``GitDagBundle`` (no connection: a local repo)."""
    kwargs = {
        "repo_url": repo_url,
        "tracking_ref": tracking_ref,
        "subdir": DAGS_SUBDIR,
        "refresh_interval": refresh_interval,
    }
    return json.dumps([{"name": BUNDLE_NAME, "classpath": GIT_BUNDLE_CLASSPATH, "kwargs": kwargs}])


def bundle_env(repo_url: str, tracking_ref: str, storage: Path, refresh_interval: int = 2) -> dict[str, str]:
    """Airflow settings of the bundle: the bundle list, a private clone directory, frequent checks."""
    return {
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": git_bundle_config(
            repo_url, tracking_ref, refresh_interval
        ),
        # default /tmp/airflow/dag_bundles is shared by every Airflow home on the machine
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(storage),
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "1",
    }


@dataclass
class BundleStack:
    """The running stack, its REST client and the repository its one bundle tracks."""

    stack: AirflowStack
    client: AirflowClient
    repo: GitRepo
    storage: Path
    refresh_interval: int = 2
    restarts: int = 0

    # --- what the API says about the bundle -------------------------------------------------------

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        resp = self.client.http.get(f"/dags/{dag_id}")
        return resp.json() if resp.status_code == 200 else None

    def dag_details(self, dag_id: str) -> dict[str, Any]:
        return self.client._ok(self.client.http.get(f"/dags/{dag_id}/details"))

    def dag_versions(self, dag_id: str) -> list[dict[str, Any]]:
        """Every DagVersion of ``dag_id``, newest first."""
        params = {"order_by": "-version_number", "limit": 100}
        return self.client._ok(self.client.http.get(f"/dags/{dag_id}/dagVersions", params=params))[
            "dag_versions"
        ]

    def import_errors_for(self, repo_path: str) -> list[dict[str, Any]]:
        """Import errors of the file at ``repo_path``; the API names it relative to the bundle's subdir."""
        filename = str(Path(repo_path).relative_to(DAGS_SUBDIR))
        return [e for e in self.client.import_errors() if e["filename"] == filename]

    def bundle_row(self) -> tuple[str | None, datetime | None]:
        """``(version, last_refreshed)`` of the bundle in the metadata DB: what the dag-processor last saw."""
        import psycopg

        cfg = self.stack.cfg
        with psycopg.connect(cfg.pg_uri(cfg.metadata_db)) as conn:
            row = conn.execute(
                "SELECT version, last_refreshed FROM dag_bundle WHERE name = %s", (BUNDLE_NAME,)
            ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    # --- waits ----------------------------------------------------------------------------------------

    def wait(self, check: Callable[[], bool], what: str, timeout: float = 120.0) -> float:
        """Poll ``check``; return the seconds it took (TimeoutError with the dag-processor's log tail)."""
        began = time.monotonic()
        try:
            wait_until(check, timeout, what, interval=0.5)
        except TimeoutError as err:
            raise TimeoutError(f"{err}\n{self.stack.diagnostics()}") from err
        return time.monotonic() - began

    def wait_for_version(self, dag_ids: Iterable[str], sha: str, timeout: float = 120.0) -> float:
        """Wait until each DAG was parsed from commit ``sha`` (``GET /dags/{id}`` ``bundle_version``)."""
        ids = list(dag_ids)

        def parsed() -> bool:
            dags = [self.dag(i) for i in ids]
            return all(d is not None and d["bundle_version"] == sha and not d["is_stale"] for d in dags)

        return self.wait(parsed, f"{ids} at {sha[:10]}", timeout)

    def run(self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 180.0) -> dict[str, Any]:
        """Trigger ``dag_id``, wait for the end; return the run (``state``, ``bundle_version``, ...)."""
        run_id = self.client.trigger(dag_id, conf=conf)
        self.client.wait_for_run(dag_id, run_id, timeout=timeout)
        return self.client.run(dag_id, run_id)

    # --- configuration changes -----------------------------------------------------------------

    def repoint(self, tracking_ref: str, timeout: float = 180.0) -> None:
        """Set the bundle's ``tracking_ref`` (a branch, tag or sha) and restart the bundle's readers.

        A DAG bundle's configuration is read once at process start: pinning a commit is a config change
        plus a restart, as a Helm upgrade of ``dag_bundle_config_list`` rolls the pods.
        """
        self.stack.extra_env = {
            **self.stack.extra_env,
            **bundle_env(self.repo.url, tracking_ref, self.storage, self.refresh_interval),
        }
        restart_components(self.stack, BUNDLE_READERS, timeout=timeout, generation=self.restarts + 1)
        self.restarts += 1


def stop_stack(stack: AirflowStack) -> None:
    """``stack.stop()``, but every component at once (each may take seconds to drain on SIGTERM)."""
    with ThreadPoolExecutor(max_workers=max(1, len(stack.procs))) as pool:
        list(pool.map(lambda p: p.stop(), stack.procs))
    stack.procs.clear()


def restart_components(stack: AirflowStack, names: Iterable[str], timeout: float, generation: int) -> None:
    """Stop components ``names`` of ``stack``, start them again with the stack's current ``extra_env``.

    All are stopped (at once) before any starts: no old dag-processor parses beside the new one.
    Each new process logs to ``<name>.<generation>.log``; the wait ends when every one logged its
    ready line and the API reports the stack healthy.
    """
    names = list(names)
    env = {**airflow_env(stack.cfg), **stack.extra_env}
    old = {name: next(p for p in stack.procs if p.name == name) for name in names}
    slots = {name: stack.procs.index(proc) for name, proc in old.items()}
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda p: p.stop(), old.values()))
    for name in names:
        log_path = stack.log_dir / f"{name}.{generation}.log"
        stack.procs[slots[name]] = start(name, [airflow_bin(), name], env, log_path)
    new = [stack.procs[slots[name]] for name in names]

    def ready() -> bool:
        return all(READY_MARKERS[p.name] in p.log_tail(400) for p in new) and stack.healthy()

    try:
        wait_until(ready, timeout, f"restarted {names}", interval=0.5)
    except TimeoutError as err:
        raise TimeoutError(f"{err}\n{stack.diagnostics()}") from err
