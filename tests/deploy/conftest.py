"""Fixtures for the deployment checks: the official Helm chart rendering ``deploy/helm``.

Each variant is rendered once per session with the real chart (``helm template``); tests read the
manifests through :class:`Render`. The chart is the copy vendored in the repository
(``deploy/helm/vendor/airflow``) unless ``AIRFLOW_HELM_CHART`` names another one (an
unpacked ``helm pull apache-airflow/airflow --untar``).
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import tools
from devstack.config import REPO_ROOT

HELM_DIR = REPO_ROOT / "deploy" / "helm"
DEFAULT_CHART = REPO_ROOT / "deploy" / "helm" / "vendor" / "airflow"
RELEASE = "airflow"
NAMESPACE = "airflow"
COMMON_VALUES = HELM_DIR / "values.yaml"
POD_TEMPLATE = HELM_DIR / "pod-template.yaml"
SECRETS_MANAGER_VALUES = HELM_DIR / "values-secrets-manager.yaml"
GIT_BUNDLE_VALUES = HELM_DIR / "values-git-bundle.yaml"

#: variant -> (values file applied after values.yaml, --set-file arguments), as deploy/README.md says.
VARIANTS: dict[str, tuple[Path, dict[str, Path]]] = {
    "celery": (HELM_DIR / "values-celery.yaml", {}),
    "kubernetes": (HELM_DIR / "values-kubernetes.yaml", {"podTemplate": POD_TEMPLATE}),
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def chart_path() -> Path:
    return Path(os.environ.get("AIRFLOW_HELM_CHART") or DEFAULT_CHART)


@dataclass
class Render:
    """The manifests of one ``helm template`` run."""

    variant: str
    text: str
    docs: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.docs = [d for d in yaml.safe_load_all(self.text) if d]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind} {name} rendered {len(found)} times"
        return found[0]

    def workloads(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest, pod spec) of every Deployment, StatefulSet, Job, CronJob."""
        out = []
        for doc in self.docs:
            if doc["kind"] not in WORKLOAD_KINDS:
                continue
            spec = doc["spec"]
            if doc["kind"] == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            out.append((doc, spec["template"]["spec"]))
        return out

    def component(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The workload labelled ``component: name`` and its pod spec (exactly one)."""
        found = [w for w in self.workloads() if w[0]["metadata"]["labels"].get("component") == name]
        assert len(found) == 1, f"component {name!r}: {len(found)} workloads in the {self.variant} render"
        return found[0]

    def config_map(self) -> dict[str, str]:
        return self.get("ConfigMap", f"{RELEASE}-config")["data"]

    def airflow_cfg(self) -> configparser.ConfigParser:
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read_string(self.config_map()["airflow.cfg"])
        return cfg

    def pod_template(self) -> dict[str, Any] | None:
        """The KubernetesExecutor pod template stored in the config ConfigMap, parsed."""
        text = self.config_map().get("pod_template_file.yaml")
        return yaml.safe_load(text) if text else None


def helm_template(
    helm: Path, values: list[Path], set_files: dict[str, Path] | None = None, *extra: str
) -> subprocess.CompletedProcess:
    """``helm template`` of the chart with ``values`` in order (plus ``--set-file`` and ``extra``)."""
    cmd = [str(helm), "template", RELEASE, str(chart_path()), "--namespace", NAMESPACE]
    for path in values:
        cmd += ["-f", str(path)]
    for key, path in (set_files or {}).items():
        cmd += ["--set-file", f"{key}={path}"]
    return subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=120, check=False)


RenderFn = Callable[..., Render]


def _require_chart() -> Path:
    if not (chart_path() / "Chart.yaml").is_file():
        pytest.fail(f"no Helm chart at {chart_path()} (set AIRFLOW_HELM_CHART to an unpacked chart)")
    return chart_path()


@pytest.fixture(scope="session")
def chart_schema() -> dict[str, Any]:
    """The chart's values.schema.json."""
    return json.loads((_require_chart() / "values.schema.json").read_text())


@pytest.fixture(scope="session")
def helm() -> Path:
    _require_chart()
    try:
        return tools.ensure_helm()
    except tools.ToolUnavailable as err:
        pytest.fail(f"helm could not be installed (python -m devstack ensure-helm): {err}")


@pytest.fixture(scope="session")
def render(helm: Path) -> RenderFn:
    """``render(variant, *overlays, extra=(...))``: a successful render (each made once per session),
    or the test fails with helm's error."""

    cache: dict[tuple, Render] = {}

    def _render(variant: str, *overlays: Path, extra: tuple[str, ...] = ()) -> Render:
        if (key := (variant, overlays, extra)) not in cache:
            values_file, set_files = VARIANTS[variant]
            result = helm_template(helm, [COMMON_VALUES, values_file, *overlays], set_files, *extra)
            if result.returncode != 0:
                pytest.fail(
                    f"helm template ({variant}, {[p.name for p in overlays]}) failed:\n{result.stderr}"
                )
            cache[key] = Render(variant, result.stdout)
        return cache[key]

    return _render


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def rendered(request: pytest.FixtureRequest, render: RenderFn) -> Iterator[Render]:
    """Each executor variant, rendered once per session."""
    yield render(request.param)
