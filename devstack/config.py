"""The one place the native stack's connections and Airflow settings are defined."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dataplatform.conn_ids import (
    AIRFLOW_API_CONN_ID,
    AWS_CONN_ID,
    DEFAULT_LANDING_BUCKET,
    DEFAULT_REPORTS_BUCKET,
    LANDING_BUCKET_VARIABLE,
    REPORTS_BUCKET_VARIABLE,
    SLACK_ALERTS_CONN_ID,
    SMTP_CONN_ID,
    WAREHOUSE_CONN_ID,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"  # local development only
LOCAL_EXECUTOR = "LocalExecutor"
CELERY_EXECUTOR = "CeleryExecutor"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
#: Where reports go in the local stack (the Slack sink records every webhook post).
REPORT_ROUTES = {
    "finance": {"email": ["finance@hospital.example"], "slack_conn_id": SLACK_ALERTS_CONN_ID},
    "data-team": {
        "email": ["data-team@hospital.example", "stakeholders@hospital.example"],
        "slack_conn_id": SLACK_ALERTS_CONN_ID,
    },
}


@dataclass(frozen=True)
class StackConfig:
    """Addresses and paths of one running stack (the dev stack or a test session's)."""

    airflow_home: Path
    metadata_db: str
    warehouse_db: str
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    s3_port: int = 5000
    slack_port: int = 8025
    smtp_port: int = 1025
    api_port: int = 8080
    landing_bucket: str = DEFAULT_LANDING_BUCKET
    reports_bucket: str = DEFAULT_REPORTS_BUCKET
    dags_folder: Path = REPO_ROOT / "dags"
    plugins_folder: Path = REPO_ROOT / "plugins"
    parallelism: int = 4
    #: False for test stacks: only triggered runs, no cron runs racing the test's own.
    schedules: bool = True
    #: ``LocalExecutor`` (tasks run under the scheduler) or ``CeleryExecutor`` (``celery_workers``
    #: workers of ``worker_concurrency`` slots each, broker ``redis_url``, results in the metadata DB).
    executor: str = LOCAL_EXECUTOR
    celery_workers: int = 2
    worker_concurrency: int = 2
    redis_url: str = "redis://127.0.0.1:6379/0"
    #: Log servers of the components that run tasks (workers take consecutive ports from the first);
    #: two stacks on one host need them apart.
    worker_log_server_port: int = 8793
    trigger_log_server_port: int = 8794

    @property
    def celery(self) -> bool:
        return self.executor == CELERY_EXECUTOR

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def pg_uri(self, database: str) -> str:
        return f"postgresql://{self.pg_user}@{self.pg_host}:{self.pg_port}/{database}"


def connection_env(cfg: StackConfig) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` / ``AIRFLOW_VAR_*`` for the connections every DAG needs."""
    conns = {
        WAREHOUSE_CONN_ID: {
            "conn_type": "postgres",
            "host": cfg.pg_host,
            "port": cfg.pg_port,
            "login": cfg.pg_user,
            "schema": cfg.warehouse_db,
        },
        AWS_CONN_ID: {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": f"http://127.0.0.1:{cfg.s3_port}", "region_name": "us-east-1"},
        },
        SLACK_ALERTS_CONN_ID: {
            "conn_type": "slackwebhook",
            "password": f"http://127.0.0.1:{cfg.slack_port}/hook",
        },
        AIRFLOW_API_CONN_ID: {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": cfg.api_port,
            "schema": "http",
            "login": ADMIN_USER,
            "password": ADMIN_PASSWORD,
        },
        SMTP_CONN_ID: {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": cfg.smtp_port,
            "extra": {
                "disable_ssl": True,
                "disable_tls": True,
                "from_email": "airflow@dataplatform.local",
                "timeout": 5,
                "retry_limit": 0,
            },
        },
    }
    env = {f"AIRFLOW_CONN_{cid.upper()}": json.dumps(c) for cid, c in conns.items()}
    env[f"AIRFLOW_VAR_{LANDING_BUCKET_VARIABLE.upper()}"] = cfg.landing_bucket
    env[f"AIRFLOW_VAR_{REPORTS_BUCKET_VARIABLE.upper()}"] = cfg.reports_bucket
    return env


def airflow_env(cfg: StackConfig) -> dict[str, str]:
    """Full environment for Airflow processes of this stack, tuned for a 2-core machine."""
    home = cfg.airflow_home
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(cfg.dags_folder),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(cfg.plugins_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": cfg.executor,
        "AIRFLOW__CORE__PARALLELISM": str(cfg.parallelism),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{cfg.api_url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cfg.pg_uri(cfg.metadata_db).replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        "AIRFLOW__API__BASE_URL": cfg.api_url,
        "AIRFLOW__API__PORT": str(cfg.api_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": "local-dev-only-jwt-secret",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(cfg.schedules),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(cfg.worker_log_server_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(cfg.trigger_log_server_port),
        "AIRFLOW__DATAPLATFORM__ALERT_ROUTES": json.dumps(REPORT_ROUTES),
        "AIRFLOW__SMTP__SMTP_HOST": "127.0.0.1",
        "AIRFLOW__SMTP__SMTP_PORT": str(cfg.smtp_port),
    }
    if cfg.celery:
        env.update(celery_env(cfg))
    env.update(connection_env(cfg))
    return env


def celery_env(cfg: StackConfig) -> dict[str, str]:
    """CeleryExecutor settings: Redis broker, Postgres result backend, worker slots."""
    backend = cfg.pg_uri(cfg.metadata_db).replace("postgresql://", "db+postgresql+psycopg://")
    return {
        "AIRFLOW__CELERY__BROKER_URL": cfg.redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": backend,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(cfg.worker_concurrency),
    }
