"""deploy/helm/values*.yaml, read as YAML: what the chart's schema and a render cannot tell.

The chart's values.schema.json lets unknown top-level keys and unknown keys under some sections
(workers.celery, workers.kubernetes, ...) through, and `config:` is free-form: a misspelt key there
would silently do nothing. These checks catch it, and keep the values in step with the DAGs'
connection ids, the pinned Airflow and the provider's options. test_helm_render.py renders them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from dataplatform.conn_ids import LANDING_BUCKET_VARIABLE, REPORTS_BUCKET_VARIABLE, REQUIRED_CONN_IDS
from dataplatform.get_provider_info import get_provider_info
from devstack.config import REPO_ROOT
from tests.deploy.conftest import COMMON_VALUES, HELM_DIR, VARIANTS

VALUES_FILES = sorted(HELM_DIR.glob("values*.yaml"))
CONNECTIONS_SECRET = "dataplatform-connections"


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


@pytest.fixture(scope="module")
def values() -> dict:
    return load(COMMON_VALUES)


def airflow_pin() -> str:
    return re.search(r"^apache-airflow==([\d.]+)", (REPO_ROOT / "requirements.txt").read_text(), re.M)[1]


def test_the_layout_is_complete():
    names = {p.name for p in VALUES_FILES}
    assert {"values.yaml", "values-secrets-manager.yaml", "values-git-bundle.yaml"} <= names
    assert {values_file.name for values_file, _ in VARIANTS.values()} <= names
    assert (HELM_DIR / "pod-template.yaml").is_file()


def test_required_connections_come_from_the_connections_secret(values):
    entries = {e["envName"]: e for e in values.get("secret", [])}
    for conn_id in REQUIRED_CONN_IDS:
        var = f"AIRFLOW_CONN_{conn_id.upper()}"
        assert var in entries, f"{conn_id} is not provided to the chart ({var})"
        assert entries[var]["secretName"] == CONNECTIONS_SECRET
        assert entries[var]["secretKey"] == var


def test_variables_are_set(values):
    env = {e["name"]: e["value"] for e in values.get("env", [])}
    for variable in (LANDING_BUCKET_VARIABLE, REPORTS_BUCKET_VARIABLE):
        assert env.get(f"AIRFLOW_VAR_{variable.upper()}"), variable


def test_image_is_the_repository_image_of_the_pinned_airflow(values):
    image = values["images"]["airflow"]
    assert image["repository"] and not image["repository"].startswith("apache/airflow"), (
        "the chart must run the image built from the Dockerfile (DAGs and provider baked in)"
    )
    assert str(image["tag"])
    assert values["airflowVersion"] == airflow_pin()
    assert values["images"]["useDefaultImageForMigration"] is False


def test_each_variant_chooses_its_executor(values):
    assert "executor" not in values, "the executor belongs to values-celery.yaml / values-kubernetes.yaml"
    celery = load(VARIANTS["celery"][0])
    assert celery["executor"] == "CeleryExecutor"
    assert celery["redis"]["enabled"] is True, "CeleryExecutor needs a broker"
    kubernetes = load(VARIANTS["kubernetes"][0])
    assert kubernetes["executor"] == "KubernetesExecutor"
    assert kubernetes["redis"]["enabled"] is False
    assert VARIANTS["kubernetes"][1] == {"podTemplate": HELM_DIR / "pod-template.yaml"}


def test_dags_are_baked_into_the_image(values):
    assert values["dags"]["persistence"]["enabled"] is False
    assert values["dags"]["gitSync"]["enabled"] is False
    [bundle] = values["dagProcessor"]["dagBundleConfigList"]
    assert bundle["classpath"] == "airflow.dag_processing.bundles.local.LocalDagBundle"


def test_api_urls(values):
    config = values["config"]
    base_url = urlsplit(config["api"]["base_url"])
    assert base_url.scheme in {"http", "https"} and base_url.hostname, "[api] base_url builds alert log links"


def test_dataplatform_section_uses_options_of_the_provider(values):
    options = get_provider_info()["config"]["dataplatform"]["options"]
    ours = set(values["config"]["dataplatform"])
    assert "alert_email" in ours
    assert ours <= set(options), f"unknown [dataplatform] options: {ours - set(options)}"


@pytest.mark.parametrize("path", VALUES_FILES, ids=lambda p: p.name)
def test_config_options_are_airflow_options(path):
    """`config:` is free-form for the chart: every option must be one Airflow (or a provider) knows."""
    from airflow.configuration import conf

    known = conf.configuration_description
    for section, options in (load(path).get("config") or {}).items():
        assert section in known, f"{path.name}: unknown airflow.cfg section [{section}]"
        unknown = set(options) - set(known[section]["options"])
        assert not unknown, f"{path.name}: unknown options in [{section}]: {unknown}"


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def undeclared_keys(schema: dict, value: Any, node: dict, path: str = "") -> list[str]:
    """Keys of ``value`` that ``node`` (a part of the chart's schema) does not declare."""
    node = _resolve(schema, node)
    declared = dict(node.get("properties", {}))
    for alternative in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        declared.update(_resolve(schema, alternative).get("properties", {}))
    found = []
    if isinstance(value, dict) and declared:
        for key, item in value.items():
            where = f"{path}.{key}".lstrip(".")
            found += [where] if key not in declared else undeclared_keys(schema, item, declared[key], where)
    elif isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            found += undeclared_keys(schema, item, node["items"], f"{path}[{i}]")
    return found


def test_the_schema_walk_finds_misspelt_keys(chart_schema):
    typos = {"schedulr": {"replicas": 2}, "workers": {"celery": {"replica": 3, "resources": {"limit": {}}}}}
    found = undeclared_keys(chart_schema, typos, chart_schema)
    assert found == ["schedulr", "workers.celery.replica", "workers.celery.resources.limit"]


@pytest.mark.parametrize("path", VALUES_FILES, ids=lambda p: p.name)
def test_every_key_is_declared_by_the_chart(chart_schema, path):
    assert undeclared_keys(chart_schema, load(path), chart_schema) == []


@pytest.mark.parametrize("path", [*VALUES_FILES, HELM_DIR / "pod-template.yaml"], ids=lambda p: p.name)
def test_no_credentials_in_the_files(path):
    # comments may show placeholders (postgresql://USER:PASSWORD@HOST); settings may not
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"^\s*(password|pass|fernetKey|apiSecretKey|jwtSecret)\s*:\s*\S", text, re.M)
    assert not re.search(r"://[^/\s:@'\"]+:[^/\s@'\"]+@", text), f"a URL with a password in {path.name}"


def test_airflow_secrets_are_referenced_not_inlined(values):
    assert values["postgresql"]["enabled"] is False
    assert values["data"]["metadataSecretName"] and values["data"]["brokerUrlSecretName"]
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert values.get(key), f"{key} must name a secret created by the deployer"
    assert values["createUserJob"]["enabled"] is False, "no default admin user"
    celery = load(VARIANTS["celery"][0])
    assert celery["redis"]["passwordSecretName"] and not celery["redis"].get("password")
