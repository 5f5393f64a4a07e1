"""WarehouseHook.staged(): caller SQL between COPY and apply, in the load's single transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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

DIRTY = (
    HEADER + "\n"
    "1,Ana,1980-05-01,f,2026-01-02 08:00:00,icu,i10,100.5\n"
    "2,Ben,1980-02-30,M,2026-01-03 09:30:00,er,E11.9,\n"  # impossible date
    "3,Cy,,X,2026-01-04 10:00:00,,R07.9,ten\n"  # not a number
    "4,Di,1975-12-31,U,2026-01-05 11:00:00,er,O80,0\n"
)


def test_raw_text_stage_with_validation_sql_then_merge(make_table, snapshot, tmp_path, prefilter):
    """The patient-ETL shape: stage raw TEXT, quarantine bad rows with SQL, normalise, merge."""
    table = make_table()
    quarantine = make_table("line_no bigint, patient_id text, reason text")
    source = write(tmp_path, DIRTY)
    hook = WarehouseHook()
    with hook.staged(table, raw=True, extra_columns={"line_no": "bigint"}) as stage:
        assert stage.copy_csv(source) == 4
        assert stage.columns == tuple(HEADER.split(","))
        # number rows in file order (ctid order right after COPY), as a caller might for reports
        stage.execute(
            sql.SQL(
                "UPDATE {s} SET line_no = n.n + 1 FROM (SELECT ctid, row_number() OVER (ORDER BY ctid) AS n "
                "FROM {s}) n WHERE {s}.ctid = n.ctid"
            ).format(s=stage.table)
        )
        # Postgres 15 has no pg_input_is_valid(): a CASE keeps the casts behind the regex checks
        bad = sql.SQL(
            "CASE WHEN birth_date IS NULL THEN false"
            " WHEN birth_date !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' THEN true"
            " ELSE split_part(birth_date, '-', 3)::int > extract(day FROM make_date("
            "split_part(birth_date, '-', 1)::int, split_part(birth_date, '-', 2)::int, 1)"
            " + interval '1 month - 1 day') END"
            " OR billed_amount !~ '^-?[0-9]+(\\.[0-9]+)?$'"
        )
        # keep the rejects, then drop them from the stage
        stage.execute(
            sql.SQL("INSERT INTO {} SELECT line_no, patient_id, 'invalid value' FROM {} WHERE ").format(
                sql.Identifier(*quarantine.split(".")), stage.table
            )
            + bad
        )
        assert stage.reject_where(bad) == 2
        stage.execute(
            sql.SQL("UPDATE {} SET gender = upper(gender), diagnosis_code = upper(diagnosis_code)").format(
                stage.table
            )
        )
        result = stage.merge("patient_id")
    assert (result.rows_read, result.rejected, result.inserted, result.updated, result.unchanged) == (
        4,
        2,
        2,
        0,
        0,
    )
    assert rows(snapshot(table)) == [
        (1, "Ana", dt.date(1980, 5, 1), "F", dt.datetime(2026, 1, 2, 8), "icu", "I10", Decimal("100.50")),
        (4, "Di", dt.date(1975, 12, 31), "U", dt.datetime(2026, 1, 5, 11), "er", "O80", Decimal("0.00")),
    ]
    assert [r[1:] for r in snapshot(quarantine)] == [(3, "2", "invalid value"), (4, "3", "invalid value")]


def test_exception_in_the_block_rolls_everything_back(make_table, snapshot, tmp_path):
    table = make_table()
    WarehouseHook().load_csv(
        write(tmp_path, HEADER + "\n" + patients(3)), table, mode="merge", key="patient_id"
    )
    before = snapshot(table)
    with pytest.raises(KeyError), WarehouseHook().staged(table) as stage:
        stage.copy_csv(write(tmp_path, HEADER + "\n" + patients(5, name="Q"), "b.csv"))
        stage.merge("patient_id")  # applied, but not committed yet
        raise KeyError("caller bug after the merge")
    assert snapshot(table) == before


def test_caller_sql_error_is_a_load_error_and_rolls_back(make_table, snapshot, tmp_path):
    table = make_table()
    WarehouseHook().load_csv(
        write(tmp_path, HEADER + "\n" + patients(3)), table, mode="merge", key="patient_id"
    )
    before = snapshot(table)
    source = write(tmp_path, HEADER + "\n" + patients(5, name="Q"), "b.csv")
    with pytest.raises(WarehouseLoadError) as info, WarehouseHook().staged(table) as stage:
        stage.copy_csv(source)
        stage.execute(sql.SQL("DELETE FROM {} WHERE no_such_column = 1").format(stage.table))
    message = str(info.value)
    assert "staged SQL (DELETE FROM" in message and table in message and source in message
    assert 'column "no_such_column" does not exist' in message
    assert snapshot(table) == before


def test_copy_rows_extra_columns_and_several_sources(make_table, snapshot, tmp_path):
    table = make_table("id int PRIMARY KEY, name text, score numeric(5,1)")
    hook = WarehouseHook()
    with hook.staged(table, columns=["id", "name", "score"], extra_columns={"origin": "text"}) as stage:
        assert stage.copy_rows([(1, "Ana", Decimal("1.5"), "rows"), (2, "O'Brien; DROP TABLE x", None, "rows")],
                               columns=["id", "name", "score", "origin"]) == 2  # fmt: skip
        stage.copy_csv(write(tmp_path, "id,name\n3,Cy\n"))
        stage.execute(sql.SQL("UPDATE {} SET origin = 'csv' WHERE origin IS NULL").format(stage.table))
        assert stage.count() == 3
        result = stage.append()
    assert (result.rows_read, result.inserted, result.mode) == (3, 3, "append")
    assert result.source == f"rows, {tmp_path / 'patients.csv'}"
    assert rows(snapshot(table)) == [
        (1, "Ana", Decimal("1.5")),
        (2, "O'Brien; DROP TABLE x", None),
        (3, "Cy", None),
    ]


def test_staged_replace_partition_and_single_apply(make_table, snapshot, tmp_path):
    table = make_table("day date, id int, v text, PRIMARY KEY (day, id)")
    hook = WarehouseHook()
    hook.load_csv(
        write(tmp_path, "day,id,v\n2026-01-01,1,a\n2026-01-02,1,b\n", "seed.csv"), table, mode="append"
    )
    with hook.staged(table) as stage:
        stage.copy_rows([(dt.date(2026, 1, 2), 7, "x")], columns=["day", "id", "v"])
        result = stage.replace_partition({"day": dt.date(2026, 1, 2)})
        with pytest.raises(RuntimeError, match="already applied"):
            stage.append()
    assert (result.deleted, result.inserted) == (1, 1)
    assert rows(snapshot(table)) == [(dt.date(2026, 1, 1), 1, "a"), (dt.date(2026, 1, 2), 7, "x")]


def test_staging_table_is_gone_after_commit(make_table, tmp_path):
    table = make_table()
    hook = WarehouseHook()
    with hook.staged(table) as stage:
        stage.copy_csv(write(tmp_path, HEADER + "\n" + patients(2)))
        stage.merge("patient_id")
        conn = stage.connection
        name = stage.table
    assert conn.closed
    with hook.get_conn() as other:
        assert other.execute("SELECT to_regclass(%s)", (name.as_string(other),)).fetchone() == (None,)
