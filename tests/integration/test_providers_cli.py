"""``airflow providers …`` (the real CLI) lists the provider's hooks, triggers and notifiers."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("list", "airflow-provider-dataplatform"),
        ("hooks", "dataplatform.hooks.warehouse.WarehouseHook"),
        ("triggers", "dataplatform.triggers.landing"),
        ("notifications", "dataplatform.notifications.email.AlertEmailNotifier"),
    ],
)
def test_airflow_providers_cli_lists_it(command: str, expected: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", command, "--output", "plain"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert expected in out
