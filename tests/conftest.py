"""Session-wide test environment: real Postgres databases, moto S3, Slack and SMTP sinks, Airflow.

Every service is started by the tests themselves on free ports and stopped by PID at the end.
The environment (AIRFLOW_HOME, connections) is fixed here at import time, before anything imports
Airflow, so in-process hooks, ``dag.test()`` and the real stack all see the same connections.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.config import REPO_ROOT, StackConfig, airflow_env
from devstack.procs import free_port

_SESSION = f"dp_test_{os.getpid()}"
#: DAGs that exist only to exercise the platform in end-to-end tests (never deployed).
E2E_DAGS = REPO_ROOT / "tests" / "e2e" / "dags"
_TMP = Path(tempfile.mkdtemp(prefix="dp-tests-"))

#: The configuration every test sees. ``dag.test()`` uses ``metadata_db``; the real stack its own.
TEST_CONFIG = StackConfig(
    airflow_home=_TMP / "airflow_home",
    metadata_db=f"{_SESSION}_meta",
    warehouse_db=f"{_SESSION}_wh",
    s3_port=free_port(),
    slack_port=free_port(),
    smtp_port=free_port(),
    api_port=free_port(),
    schedules=False,
)
#: Faster retries in tests: [dataplatform] retry_delay_seconds.
TEST_ONLY_ENV = {
    "AIRFLOW__DATAPLATFORM__RETRY_DELAY_SECONDS": "1",
    # Lost-heartbeat alerting e2e test: fail a silent task after 30 s instead of 300 s (the
    # supervisor heartbeats every 5 s, so healthy tasks are far from this limit).
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
}
os.environ.update(airflow_env(TEST_CONFIG))
os.environ.update(TEST_ONLY_ENV)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="session")
def test_config() -> StackConfig:
    return TEST_CONFIG


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    yield _TMP
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> StackConfig:
    """The machine's PostgreSQL, started if it was stopped."""
    from devstack import postgres

    postgres.ensure_running(TEST_CONFIG.pg_host, TEST_CONFIG.pg_port)
    return TEST_CONFIG


@pytest.fixture(scope="session")
def warehouse_db(postgres_server: StackConfig) -> Iterator[str]:
    """A fresh warehouse database for this session (dropped at the end); yields its name."""
    from devstack import postgres

    postgres.create_database(TEST_CONFIG.warehouse_db, recreate=True)
    yield TEST_CONFIG.warehouse_db
    postgres.drop_database(TEST_CONFIG.warehouse_db)


@pytest.fixture
def warehouse(warehouse_db: str) -> Iterator:
    """An autocommit psycopg connection to the session's warehouse database."""
    import psycopg

    with psycopg.connect(TEST_CONFIG.pg_uri(warehouse_db), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def s3_server(tmp_root: Path) -> Iterator:
    """moto's S3 server on a free port, with the landing bucket; yields a boto3 client."""
    from devstack import s3

    proc = s3.start_s3(TEST_CONFIG.s3_port, tmp_root / "moto.log")
    try:
        s3.create_bucket(TEST_CONFIG.s3_port, TEST_CONFIG.landing_bucket)
        s3.create_bucket(TEST_CONFIG.s3_port, TEST_CONFIG.reports_bucket)
        yield s3.s3_client(TEST_CONFIG.s3_port)
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def _slack_sink_server() -> Iterator:
    from devstack.slack_sink import SlackSink

    sink = SlackSink(TEST_CONFIG.slack_port, hang_seconds=20).start()
    yield sink
    sink.stop()


@pytest.fixture
def slack_sink(_slack_sink_server):
    """The Slack webhook sink, emptied and in 'ok' mode for each test."""
    _slack_sink_server.clear()
    yield _slack_sink_server
    _slack_sink_server.clear()


@pytest.fixture(scope="session")
def _smtp_sink_server() -> Iterator:
    from devstack.smtp_sink import SmtpSink

    sink = SmtpSink(TEST_CONFIG.smtp_port).start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(_smtp_sink_server):
    """The SMTP sink, emptied for each test."""
    _smtp_sink_server.clear()
    yield _smtp_sink_server


@pytest.fixture(scope="session")
def airflow_db(postgres_server: StackConfig) -> Iterator[StackConfig]:
    """A migrated metadata DB for in-process ``dag.test()`` runs."""
    from devstack import airflow, postgres

    postgres.create_database(TEST_CONFIG.metadata_db, recreate=True)
    airflow.migrate(TEST_CONFIG)
    yield TEST_CONFIG
    _dispose_airflow_engine()  # close pooled connections before the DB they point at is dropped
    postgres.drop_database(TEST_CONFIG.metadata_db)


def _dispose_airflow_engine() -> None:
    import sys

    settings = sys.modules.get("airflow.settings")
    if settings is not None:
        settings.dispose_orm()


@pytest.fixture(scope="session")
def services(warehouse_db, s3_server, _slack_sink_server, _smtp_sink_server) -> StackConfig:
    """All external services a DAG run needs (warehouse, S3, Slack, SMTP)."""
    return TEST_CONFIG


@pytest.fixture(scope="session")
def airflow_stack(services: StackConfig, tmp_root: Path) -> Iterator:
    """The real Airflow: api-server, scheduler, dag-processor and triggerer on a Postgres metadata DB.

    Yields an authenticated REST client (``trigger``, ``wait_for_run``, ``task_states``, ``task_log``).
    """
    from devstack import airflow, postgres

    dags = tmp_root / "stack_dags"  # the repo's DAGs plus test-only DAGs, side by side
    dags.mkdir()
    (dags / "repo").symlink_to(REPO_ROOT / "dags", target_is_directory=True)
    (dags / "e2e").symlink_to(E2E_DAGS, target_is_directory=True)
    cfg = replace(
        TEST_CONFIG,
        airflow_home=tmp_root / "stack_home",
        metadata_db=f"{_SESSION}_stack",
        dags_folder=dags,
    )
    postgres.create_database(cfg.metadata_db, recreate=True)
    airflow.migrate(cfg)
    stack = airflow.AirflowStack(cfg, extra_env=TEST_ONLY_ENV).start()
    try:
        client = stack.client()
        client.stack = stack
        yield client
    finally:
        stack.stop()
        postgres.drop_database(cfg.metadata_db)


def pytest_report_header(config: pytest.Config) -> str:
    return f"dataplatform test session {_SESSION}: tmp {_TMP}, repo {REPO_ROOT}"
