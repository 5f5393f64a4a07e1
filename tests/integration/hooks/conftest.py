"""Fixtures of the WarehouseHook integration tests: scratch tables, snapshots, merge paths."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from psycopg import sql

from dataplatform.warehouse import merge as merge_module
from tests.integration.hooks.warehouse_data import PATIENTS_COLUMNS


@pytest.fixture
def make_table(warehouse) -> Callable[..., str]:
    """``make_table(columns_sql=PATIENTS_COLUMNS, insert=None) -> "hooktest.t_xxxxxxxx"``."""
    warehouse.execute("CREATE SCHEMA IF NOT EXISTS hooktest")

    def make(columns: str = PATIENTS_COLUMNS, insert: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:8]}"
        ident = sql.Identifier("hooktest", name)
        warehouse.execute(sql.SQL("CREATE TABLE {} (" + columns + ")").format(ident))  # type: ignore[arg-type]
        if insert:
            warehouse.execute(sql.SQL("INSERT INTO {} " + insert).format(ident))  # type: ignore[arg-type]
        return f"hooktest.{name}"

    return make


@pytest.fixture
def snapshot(warehouse) -> Callable[[str], list[tuple]]:
    """Every row of a table with its ``xmin`` (which changes whenever a row is rewritten), in order."""

    def snap(table: str) -> list[tuple]:
        schema, name = table.split(".")
        return warehouse.execute(
            sql.SQL("SELECT t.xmin::text, t.* FROM {} AS t ORDER BY 2").format(sql.Identifier(schema, name))
        ).fetchall()

    return snap


@pytest.fixture(params=["on-conflict-only", "anti-join-first"])
def prefilter(request, monkeypatch) -> str:
    """Run a merge test with the unchanged-row pre-filter forced off, then forced on."""
    if request.param == "on-conflict-only":
        monkeypatch.setattr(merge_module, "PREFILTER_MIN_ROWS", 10**12)
    else:
        monkeypatch.setattr(merge_module, "PREFILTER_MIN_ROWS", 0)
        monkeypatch.setattr(merge_module, "PREFILTER_SAMPLE", 4)
        monkeypatch.setattr(merge_module, "PREFILTER_SHARE", 0.0)
    return request.param
