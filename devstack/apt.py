"""Debian packages the repo's setup installs itself when it can (root with apt-get)."""

from __future__ import annotations

import os
import shutil
import subprocess


class AptUnavailable(RuntimeError):
    """The packages are missing and cannot be installed here; the message says what to run."""


def apt_install(*packages: str) -> None:
    """``apt-get install -y`` ``packages`` (after ``apt-get update`` if the first try fails)."""
    names = " ".join(packages)
    if not shutil.which("apt-get"):
        raise AptUnavailable(f"{names} not installed and this machine has no apt-get")
    if os.geteuid() != 0:
        raise AptUnavailable(f"{names} not installed: run `sudo apt-get install {names}`")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, capture_output=True, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, check=False)
        result = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise AptUnavailable(f"apt-get install {names} failed: {result.stderr[-500:]}")
