"""``make run`` / ``make stop``: the whole native stack as background processes with a state file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from devstack import airflow, postgres, redis, s3
from devstack.config import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CELERY_EXECUTOR,
    LOCAL_EXECUTOR,
    REPO_ROOT,
    StackConfig,
    airflow_env,
)
from devstack.procs import Background, port_open, start, stop_pid

LOCAL_DIR = REPO_ROOT / ".local"
STATE_FILE = LOCAL_DIR / "stack.json"


#: ``make run EXECUTOR=...`` / ``DEVSTACK_EXECUTOR``: short names and Airflow's own.
EXECUTORS = {
    "local": LOCAL_EXECUTOR,
    "celery": CELERY_EXECUTOR,
    **{e: e for e in (LOCAL_EXECUTOR, CELERY_EXECUTOR)},
}


def executor_from_env(value: str) -> str:
    """The Airflow executor class name for ``local`` / ``celery``; SystemExit names the choices."""
    try:
        return EXECUTORS[value]
    except KeyError:
        raise SystemExit(f"EXECUTOR={value!r} is not one of: local, celery") from None


def dev_config() -> StackConfig:
    """The developer stack's settings; ports can be moved with DEVSTACK_*_PORT variables, the
    executor chosen with DEVSTACK_EXECUTOR (``local`` or ``celery``: two workers on Redis)."""
    env = os.environ.get
    return StackConfig(
        airflow_home=LOCAL_DIR / "airflow",
        metadata_db=env("DEVSTACK_METADATA_DB", "dataplatform_airflow"),
        warehouse_db=env("DEVSTACK_WAREHOUSE_DB", "warehouse"),
        pg_host=env("PGHOST", "127.0.0.1"),
        pg_port=int(env("PGPORT", "5432")),
        s3_port=int(env("DEVSTACK_S3_PORT", "9000")),
        slack_port=int(env("DEVSTACK_SLACK_PORT", "8090")),
        smtp_port=int(env("DEVSTACK_SMTP_PORT", "1025")),
        api_port=int(env("DEVSTACK_API_PORT", "8080")),
        executor=executor_from_env(env("DEVSTACK_EXECUTOR") or "local"),
        redis_url=env("DEVSTACK_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )


@dataclass
class StackState:
    pids: dict[str, int]
    api_url: str
    slack_url: str
    smtp: str
    s3_endpoint: str
    first_run: str = ""
    executor: str = LOCAL_EXECUTOR


def _check_ports_free(cfg: StackConfig) -> None:
    taken = {
        name: port
        for name, port in {
            "api-server (DEVSTACK_API_PORT)": cfg.api_port,
            "S3 (DEVSTACK_S3_PORT)": cfg.s3_port,
            "Slack sink (DEVSTACK_SLACK_PORT)": cfg.slack_port,
            "SMTP sink (DEVSTACK_SMTP_PORT)": cfg.smtp_port,
        }.items()
        if port_open(port)
    }
    if taken:
        listing = ", ".join(f"{n} port {p}" for n, p in taken.items())
        raise SystemExit(f"cannot start: already in use: {listing}. Run `make stop` or set the variable.")


def up() -> StackState:
    """Start everything, seed sample data, record PIDs; return what was started."""
    if STATE_FILE.exists():
        raise SystemExit(f"stack already running ({STATE_FILE}); `make stop` first")
    cfg = dev_config()
    _check_ports_free(cfg)
    postgres.ensure_running(cfg.pg_host, cfg.pg_port)
    if cfg.celery:
        redis.ensure_running(cfg.redis_url)
    for db in (cfg.metadata_db, cfg.warehouse_db):
        postgres.create_database(db)
    logs = LOCAL_DIR / "logs"
    started: list[Background] = []
    try:
        started.append(s3.start_s3(cfg.s3_port, logs / "s3.log"))
        s3.create_bucket(cfg.s3_port, cfg.landing_bucket)
        s3.create_bucket(cfg.s3_port, cfg.reports_bucket)
        py = sys.executable
        started.append(
            start(
                "slack-sink",
                [
                    py,
                    "-m",
                    "devstack.slack_sink",
                    "--port",
                    str(cfg.slack_port),
                    "--record",
                    str(LOCAL_DIR / "slack.jsonl"),
                ],
                _pythonpath(),
                logs / "slack.log",
            )
        )
        started.append(
            start(
                "smtp-sink",
                [
                    py,
                    "-m",
                    "devstack.smtp_sink",
                    "--port",
                    str(cfg.smtp_port),
                    "--record",
                    str(LOCAL_DIR / "mail"),
                ],
                _pythonpath(),
                logs / "smtp.log",
            )
        )
        print("migrating the Airflow metadata database ...", flush=True)
        airflow.migrate(cfg)
        stack = airflow.AirflowStack(cfg)
        try:
            stack.start()
        finally:
            started.extend(stack.procs)
        from devstack.seed import seed_sample_data

        for uri in seed_sample_data(cfg):
            print(f"seeded {uri}", flush=True)
        first_run = _trigger_main_job(stack)
    except BaseException:
        for proc in started:
            proc.stop()
        raise
    state = StackState(
        pids={p.name: p.pid for p in started},
        api_url=cfg.api_url,
        slack_url=f"http://127.0.0.1:{cfg.slack_port}/_messages",
        smtp=f"127.0.0.1:{cfg.smtp_port} (messages saved in {LOCAL_DIR / 'mail'})",
        s3_endpoint=f"http://127.0.0.1:{cfg.s3_port}",
        first_run=first_run,
        executor=cfg.executor
        if not cfg.celery
        else f"{cfg.executor}, {cfg.celery_workers} workers on {cfg.redis_url}",
    )
    STATE_FILE.write_text(json.dumps(asdict(state), indent=2))
    return state


MAIN_DAG = "patient_data_pipeline"
REPORT_DAG = "monthly_financial_report"
DAILY_DAG = "daily_report"


def first_run_logical_date(now: dt.datetime, days_seeded: int) -> str:
    """Logical date of the first manual run: the oldest seeded day at 06:00 UTC.

    Triggering unpauses the DAG, so the scheduler also creates its own run for the latest 06:00
    (today's or yesterday's file, both seeded). The manual run must not take that logical date: a
    second run for it makes the 3.3.2 scheduler crash on the unique (dag_id, logical_date).
    """
    oldest = now.astimezone(dt.UTC).date() - dt.timedelta(days=days_seeded - 1)
    return f"{oldest.isoformat()}T06:00:00Z"


def _run_once(client: airflow.AirflowClient, dag_id: str, logical_date: str, conf: dict | None = None) -> str:
    """Trigger ``dag_id`` at ``logical_date`` unless a run has it already (a restart of today's
    stack keeps that run); wait for it; return its run id."""
    client.wait_for_dag(dag_id)
    existing = client.runs_at(dag_id, logical_date)
    run_id = existing[0] if existing else client.trigger(dag_id, conf=conf, logical_date=logical_date)
    print(f"waiting for {dag_id} run {run_id} ...", flush=True)
    state = client.wait_for_run(dag_id, run_id, timeout=900)
    print(f"{dag_id} run {run_id}: {state}", flush=True)
    return run_id


def _scheduled_run(
    client: airflow.AirflowClient, dag_id: str, logical_date: str, wait: float = 60
) -> str | None:
    """Unpause ``dag_id`` and wait for the scheduler's own run at ``logical_date`` (its latest
    interval), then for its end; None if the scheduler makes no such run (e.g. before 02:00 on the
    1st): a manual run then does the job, and there is never a second report of the same month."""
    client.wait_for_dag(dag_id)
    client.unpause(dag_id)
    deadline = time.monotonic() + wait
    while not (found := client.runs_at(dag_id, logical_date)) and time.monotonic() < deadline:
        time.sleep(1)
    if not found:
        return None
    print(f"waiting for {dag_id} run {found[0]} ...", flush=True)
    print(f"{dag_id} run {found[0]}: {client.wait_for_run(dag_id, found[0], timeout=900)}", flush=True)
    return found[0]


def _trigger_main_job(stack: airflow.AirflowStack) -> str:
    """The main job on the sample data: the patients DAG on the oldest sample file; the claims
    history; the monthly financial report of last month (its claims refer to those patients); the
    daily report of today. Returns the runs' UI addresses."""
    from devstack.seed import PATIENT_DAYS, last_month

    client = stack.client()
    now = dt.datetime.now(dt.UTC)
    runs = {MAIN_DAG: _run_once(client, MAIN_DAG, first_run_logical_date(now, PATIENT_DAYS))}
    history = subprocess.run(
        [sys.executable, "-m", "devstack.seed", "history"],
        env={**os.environ, **airflow_env(stack.cfg), **_pythonpath()},
        capture_output=True,
        text=True,
        check=False,
    )
    if history.returncode != 0:
        raise RuntimeError(f"loading the claims history failed: {history.stderr[-2000:]}")
    print(f"claims history loaded ({history.stdout.count('loaded claims history')} months)", flush=True)
    month = last_month(now.date())
    runs[REPORT_DAG] = _scheduled_run(client, REPORT_DAG, f"{month.isoformat()}T02:00:00Z") or _run_once(
        client, REPORT_DAG, f"{month.isoformat()}T00:00:00Z", conf={"period": f"{month:%Y-%m}"}
    )
    today = now.date()
    runs[DAILY_DAG] = _run_once(  # today's runs and loads (the scheduler's own run reports yesterday)
        client, DAILY_DAG, f"{today.isoformat()}T00:00:00Z", conf={"day": today.isoformat()}
    )
    return " and ".join(f"{stack.cfg.api_url}/dags/{dag}/runs/{run}" for dag, run in runs.items())


