"""WarehouseHook.load_into on the real warehouse: merge and replace_partition, all or nothing."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import sql

from dataplatform.hooks.warehouse import WarehouseHook, WarehouseLoadError

pytestmark = pytest.mark.integration


@pytest.fixture
def db(warehouse):
    warehouse.execute("""
        DROP SCHEMA IF EXISTS hooktest CASCADE; CREATE SCHEMA hooktest;
        CREATE TABLE hooktest.t (id bigint PRIMARY KEY, name text, amount numeric(10,2), month date,
                                 loaded_by text, loaded_at timestamptz);
        CREATE TABLE hooktest.s (line_no bigint, id bigint, name text, amount numeric(10,2), month date);
    """)
    yield warehouse
    warehouse.execute("DROP SCHEMA hooktest CASCADE")


def stage(conn, rows):
    conn.execute("TRUNCATE hooktest.s")
    with conn.cursor().copy("COPY hooktest.s (line_no, id, name, amount, month) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)


def merge(**kw):
    with WarehouseHook(**kw).load_into("hooktest.t", source_table="hooktest.s") as load:
        return load.merge("id", stamp={"loaded_by": "run", "loaded_at": sql.SQL("now()")})


def snapshot(conn):
    return conn.execute(
        "SELECT id, name, amount, month, loaded_by, xmin::text FROM hooktest.t ORDER BY id"
    ).fetchall()


def test_merge_into_empty_then_changes_only_what_changed(db):
    stage(db, [(1, 1, "a", 1, None), (2, 2, "b", 2, None), (3, 3, "c", 3, None)])
    first = merge()
    assert (first.mode, first.rows, first.inserted, first.updated, first.unchanged) == ("merge", 3, 3, 0, 0)
    before = {r[0]: r for r in snapshot(db)}
    stage(db, [(1, 1, "a", 1, None), (2, 2, "B", 2, None), (4, 4, "d", 4, None)])
    second = merge()
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    after = {r[0]: r for r in snapshot(db)}
    assert after[1] == before[1] and after[3] == before[3]  # unchanged and absent rows: not rewritten
    assert after[2][1] == "B" and after[2][5] != before[2][5]


def test_a_rerun_of_mostly_unchanged_rows_rewrites_nothing(db):
    rows = [(i, i, f"n{i}", i % 100, None) for i in range(1, 30_001)]
    stage(db, rows)
    merge()
    before = snapshot(db)
    again = merge()  # the prefilter path (a sample shows most rows unchanged)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 30_000)
    assert snapshot(db) == before


def test_repeated_keys_fail_naming_them_and_change_nothing(db):
    stage(db, [(1, 1, "a", 1, None)])
    merge()
    before = snapshot(db)
    stage(db, [(1, 5, "x", 1, None), (2, 5, "y", 1, None), (3, 1, "z", 1, None)])
    with pytest.raises(WarehouseLoadError, match=r"key \(id\) repeats in hooktest.s: id=5 \(2 rows\)") as err:
        merge()
    assert not err.value.transient and snapshot(db) == before


def test_replace_partition_touches_only_its_partition(db):
    stage(db, [(1, 1, "a", 1, "2026-10-01"), (2, 2, "b", 2, "2026-10-01"), (3, 3, "c", 3, "2026-11-01")])
    merge()
    stage(db, [(1, 4, "d", 4, "2026-10-01")])
    with WarehouseHook().load_into("hooktest.t", source_table="hooktest.s") as load:
        result = load.replace_partition({"month": "2026-10-01"}, stamp={"loaded_by": "replace"})
    assert (result.inserted, result.deleted) == (1, 2)
    assert [(r[0], r[3].isoformat()) for r in snapshot(db)] == [(3, "2026-11-01"), (4, "2026-10-01")]


def test_rows_outside_the_partition_fail_and_change_nothing(db):
    stage(db, [(1, 1, "a", 1, "2026-10-01")])
    merge()
    before = snapshot(db)
    stage(db, [(1, 2, "b", 1, "2026-10-01"), (2, 3, "c", 1, "2026-12-01")])
    with (
        pytest.raises(
            WarehouseLoadError,
            match=r"rows outside partition month='2026-10-01' .*month=2026-12-01 \(1 rows\)",
        ),
        WarehouseHook().load_into("hooktest.t", source_table="hooktest.s") as load,
    ):
        load.replace_partition({"month": "2026-10-01"})
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("target", "key", "message"),
    [
        ("hooktest.nope", "id", "table hooktest.nope does not exist"),
        ("hooktest.t", "name", r"merge key \(name\) of hooktest.t has no primary key or unique index"),
        ("hooktest.t", "zzz", "key column 'zzz' does not exist in table hooktest.t"),
    ],
)
def test_bad_targets_and_keys_are_named(db, target, key, message):
    with (
        pytest.raises(WarehouseLoadError, match=message),
        WarehouseHook().load_into(target, source_table="hooktest.s") as load,
    ):
        load.merge(key)


def test_a_locked_target_fails_after_lock_timeout_as_a_transient_error(db, test_config):
    holder = psycopg.connect(test_config.pg_uri(test_config.warehouse_db))
    holder.execute("LOCK TABLE hooktest.t IN EXCLUSIVE MODE")
    try:
        with pytest.raises(WarehouseLoadError, match=r"could not lock hooktest.t within 0.5s") as err:
            merge(lock_timeout=0.5)
        assert err.value.transient
    finally:
        holder.rollback()
        holder.close()


def test_readers_are_not_blocked_by_a_load(db, test_config):
    stage(db, [(1, 1, "a", 1, None)])
    started, release = threading.Event(), threading.Event()

    def slow_load():
        with WarehouseHook().load_into("hooktest.t", source_table="hooktest.s") as load:
            load.merge("id")
            started.set()
            release.wait(10)

    worker = threading.Thread(target=slow_load)
    worker.start()
    try:
        assert started.wait(10)
        with psycopg.connect(test_config.pg_uri(test_config.warehouse_db)) as reader:
            reader.execute("SET lock_timeout = '1s'")
            assert reader.execute("SELECT count(*) FROM hooktest.t").fetchone() == (
                0,
            )  # the load is not committed
    finally:
        release.set()
        worker.join()
    assert db.execute("SELECT count(*) FROM hooktest.t").fetchone() == (1,)
