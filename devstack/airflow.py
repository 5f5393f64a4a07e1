"""The real Airflow components (api-server, scheduler, dag-processor, triggerer) as local processes,
plus a small REST client to trigger runs and read their outcome."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devstack.config import ADMIN_PASSWORD, ADMIN_USER, StackConfig, airflow_env
from devstack.procs import Background, start, stop_pid, wait_until

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
#: How a Celery worker of the stack announces it takes tasks (Celery's own start-up line).
WORKER_READY = "ready."
TERMINAL_RUN_STATES = {"success", "failed"}


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def migrate(cfg: StackConfig, extra_env: dict[str, str] | None = None) -> None:
    """Create AIRFLOW_HOME, the admin password file and the metadata schema (with the FAB auth
    manager's tables when ``extra_env`` selects it)."""
    cfg.airflow_home.mkdir(parents=True, exist_ok=True)
    (cfg.airflow_home / "passwords.json").write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
    env = {**airflow_env(cfg), **(extra_env or {})}
    result = subprocess.run(
        [airflow_bin(), "db", "migrate"], env={**_base_env(), **env}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


@dataclass
class AirflowStack:
    """Four Airflow processes on one metadata DB; ``start()`` returns once the API reports healthy."""

    cfg: StackConfig
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Variables the components must not inherit (e.g. a connection that has to come from a
    #: secrets backend instead of ``AIRFLOW_CONN_*``).
    unset_env: tuple[str, ...] = ()
    procs: list[Background] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        return self.cfg.airflow_home / "stack-logs"

    @property
    def components(self) -> tuple[str, ...]:
        """The processes of this stack: the four components, plus the Celery workers."""
        workers = tuple(worker_name(i) for i in range(self.cfg.celery_workers)) if self.cfg.celery else ()
        return COMPONENTS + workers

    def start(self, timeout: float = 180.0) -> AirflowStack:
        for name in self.components:
            self.procs.append(self._launch(name))
        self.wait_ready(timeout)
        return self

    def _launch(self, name: str) -> Background:
        env = {**airflow_env(self.cfg), **self.extra_env}
        cmd = [airflow_bin(), name]
        if name.startswith(WORKER_PREFIX):
            index = int(name.removeprefix(WORKER_PREFIX)) - 1
            # each worker its own log server port: two on one host would fight over one
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(self.cfg.worker_log_server_port + index)
            cmd = [airflow_bin(), "celery", "worker", "--celery-hostname", f"{name}@%h"]
            cmd += ["--concurrency", str(self.cfg.worker_concurrency)]
        env = {k: v for k, v in env.items() if k not in self.unset_env}
        return start(name, cmd, env, self.log_dir / f"{name}.log", unset=self.unset_env)

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until the API reports every component healthy and every worker is consuming."""
        try:
            wait_until(self.healthy, timeout, f"Airflow at {self.cfg.api_url}", interval=1.0)
            for proc in self.procs:
                if proc.name.startswith(WORKER_PREFIX):
                    wait_until(lambda p=proc: WORKER_READY in p.log_tail(200), timeout, f"{proc.name} ready")
        except TimeoutError as err:
            raise TimeoutError(f"{err}\n{self.diagnostics()}") from err

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()

    def process(self, name: str) -> Background:
        """The running process of component ``name`` (``scheduler``, ``worker-1``, ...)."""
        [proc] = [p for p in self.procs if p.name == name]
        return proc

    def restart(self, name: str, timeout: float = 180.0) -> Background:
        """Stop component ``name`` if it still runs and start it again; wait until it is ready."""
        old = self.process(name)
        old.stop()
        self.procs[self.procs.index(old)] = new = self._launch(name)
        self.wait_ready(timeout)
        return new

    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in self.procs}

    def diagnostics(self) -> str:
        parts = []
        for p in self.procs:
            state = "running" if p.alive() else f"exited {p.proc.returncode}"
            parts.append(f"--- {p.name} ({state}) {p.log_path}\n{p.log_tail()}")
        return "\n".join(parts)

    def healthy(self) -> bool:
        dead = [p.name for p in self.procs if not p.alive()]
        if dead:
            raise RuntimeError(f"Airflow components exited: {dead}\n{self.diagnostics()}")
        try:
            health = httpx.get(f"{self.cfg.api_url}/api/v2/monitor/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return False
        return all(v.get("status") == "healthy" for v in health.values() if isinstance(v, dict))

    def client(self) -> AirflowClient:
        return AirflowClient(self.cfg.api_url)


class AirflowClient:
    """Authenticated REST v2 client for tests and scripts."""

    def __init__(self, base_url: str, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> None:
        self.base_url = base_url
        token = httpx.post(
            f"{base_url}/auth/token", json={"username": user, "password": password}, timeout=10
        )
        token.raise_for_status()
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v2",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )

    def _ok(self, resp: httpx.Response) -> Any:
        if resp.status_code >= 400:
            raise RuntimeError(f"{resp.request.method} {resp.request.url} -> {resp.status_code}: {resp.text}")
        return resp.json() if resp.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Wait until the dag-processor has serialized ``dag_id``; fail early on its import error."""

        def parsed() -> bool:
            return self.http.get(f"/dags/{dag_id}").status_code == 200

        try:
            wait_until(parsed, timeout, f"DAG {dag_id} parsed", interval=1.0)
        except TimeoutError as err:
            raise TimeoutError(f"{err}; import errors: {self.import_errors()}") from err
        return self._ok(self.http.get(f"/dags/{dag_id}"))

    def import_errors(self) -> list[dict[str, Any]]:
        return self._ok(self.http.get("/importErrors"))["import_errors"]

    def unpause(self, dag_id: str) -> None:
        self._ok(self.http.patch(f"/dags/{dag_id}", json={"is_paused": False}))

    def trigger(
        self, dag_id: str, conf: dict[str, Any] | None = None, logical_date: str | None = None
    ) -> str:
        """Trigger a run (unpausing the DAG first); return its run_id."""
        self.unpause(dag_id)
        body: dict[str, Any] = {"conf": conf or {}, "logical_date": logical_date}
        return self._ok(self.http.post(f"/dags/{dag_id}/dagRuns", json=body))["dag_run_id"]

    def runs_at(self, dag_id: str, logical_date: str) -> list[str]:
        """Run ids of ``dag_id`` whose logical date is exactly ``logical_date``."""
        params = {"logical_date_gte": logical_date, "logical_date_lte": logical_date}
        runs = self._ok(self.http.get(f"/dags/{dag_id}/dagRuns", params=params))["dag_runs"]
        return [r["dag_run_id"] for r in runs]

    def clear(self, dag_id: str, run_id: str) -> None:
        """Clear every task of a run so the scheduler runs it again (what "re-run" means in the UI)."""
        self._ok(self.http.post(f"/dags/{dag_id}/dagRuns/{run_id}/clear", json={"dry_run": False}))

    def clear_tasks(self, dag_id: str, run_id: str, task_ids: list[str]) -> None:
        """Clear some tasks of a run (their next try runs; the rest keep their state)."""
        body = {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": task_ids,
            "only_failed": False,
            "reset_dag_runs": True,
        }
        self._ok(self.http.post(f"/dags/{dag_id}/clearTaskInstances", json=body))

    def wait_for_task_state(
        self, dag_id: str, run_id: str, task_ids: list[str], state: str, timeout: float = 120.0
    ) -> None:
        """Wait until every one of ``task_ids`` is in ``state`` (e.g. a sensor ``deferred``)."""

        def reached() -> bool:
            states = self.task_states(dag_id, run_id)
            return all(states.get(t) == state for t in task_ids)

        try:
            wait_until(reached, timeout, f"{task_ids} {state}", interval=0.5)
        except TimeoutError as err:
            raise TimeoutError(f"{err}: {self.task_states(dag_id, run_id)}") from err

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self._ok(self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}"))

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180.0) -> str:
        """Poll until the run is success/failed; return the state (TimeoutError names the task states)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run(dag_id, run_id)["state"]
            if state in TERMINAL_RUN_STATES:
                return state
            time.sleep(0.5)
        raise TimeoutError(
            f"{dag_id}/{run_id} not finished after {timeout}s: {self.task_states(dag_id, run_id)}"
        )

    def asset_events(self, asset_name: str, source_run_id: str | None = None) -> list[dict[str, Any]]:
        """Events of the Asset named ``asset_name`` (optionally only those a given run emitted)."""
        assets = self._ok(self.http.get("/assets", params={"name_pattern": asset_name}))["assets"]
        ids = [a["id"] for a in assets if a["name"] == asset_name]
        if not ids:
            return []
        events = self._ok(self.http.get("/assets/events", params={"asset_id": ids[0], "limit": 100}))[
            "asset_events"
        ]
        return [e for e in events if source_run_id is None or e.get("source_run_id") == source_run_id]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self._ok(self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"))["task_instances"]

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return {ti["task_id"]: ti["state"] for ti in self.task_instances(dag_id, run_id)}

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """The task try's log as text (one line per structured log event)."""
        resp = self.http.get(
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"full_content": "true"},
            headers={"Accept": "application/json"},
        )
        return "\n".join(_log_lines(self._ok(resp).get("content", [])))


def _log_lines(content: Iterable[Any]) -> Iterable[str]:
    for entry in content:
        if isinstance(entry, dict):
            extra = {k: v for k, v in entry.items() if k not in {"event", "timestamp", "level", "logger"}}
            line = f"{entry.get('level', '')} {entry.get('event', '')}"
            yield f"{line} {json.dumps(extra, default=str)}" if extra else line
        else:
            yield str(entry)


WORKER_PREFIX = "worker-"


def worker_name(index: int) -> str:
    """``worker-1``, ``worker-2``, ...: the stack's name of its ``index``-th (0-based) Celery worker."""
    return f"{WORKER_PREFIX}{index + 1}"


def create_user(
    cfg: StackConfig, username: str, role: str, password: str, extra_env: dict[str, str] | None = None
) -> None:
    """A FAB auth manager user with ``role`` (Admin, Op, User, Viewer, Public)."""
    cmd = [airflow_bin(), "users", "create", "--username", username, "--role", role, "--password", password]
    cmd += ["--email", f"{username}@dataplatform.local", "--firstname", username, "--lastname", role]
    env = {**_base_env(), **airflow_env(cfg), **(extra_env or {})}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"airflow users create {username} failed:\n{result.stderr[-3000:]}")


def stop_pids(pids: dict[str, int]) -> None:
    """Stop processes recorded by a previous ``up`` (used by ``python -m devstack down``)."""
    for pid in pids.values():
        stop_pid(pid)
