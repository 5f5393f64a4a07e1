"""Stage applies with ``stamp=`` (audit columns), merges into an empty target, and stages that read
an existing table in place (``staged(..., source_table=...)``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from dataplatform.hooks.warehouse import WarehouseHook, WarehouseLoadError
from tests.integration.hooks.warehouse_data import (
    HEADER,
    patients,
    rows,
    write,
)

pytestmark = pytest.mark.integration

AUDITED = (
    "id int PRIMARY KEY, name text NOT NULL, score numeric(5,1),"
    " loaded_at timestamptz NOT NULL DEFAULT now(), loaded_by text"
)


def stamp(run: str) -> dict:
    return {"loaded_at": sql.SQL("now()"), "loaded_by": run}


def merge_rows(table: str, data: list[tuple], run: str, **kw):
    with WarehouseHook().staged(table, columns=["id", "name", "score"]) as stage:
        stage.copy_rows(data)
        now = stage.connection.execute("SELECT now()").fetchone()[0]
        return stage.merge("id", stamp=stamp(run), **kw), now


def audit(snapshot_rows: list[tuple]) -> dict[int, tuple]:
    """id -> (xmin, name, loaded_at, loaded_by)."""
    return {r[1]: (r[0], r[2], r[4], r[5]) for r in snapshot_rows}


# ------------------------------------------------------------------------------------ stamp


def test_stamp_marks_only_inserted_and_changed_rows(make_table, snapshot, prefilter):
    table = make_table(AUDITED)
    first, t1 = merge_rows(table, [(1, "a", 1), (2, "b", 2), (3, "c", None)], "run1")
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    before = audit(snapshot(table))
    assert {r[2:] for r in before.values()} == {(t1, "run1")}

    second, t2 = merge_rows(table, [(1, "a", 1), (2, "b changed", 2), (3, "c", None), (4, "d", 4)], "run2")
    assert (second.rows_read, second.inserted, second.updated, second.unchanged) == (4, 1, 1, 2)
    after = audit(snapshot(table))
    assert after[1] == before[1] and after[3] == before[3]  # unchanged: not rewritten, old stamp
    assert after[2][1:] == ("b changed", t2, "run2") and after[2][0] != before[2][0]
    assert after[4][1:] == ("d", t2, "run2")
    assert t2 > t1

    # a re-run: nothing to compare but the data, so nothing changes, stamps included
    third, _ = merge_rows(table, [(1, "a", 1), (2, "b changed", 2), (3, "c", None), (4, "d", 4)], "run3")
    assert (third.inserted, third.updated, third.unchanged) == (0, 0, 4)
    assert audit(snapshot(table)) == after


def test_stamp_constants_are_cast_to_the_column_type(make_table, snapshot):
    table = make_table("id int PRIMARY KEY, v text, day date, batch bigint")
    with WarehouseHook().staged(table, columns=["id", "v"]) as stage:
        stage.copy_rows([(1, "x")])
        stage.merge("id", stamp={"day": "2026-03-01", "batch": 7})
    with WarehouseHook().staged(table, columns=["id", "v"]) as stage:
        stage.copy_rows([(1, "y")])
        stage.merge("id", stamp={"day": dt.date(2026, 3, 2), "batch": None})
    assert rows(snapshot(table)) == [(1, "y", dt.date(2026, 3, 2), None)]


def test_stamp_on_append_and_replace_partition(make_table, snapshot):
    table = make_table("day date, id int, v text, loaded_by text, PRIMARY KEY (day, id)")
    hook = WarehouseHook()
    with hook.staged(table, columns=["day", "id", "v"]) as stage:
        stage.copy_rows([(dt.date(2026, 1, 1), 1, "a"), (dt.date(2026, 1, 2), 1, "b")])
        assert stage.append(stamp={"loaded_by": "append"}).inserted == 2
    with hook.staged(table, columns=["day", "id", "v"]) as stage:
        stage.copy_rows([(dt.date(2026, 1, 2), 1, "B"), (dt.date(2026, 1, 2), 2, "C")])
        result = stage.replace_partition({"day": dt.date(2026, 1, 2)}, stamp={"loaded_by": "replace"})
    assert (result.deleted, result.inserted) == (1, 2)
    assert rows(snapshot(table)) == [
        (dt.date(2026, 1, 1), 1, "a", "append"),
        (dt.date(2026, 1, 2), 1, "B", "replace"),
        (dt.date(2026, 1, 2), 2, "C", "replace"),
    ]


def test_bad_stamps_are_refused_and_nothing_changes(make_table, snapshot):
    table = make_table(AUDITED)
    merge_rows(table, [(1, "a", 1)], "run1")
    before = snapshot(table)
    cases = [
        ({"nope": 1}, WarehouseLoadError, rf"stamp column 'nope' does not exist in table {table}"),
        ({"name": "x"}, ValueError, "stamp column 'name' is also loaded from the stage"),
        ({"loaded by": "x"}, ValueError, "not a plain identifier"),
        ({}, ValueError, "stamp must be a non-empty mapping"),
        ({"loaded_at": "not a time"}, WarehouseLoadError, "invalid input syntax for type timestamp"),
    ]
    for bad, error, message in cases:
        with (
            pytest.raises(error, match=message),
            WarehouseHook().staged(table, columns=["id", "name"]) as stage,
        ):
            stage.copy_rows([(1, "changed"), (2, "new")])
            stage.merge("id", stamp=bad)
    with (
        pytest.raises(ValueError, match="'loaded_by' is both a partition and a stamp column"),
        WarehouseHook().staged(table, columns=["id", "name"]) as stage,
    ):
        stage.replace_partition({"loaded_by": "x"}, stamp={"loaded_by": "y"})
    assert snapshot(table) == before


# ------------------------------------------------------------------------------------ empty target


def test_merge_into_an_empty_target_inserts_and_names_repeated_keys(make_table, snapshot):
    table = make_table(AUDITED)
    with pytest.raises(WarehouseLoadError) as info, WarehouseHook().staged(table) as stage:
        stage.copy_rows([(1, "a"), (7, "b"), (7, "c"), (2, "d")], columns=["id", "name"])
        stage.merge("id")
    message = str(info.value)
    assert "key (id) is not unique" in message and "id=7 (2 rows)" in message and table in message
    assert snapshot(table) == []

    result, _ = merge_rows(table, [(1, "a", 1), (2, "b", None)], "run1")
    assert (result.rows_read, result.inserted, result.updated, result.unchanged) == (2, 2, 0, 0)
    assert [r[1:3] for r in rows(snapshot(table))] == [("a", Decimal("1.0")), ("b", None)]


def test_other_unique_violations_into_an_empty_target_are_not_blamed_on_the_key(
    make_table,
    snapshot,
):
    table = make_table("id int PRIMARY KEY, email text UNIQUE")
    with pytest.raises(WarehouseLoadError) as info, WarehouseHook().staged(table) as stage:
        stage.copy_rows([(1, "x@example.org"), (2, "x@example.org")], columns=["id", "email"])
        stage.merge("id")
    assert "merging into" in str(info.value) and "duplicate key value" in str(info.value)
    assert "is not unique" not in str(info.value)
    assert snapshot(table) == []


# ------------------------------------------------------------------------------------ source_table


@pytest.fixture
def source_table(warehouse):
    """``source_table(columns_sql, rows_sql) -> "hooktest.src_xxxxxxxx"`` (an UNLOGGED table)."""
    warehouse.execute("CREATE SCHEMA IF NOT EXISTS hooktest")

    def make(columns: str, insert: str) -> str:
        name = sql.Identifier("hooktest", f"src_{uuid.uuid4().hex[:8]}")
        warehouse.execute(sql.SQL("CREATE UNLOGGED TABLE {} (" + columns + ")").format(name))  # type: ignore[arg-type]
        warehouse.execute(sql.SQL("INSERT INTO {} " + insert).format(name))  # type: ignore[arg-type]
        return name.as_string(warehouse).replace('"', "")

    return make


def test_merge_from_an_existing_table_in_place(make_table, snapshot, source_table, prefilter):
    table = make_table(AUDITED)
    merge_rows(table, [(1, "a", 1), (2, "b", 2)], "run1")
    before = audit(snapshot(table))
    # other column order, a text column cast to numeric on apply, a column the target does not have
    src = source_table(
        "note text, score text, name text, id bigint",
        "VALUES ('x', '1', 'a', 1), ('y', '2.5', 'b', 2), ('z', NULL, 'c', 3)",
    )
    src_before = snapshot(src)
    with WarehouseHook().staged(table, source_table=src) as stage:
        assert stage.table == sql.Identifier(*src.split(".")) and stage.source_table == src
        assert stage.columns == ("score", "name", "id") and stage.count() == 3
        result = stage.merge("id", stamp=stamp("run2"))
    assert (result.rows_read, result.inserted, result.updated, result.unchanged) == (3, 1, 1, 1)
    assert result.source == src
    after = audit(snapshot(table))
    assert after[1] == before[1]
    assert after[2][1:] == ("b", after[3][2], "run2") and after[3][3] == "run2"
    assert [r[2] for r in rows(snapshot(table))] == [Decimal("1.0"), Decimal("2.5"), None]
    assert snapshot(src) == src_before  # read, not changed, not dropped


def test_merge_from_an_existing_table_into_an_empty_target(make_table, snapshot, source_table):
    table = make_table(AUDITED)
    src = source_table("id int, name text", "SELECT g, 'n' || g FROM generate_series(1, 500) g")
    with WarehouseHook().staged(table, source_table=src) as stage:
        result = stage.merge("id", stamp=stamp("run1"))
    assert (result.rows_read, result.inserted, result.updated, result.unchanged) == (500, 500, 0, 0)
    assert len(snapshot(table)) == 500


def test_stage_over_an_existing_table_cannot_be_filled_or_trimmed(make_table, snapshot, source_table):
    table = make_table(AUDITED)
    src = source_table("id int, name text", "VALUES (1, 'a')")
    hook = WarehouseHook()
    for fill in (
        lambda s: s.copy_rows([(2, "b")]),
        lambda s: s.copy_csv("/dev/null"),
        lambda s: s.reject_where("id = 1"),
    ):
        with (
            pytest.raises(RuntimeError, match=rf"is the existing table {src} \(source_table=\)"),
            hook.staged(table, source_table=src) as stage,
        ):
            fill(stage)
    assert snapshot(src)[0][1:] == (1, "a") and snapshot(table) == []


def test_source_table_errors(make_table, source_table, warehouse):
    table = make_table(AUDITED)
    hook = WarehouseHook()
    with (
        pytest.raises(WarehouseLoadError, match="table hooktest.nope does not exist"),
        hook.staged(table, source_table="hooktest.nope"),
    ):
        pass
    with (
        pytest.raises(WarehouseLoadError, match="is the target table itself"),
        hook.staged(table, source_table=table),
    ):
        pass
    no_name = source_table("id int, score numeric", "VALUES (1, 1)")
    with (
        pytest.raises(WarehouseLoadError, match=rf"column 'name' of {table} is NOT NULL without a default"),
        hook.staged(table, source_table=no_name),
    ):
        pass
    with (
        pytest.raises(WarehouseLoadError, match=rf"column 'name' does not exist in {no_name}"),
        hook.staged(table, source_table=no_name, columns=["id", "name"]),
    ):
        pass
    unrelated = source_table("x int", "VALUES (1)")
    with (
        pytest.raises(WarehouseLoadError, match=rf"{unrelated} has no column of {table}"),
        hook.staged(table, source_table=unrelated),
    ):
        pass


def test_source_table_is_locked_against_writers_until_the_load_ends(make_table, source_table, warehouse):
    table = make_table(AUDITED)
    src = source_table("id int, name text", "VALUES (1, 'a')")
    with WarehouseHook().staged(table, source_table=src) as stage:
        warehouse.execute("SET lock_timeout = '200ms'")
        try:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                warehouse.execute(f"INSERT INTO {src} VALUES (2, 'b')")
            assert warehouse.execute(f"SELECT count(*) FROM {src}").fetchone() == (1,)  # reads do not wait
        finally:
            warehouse.execute("RESET lock_timeout")
        stage.merge("id")
    warehouse.execute(f"INSERT INTO {src} VALUES (2, 'b')")


def test_failure_while_merging_from_a_source_table_rolls_back(
    make_table,
    snapshot,
    source_table,
    tmp_path,
):
    table = make_table()
    WarehouseHook().load_csv(
        write(tmp_path, HEADER + "\n" + patients(3)), table, mode="merge", key="patient_id"
    )
    before = snapshot(table)
    src = source_table(
        "patient_id bigint, name text, admitted_at timestamp",
        "VALUES (1, 'changed', '2026-01-01'), (9, NULL, '2026-01-01')",  # NULL name: NOT NULL violated
    )
    with pytest.raises(WarehouseLoadError) as info, WarehouseHook().staged(table, source_table=src) as stage:
        stage.merge("patient_id", stamp=None)
    assert f"merging into {table} failed (source {src})" in str(info.value)
    assert 'null value in column "name"' in str(info.value)
    assert snapshot(table) == before
