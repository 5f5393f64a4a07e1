"""deploy/helm/values.yaml: the official chart gets the DAGs' connections, the image and the settings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from dataplatform.conn_ids import LANDING_BUCKET_VARIABLE, REQUIRED_CONN_IDS
from dataplatform.get_provider_info import get_provider_info
from devstack.config import REPO_ROOT

VALUES = REPO_ROOT / "deploy" / "helm" / "values.yaml"
CONNECTIONS_SECRET = "dataplatform-connections"


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def airflow_pin() -> str:
    return re.search(r"^apache-airflow==([\d.]+)", (REPO_ROOT / "requirements.txt").read_text(), re.M)[1]


def test_required_connections_come_from_the_connections_secret(values):
    entries = {e["envName"]: e for e in values.get("secret", [])}
    for conn_id in REQUIRED_CONN_IDS:
        var = f"AIRFLOW_CONN_{conn_id.upper()}"
        assert var in entries, f"{conn_id} is not provided to the chart ({var})"
        assert entries[var]["secretName"] == CONNECTIONS_SECRET
        assert entries[var]["secretKey"] == var


def test_landing_bucket_variable_is_set(values):
    env = {e["name"]: e["value"] for e in values.get("env", [])}
    assert env.get(f"AIRFLOW_VAR_{LANDING_BUCKET_VARIABLE.upper()}")


def test_image_is_the_repository_image_of_the_pinned_airflow(values):
    image = values["images"]["airflow"]
    assert image["repository"] and not image["repository"].startswith("apache/airflow"), (
        "the chart must run the image built from the Dockerfile (DAGs and provider baked in)"
    )
    assert str(image["tag"])
    assert values["airflowVersion"] == airflow_pin()
    assert values["executor"] in {"LocalExecutor", "CeleryExecutor"}
    if values["executor"] == "CeleryExecutor":
        assert values.get("redis", {}).get("enabled", True), "CeleryExecutor needs a broker"


def test_dags_are_baked_into_the_image(values):
    assert values["dags"]["persistence"]["enabled"] is False
    assert values["dags"]["gitSync"]["enabled"] is False


def test_api_urls(values):
    config = values["config"]
    base_url = urlsplit(config["api"]["base_url"])
    assert base_url.scheme in {"http", "https"} and base_url.hostname, "[api] base_url builds alert log links"
    assert config["core"]["execution_api_server_url"].endswith(
        "-api-server:{{ .Values.ports.apiServer }}/execution/"
    )


def test_dataplatform_section_uses_options_of_the_provider(values):
    options = get_provider_info()["config"]["dataplatform"]["options"]
    ours = set(values["config"]["dataplatform"])
    assert "alert_email" in ours
    assert ours <= set(options), f"unknown [dataplatform] options: {ours - set(options)}"


def test_airflow_secrets_are_referenced_not_inlined(values):
    assert values["postgresql"]["enabled"] is False
    assert values["data"]["metadataSecretName"]
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert values.get(key), f"{key} must name a secret created by the deployer"
    for key in ("fernetKey", "apiSecretKey", "jwtSecret"):
        assert not values.get(key), f"{key} must not be inlined in values.yaml"
