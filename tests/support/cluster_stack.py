"""The cluster-like Airflow stack of ``tests/cluster``: what the Helm values run, on this machine.

CeleryExecutor with two workers on Redis, the FAB auth manager with one user per role, task logs
shipped to CloudWatch Logs (moto), the warehouse connection only in the AWS Secrets Manager
secrets backend (moto), JSON console logs from every component.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dataplatform.conn_ids import AIRFLOW_API_CONN_ID, WAREHOUSE_CONN_ID
from devstack import airflow, postgres, redis
from devstack.config import CELERY_EXECUTOR, FAB_AUTH_MANAGER, StackConfig, connection_env
from devstack.procs import free_port, port_open

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOG_GROUP = "airflow-task-logs"
CONNECTIONS_PREFIX = "airflow/connections"
VARIABLES_PREFIX = "airflow/variables"
#: One user per FAB role the access tests need (Op may trigger, clear and pause; Viewer only reads).
ROLES = {"admin": "Admin", "operator": "Op", "viewer": "Viewer"}


def consecutive_free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (one log server per worker)."""
    while True:
        first = free_port()
        if all(not port_open(first + i) for i in range(count)):
            return first


def aws_client(service: str, moto_port: int):
    import boto3

    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class ClusterStack:
    """The running stack, its users and passwords, and the AWS stand-ins it talks to."""

    stack: airflow.AirflowStack
    moto_port: int
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def cfg(self) -> StackConfig:
        return self.stack.cfg

    def client(self, user: str = "admin") -> airflow.AirflowClient:
        return airflow.AirflowClient(self.cfg.api_url, user, self.passwords[user])

    def put_secret(self, name: str, value: str) -> None:
        """Create or update one secret in Secrets Manager."""
        client = aws_client("secretsmanager", self.moto_port)
        try:
            client.create_secret(Name=name, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=value)

    def put_connection(self, conn_id: str, conn: dict[str, Any]) -> None:
        self.put_secret(f"{CONNECTIONS_PREFIX}/{conn_id}", json.dumps(conn))

    def put_variable(self, key: str, value: str) -> None:
        self.put_secret(f"{VARIABLES_PREFIX}/{key}", value)

    def log_events(self) -> list[dict[str, Any]]:
        """Every event of every stream in the task-log group (one stream per task try)."""
        logs = aws_client("logs", self.moto_port)
        events: list[dict[str, Any]] = []
        for page in logs.get_paginator("describe_log_streams").paginate(logGroupName=LOG_GROUP):
            for stream in page["logStreams"]:
                got = logs.get_log_events(
                    logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"], startFromHead=True
                )
                events += [{**e, "stream": stream["logStreamName"]} for e in got["events"]]
        return events

    def component_logs(self) -> dict[str, Path]:
        return {p.name: p.log_path for p in self.stack.procs}


def cluster_env(cfg: StackConfig, moto_port: int) -> dict[str, str]:
    """What the Helm values set for a cluster, pointed at this machine's stand-ins."""
    endpoint = f"http://127.0.0.1:{moto_port}"
    backend_kwargs = {
        "connections_prefix": CONNECTIONS_PREFIX,
        "variables_prefix": VARIABLES_PREFIX,
        "endpoint_url": endpoint,
        "region_name": REGION,
    }
    return {
        "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__SECRETS__BACKEND": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(backend_kwargs),
        "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
        "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": (
            f"cloudwatch://arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}"
        ),
        "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": "aws_default",
        "AIRFLOW__LOGGING__JSON_LOGS": "True",
        # a killed worker's try is failed after 20 s without heartbeat (default 300 s)
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    }


def start_cluster(
    base: StackConfig, home: Path, dags: Path, moto_port: int, extra: dict[str, str]
) -> ClusterStack:
    """Migrate a fresh metadata DB, create the users, start the stack with two Celery workers."""
    redis_db = 1 + (free_port() % 15)  # a session of its own among Redis's 16 databases
    cfg = replace(
        base,
        airflow_home=home,
        metadata_db=f"{base.metadata_db}_cluster",
        dags_folder=dags,
        api_port=free_port(),
        executor=CELERY_EXECUTOR,
        redis_url=f"redis://127.0.0.1:6379/{redis_db}",
        worker_log_server_port=consecutive_free_ports(base.celery_workers),
        trigger_log_server_port=free_port(),
    )
    redis.ensure_running(cfg.redis_url)
    redis.flush(cfg.redis_url)
    passwords = {user: secrets.token_urlsafe(12) for user in ROLES}
    env = {**cluster_env(cfg, moto_port), **extra}
    viewer_api = json.loads(connection_env(cfg)[f"AIRFLOW_CONN_{AIRFLOW_API_CONN_ID.upper()}"])
    env[f"AIRFLOW_CONN_{AIRFLOW_API_CONN_ID.upper()}"] = json.dumps(
        {**viewer_api, "login": "viewer", "password": passwords["viewer"]}
    )
    aws_client("logs", moto_port).create_log_group(logGroupName=LOG_GROUP)
    postgres.create_database(cfg.metadata_db, recreate=True)
    stack = airflow.AirflowStack(cfg, extra_env=env, unset_env=(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}",))
    airflow.migrate(cfg, extra_env=env)
    for user, role in ROLES.items():
        airflow.create_user(cfg, user, role, passwords[user], extra_env=env)
    cluster = ClusterStack(stack, moto_port, passwords)
    cluster.put_connection(
        WAREHOUSE_CONN_ID,
        {
            "conn_type": "postgres",
            "host": cfg.pg_host,
            "port": cfg.pg_port,
            "login": cfg.pg_user,
            "schema": cfg.warehouse_db,
        },
    )
    stack.start(timeout=240)
    return cluster


def worker_running(stack: airflow.AirflowStack, ti_id: str) -> str:
    """Name of the Celery worker whose processes run task instance ``ti_id`` (its supervisor's
    process title names the TI); ``""`` while none does."""
    import psutil

    for proc in stack.procs:
        if not proc.name.startswith(airflow.WORKER_PREFIX) or not proc.alive():
            continue
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                if ti_id in " ".join(child.cmdline()):
                    return proc.name
            except psutil.Error:
                continue
    return ""
