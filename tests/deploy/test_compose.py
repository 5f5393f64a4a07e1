"""docker-compose.yaml: valid compose, and the same connections and settings as the native stack.

Docker is not needed: the file is validated against the compose specification and parsed. Values
are read as ``docker compose`` would with no ``.env`` and no variables set (``${VAR:-default}`` ->
default).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from dataplatform.conn_ids import (
    DEFAULT_LANDING_BUCKET,
    DEFAULT_REPORTS_BUCKET,
    LANDING_BUCKET_VARIABLE,
    REPORTS_BUCKET_VARIABLE,
    REQUIRED_CONN_IDS,
)
from dataplatform.get_provider_info import get_provider_info
from devstack.config import REPO_ROOT, REPORT_ROUTES, StackConfig, connection_env

COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
POSTGRES_INIT = REPO_ROOT / "deploy" / "compose" / "postgres-init"
#: Airflow components of the official Airflow 3 layout, with the command each one runs.
AIRFLOW_COMPONENTS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
AIRFLOW_HOME = "/opt/airflow"
_VAR = re.compile(r"\$\$|\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: Any) -> Any:
    """A value as compose resolves it with no variables set: ``${V:-d}`` -> ``d``, ``$$`` -> ``$``."""
    if not isinstance(value, str):
        return value
    return _VAR.sub(lambda m: "$" if m.group(0) == "$$" else (m.group("default") or ""), value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def common_env(compose: dict[str, Any]) -> dict[str, str]:
    """The environment every Airflow container gets (the x-airflow-common anchor), resolved."""
    return {k: str(interpolate(v)) for k, v in compose["x-airflow-common"]["environment"].items()}


@pytest.fixture(scope="module")
def native_env() -> dict[str, str]:
    cfg = StackConfig(airflow_home=Path("/nonexistent"), metadata_db="airflow", warehouse_db="warehouse")
    return connection_env(cfg)


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(interpolate(v)) for k, v in env.items()}


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return interpolate(" ".join(command) if isinstance(command, list) else command)


def conn_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or {"http": 80, "https": 443}[parts.scheme]


def test_compose_file_validates_against_the_compose_spec():
    exe = Path(sys.executable).with_name("check-jsonschema")
    check = str(exe) if exe.exists() else shutil.which("check-jsonschema")
    assert check, "check-jsonschema is missing: install requirements-dev.txt (make install)"
    result = subprocess.run(
        [check, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_airflow_components_of_the_official_layout_exist(services):
    for name, command in AIRFLOW_COMPONENTS.items():
        assert name in services, f"service {name} missing"
        assert command_text(services[name]) == command, name
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert "profiles" not in services[name], f"{name} must start without a profile"
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
    init = services["airflow-init"]
    assert env_of(init).get("_AIRFLOW_DB_MIGRATE") == "true", "airflow-init must migrate the metadata DB"
    assert init.get("user") == "0:0", "airflow-init fixes volume ownership, so it runs as root"


def test_celery_profile_has_redis_and_a_worker(compose, services, common_env):
    for name in ("redis", "airflow-worker"):
        assert "celery" in services[name].get("profiles", []), f"{name} must be in the celery profile"
    worker = services["airflow-worker"]
    assert command_text(worker) == "celery worker"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    # The scheduler must start without the profile, and wait for redis when it is there.
    assert services["airflow-scheduler"]["depends_on"]["redis"].get("required") is False
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    raw_executor = compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__EXECUTOR"]
    assert raw_executor == "${AIRFLOW_EXECUTOR:-LocalExecutor}", "executor must be switchable"
    assert urlsplit(common_env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"


def test_dags_plugins_and_include_are_mounted_live(compose, services, common_env):
    mounts = {}
    for volume in compose["x-airflow-common"]["volumes"]:
        source, target, *_ = volume.split(":")
        mounts[source] = target
    assert mounts.get("./dags") == f"{AIRFLOW_HOME}/dags"
    assert mounts.get("./plugins") == f"{AIRFLOW_HOME}/plugins"
    include = mounts.get("./include")
    assert include, "./include must be mounted"
    assert include in common_env.get("PYTHONPATH", "").split(":"), (
        "the mounted include/ must be importable (PYTHONPATH), or it would not shadow the installed provider"
    )
    for source in ("./dags", "./plugins", "./include"):
        assert (REPO_ROOT / source).is_dir(), source
    for name in (*AIRFLOW_COMPONENTS, "airflow-worker", "airflow-init"):
        assert services[name]["volumes"] == compose["x-airflow-common"]["volumes"], name
        assert services[name]["build"] == ".", f"{name} must run the repository's image"


def test_required_connections_match_the_native_stack(common_env, native_env):
    """Same ids, same connection types, same extra fields as devstack/config.py::connection_env."""
    for conn_id in REQUIRED_CONN_IDS:
        var = conn_var(conn_id)
        assert var in native_env, f"native stack lacks {conn_id}"
        assert var in common_env, f"docker-compose.yaml lacks connection {conn_id} ({var})"
        ours, native = json.loads(common_env[var]), json.loads(native_env[var])
        assert ours["conn_type"] == native["conn_type"], conn_id
        assert set(ours.get("extra", {})) == set(native.get("extra", {})), f"{conn_id}: extra fields differ"
    for variable, default in (
        (LANDING_BUCKET_VARIABLE, DEFAULT_LANDING_BUCKET),
        (REPORTS_BUCKET_VARIABLE, DEFAULT_REPORTS_BUCKET),
    ):
        var = f"AIRFLOW_VAR_{variable.upper()}"
        assert common_env[var] == native_env[var] == default, var
    routes = json.loads(common_env["AIRFLOW__DATAPLATFORM__ALERT_ROUTES"])
    assert routes == REPORT_ROUTES, "report routes differ from devstack/config.py"


def test_connections_point_at_compose_services(common_env, services):
    conns = {cid: json.loads(common_env[conn_var(cid)]) for cid in REQUIRED_CONN_IDS}

    warehouse = conns["warehouse_db"]
    postgres_env = env_of(services[warehouse["host"]])
    assert warehouse["login"] == postgres_env["POSTGRES_USER"]
    assert warehouse["password"] == postgres_env["POSTGRES_PASSWORD"]
    created = re.findall(
        r"CREATE DATABASE\s+(\w+)", " ".join(p.read_text() for p in POSTGRES_INIT.glob("*.sql"))
    )
    assert warehouse["schema"] in created, (
        "the warehouse database is not created by deploy/compose/postgres-init"
    )
    init_mount = f"./{POSTGRES_INIT.relative_to(REPO_ROOT)}:/docker-entrypoint-initdb.d"
    assert any(v.startswith(init_mount) for v in services["postgres"]["volumes"])
    metadata_db = urlsplit(common_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert metadata_db.hostname == warehouse["host"]
    assert metadata_db.path.lstrip("/") == postgres_env["POSTGRES_DB"]

    aws = conns["aws_default"]
    endpoint = urlsplit(aws["extra"]["endpoint_url"])
    minio_env = env_of(services[endpoint.hostname])
    assert (aws["login"], aws["password"]) == (minio_env["MINIO_ROOT_USER"], minio_env["MINIO_ROOT_PASSWORD"])
    assert f"{endpoint.port}:{endpoint.port}" in services[endpoint.hostname]["ports"]

    slack = urlsplit(conns["slack_alerts"]["password"])
    sink = services[slack.hostname]
    command = [str(part) for part in sink["command"]]
    assert command[command.index("--port") + 1] == str(slack.port), "slack_alerts must use the sink's port"
    assert command[:3] == ["python", "-m", "devstack.slack_sink"], (
        "slack-sink must run devstack/slack_sink.py"
    )

    api = conns["airflow_api"]
    assert api["host"] == "airflow-apiserver" and api["port"] == 8080, "airflow_api must reach the api-server"
    users = [u.split(":")[0] for u in common_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")]
    assert api["login"] in users, "airflow_api must log in as a user of the auth manager"

    smtp = conns["smtp_default"]
    assert smtp["host"] in services
    assert any(p.endswith(f":{smtp['port']}") for p in services[smtp["host"]]["ports"])
    assert common_env["AIRFLOW__SMTP__SMTP_HOST"] == smtp["host"]
    assert common_env["AIRFLOW__SMTP__SMTP_PORT"] == str(smtp["port"])


def test_minio_init_creates_the_landing_and_reports_buckets(services, common_env):
    init = services["minio-init"]
    for variable, env_name in (
        (LANDING_BUCKET_VARIABLE, "LANDING_BUCKET"),
        (REPORTS_BUCKET_VARIABLE, "REPORTS_BUCKET"),
    ):
        bucket = common_env[f"AIRFLOW_VAR_{variable.upper()}"]
        assert env_of(init)[env_name] == bucket
        assert "mc mb" in command_text(init) and "${" + env_name + "}" in command_text(init)
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    for name in ("airflow-scheduler", "airflow-triggerer", "airflow-worker"):
        assert services[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"


def test_api_urls_make_alert_log_links_work(common_env, services):
    base_url = common_env.get("AIRFLOW__API__BASE_URL")
    assert base_url, "AIRFLOW__API__BASE_URL must be set: alerts link to task logs with it"
    assert urlsplit(base_url).hostname == "localhost"
    published = [interpolate(p) for p in services["airflow-apiserver"]["ports"]]
    assert f"{port_of(base_url)}:8080" in published, "base_url must use the published api-server port"
    execution = urlsplit(common_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution.hostname == "airflow-apiserver" and execution.port == 8080
    assert execution.path == "/execution/"
    assert common_env["AIRFLOW__API_AUTH__JWT_SECRET"], "components must share one JWT secret"
    assert common_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(":")[1] == "admin"


def test_dataplatform_settings_are_options_of_the_provider(common_env):
    options = get_provider_info()["config"]["dataplatform"]["options"]
    ours = {
        k.removeprefix("AIRFLOW__DATAPLATFORM__").lower()
        for k in common_env
        if k.startswith("AIRFLOW__DATAPLATFORM__")
    }
    assert ours, "no [dataplatform] settings in compose"
    assert ours <= set(options), f"unknown [dataplatform] options: {ours - set(options)}"


def test_slack_sink_needs_only_the_standard_library():
    """The sink runs in a plain python image with only ./devstack mounted."""
    source = (REPO_ROOT / "devstack" / "slack_sink.py").read_text()
    imported = set(re.findall(r"^(?:from|import)\s+(\w+)", source, re.MULTILINE)) - {"__future__"}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is a loopback address on Linux only")
def test_slack_sink_command_serves_beyond_loopback(services, tmp_path):
    """Run the compose service's own command (free port, stdlib only) and post to it from another address."""
    sink_dir = tmp_path / "sink"
    shutil.copytree(
        REPO_ROOT / "devstack", sink_dir / "devstack", ignore=shutil.ignore_patterns("__pycache__")
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(part) for part in services["slack-sink"]["command"]]
    assert command[0] == "python" and "8090" in command and "/data/slack.jsonl" in command
    args = [
        {"8090": str(port), "/data/slack.jsonl": str(tmp_path / "slack.jsonl")}.get(a, a) for a in command[1:]
    ]
    proc = subprocess.Popen([sys.executable, "-S", *args], cwd=sink_dir)
    try:
        url = f"http://127.0.0.2:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(f"{url}/_messages", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, "slack-sink command exited"
                assert time.monotonic() < deadline, "slack-sink command does not answer on 127.0.0.2"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{url}/hook", data=b'{"text": "hello"}', headers={"Content-Type": "application/json"}
        )
        assert urllib.request.urlopen(request, timeout=5).status == 200
        assert json.loads((tmp_path / "slack.jsonl").read_text()) == {"text": "hello"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