def down() -> list[str]:
    """Stop every process ``up`` recorded; return their names."""
    if not STATE_FILE.exists():
        return []
    state = json.loads(STATE_FILE.read_text())
    for pid in reversed(list(state["pids"].values())):
        stop_pid(pid)
    STATE_FILE.unlink()
    return list(state["pids"])


def status() -> dict[str, bool]:
    if not STATE_FILE.exists():
        return {}
    pids = json.loads(STATE_FILE.read_text())["pids"]
    return {name: _alive(pid) for name, pid in pids.items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pythonpath() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}


def banner(state: StackState) -> str:
    return "\n".join(
        [
            "",
            "Local Airflow stack is up.",
            f"  UI / API      {state.api_url}   (login {ADMIN_USER} / {ADMIN_PASSWORD})",
            f"  Executor      {state.executor}",
            f"  health        {state.api_url}/api/v2/monitor/health",
            f"  S3 (moto)     {state.s3_endpoint}   bucket 'landing'",
            f"  Slack alerts  {state.slack_url}",
            f"  Email         {state.smtp}",
            "  Reports       the monthly financial report and the daily report are in the mail catcher;",
            f"                the report's files in {state.s3_endpoint}/reports/reports/financial/",
            f"  First run     {state.first_run}",
            "  Stop with:    make stop",
        ]
    )
