"""The provider's registry: everything it names imports, and Airflow's ProvidersManager sees it."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pytest

from dataplatform.get_provider_info import get_provider_info

INFO = get_provider_info()


def _modules() -> list[str]:
    return [
        m for section in ("hooks", "sensors", "triggers") for e in INFO[section] for m in e["python-modules"]
    ]


def _classes() -> list[str]:
    return [*INFO["notifications"], *(c["hook-class-name"] for c in INFO["connection-types"])]


def test_entry_point_points_at_get_provider_info() -> None:
    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.name == "provider_info"]
    values = {ep.value for ep in eps}
    assert "dataplatform.get_provider_info:get_provider_info" in values


@pytest.mark.parametrize("module", _modules())
def test_listed_module_imports(module: str) -> None:
    importlib.import_module(module)


@pytest.mark.parametrize("path", _classes())
def test_listed_class_exists(path: str) -> None:
    module, _, name = path.rpartition(".")
    assert isinstance(getattr(importlib.import_module(module), name), type)


def test_connection_type_matches_hook_class() -> None:
    for entry in INFO["connection-types"]:
        module, _, name = entry["hook-class-name"].rpartition(".")
        hook = getattr(importlib.import_module(module), name)
        assert hook.conn_type == entry["connection-type"]


def test_config_defaults_are_strings_or_none() -> None:
    for section in INFO["config"].values():
        for key, option in section["options"].items():
            assert option["default"] is None or isinstance(option["default"], str), key


def test_providers_manager_sees_every_piece() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    pm = ProvidersManager()  # server side: triggers, notifications
    runtime = ProvidersManagerTaskRuntime()  # task side: hooks
    assert "airflow-provider-dataplatform" in pm.providers
    assert runtime.hooks["dataplatform_warehouse"].hook_class_name.endswith("WarehouseHook")
    assert {t.trigger_class_name for t in pm.trigger if t.package_name == "airflow-provider-dataplatform"}
    assert set(INFO["notifications"]) <= set(pm.notification)
