"""WarehouseHook.load_csv against the real warehouse Postgres (and moto S3).

Every failure case compares the whole target, ``xmin`` included, before and after: a failed load
leaves it exactly as it was. Fixtures: conftest.py; tables and CSV bodies: warehouse_data.py.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest

from dataplatform.hooks.identifiers import InvalidIdentifierError
from dataplatform.hooks.warehouse import WarehouseHook, WarehouseLoadError
from dataplatform.warehouse import merge as merge_module
from tests.integration.hooks.warehouse_data import (
    HEADER,
    MESSY,
    MESSY_ROWS,
    patients,
    rows,
    write,
)

pytestmark = pytest.mark.integration

# ------------------------------------------------------------------------------------ merge


def test_merge_into_empty_table_then_rerun_rewrites_nothing(make_table, snapshot, tmp_path):
    table = make_table()
    source = write(tmp_path, MESSY)
    hook = WarehouseHook()

    first = hook.load_csv(source, table, mode="merge", key="patient_id")
    assert (first.rows_read, first.inserted, first.updated, first.unchanged) == (3, 3, 0, 0)
    assert first.table == table and first.mode == "merge" and first.source == source
    before = snapshot(table)
    assert rows(before) == MESSY_ROWS  # values stored literally, NULLs for empty fields

    again = hook.load_csv(source, table, mode="merge", key="patient_id")
    assert (again.rows_read, again.inserted, again.updated, again.unchanged) == (3, 0, 0, 3)
    assert snapshot(table) == before  # same contents, same xmin: no row was rewritten


def test_merge_counts_inserted_updated_unchanged(make_table, snapshot, tmp_path, prefilter):
    table = make_table()
    hook = WarehouseHook()
    hook.load_csv(write(tmp_path, HEADER + "\n" + patients(4)), table, mode="merge", key="patient_id")
    before = {r[1]: r for r in snapshot(table)}

    changed = HEADER + "\n" + patients(2) + "3,P3 changed,1990-01-01,F,2026-01-01 00:00:00,icu,I10,3.00\n"
    changed += patients(2, first=5)  # 4 is absent from the file: merge keeps it
    result = hook.load_csv(write(tmp_path, changed, "changed.csv"), table, mode="merge", key="patient_id")

    assert (result.rows_read, result.inserted, result.updated, result.unchanged) == (5, 2, 1, 2)
    after = {r[1]: r for r in snapshot(table)}
    assert sorted(after) == [1, 2, 3, 4, 5, 6]
    assert after[1] == before[1] and after[2] == before[2] and after[4] == before[4]  # xmin kept
    assert after[3][2] == "P3 changed" and after[3][0] != before[3][0]


def test_merge_of_a_large_rerun_takes_the_anti_join_path(make_table, snapshot, tmp_path, monkeypatch):
    """Above PREFILTER_MIN_ROWS a mostly-unchanged file skips identical rows up front."""
    monkeypatch.setattr(merge_module, "PREFILTER_MIN_ROWS", 1000)
    table = make_table()
    hook = WarehouseHook(work_mem="64MB")
    body = HEADER + "\n" + patients(3000)
    hook.load_csv(write(tmp_path, body), table, mode="merge", key="patient_id")
    before = snapshot(table)
    edited = body.replace("\n17,P17,", "\n17,P17 new,")
    result = hook.load_csv(write(tmp_path, edited, "b.csv"), table, mode="merge", key="patient_id")
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 2999)
    after = snapshot(table)
    assert [a for a, b in zip(after, before, strict=True) if a != b] == [after[16]]
    assert after[16][2] == "P17 new"


def test_merge_compares_json_columns_as_text(make_table, snapshot, tmp_path, prefilter):
    table = make_table("id int PRIMARY KEY, doc json, tags text[]")
    source = write(tmp_path, 'id,doc,tags\n1,"{""a"": 1}","{x,y}"\n2,,\n')
    hook = WarehouseHook()
    hook.load_csv(source, table, mode="merge", key="id")
    hook.load_csv(source, table, mode="merge", key="id")  # empty target only on the first load
    before = snapshot(table)
    result = hook.load_csv(source, table, mode="merge", key="id")
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot(table) == before


def test_duplicate_key_in_one_file_is_an_error_naming_table_and_key(
    make_table, snapshot, tmp_path, prefilter
):
    table = make_table()
    hook = WarehouseHook()
    hook.load_csv(write(tmp_path, HEADER + "\n" + patients(3)), table, mode="merge", key="patient_id")
    before = snapshot(table)
    dup = (
        HEADER
        + "\n"
        + patients(3)
        + "7,Seven,,F,2026-01-01 00:00:00,,,\n7,Seven again,,F,2026-01-01 00:00:00,,,\n"
    )
    source = write(tmp_path, dup, "dup.csv")
    with pytest.raises(WarehouseLoadError) as info:
        hook.load_csv(source, table, mode="merge", key="patient_id")
    message = str(info.value)
    assert source in message and table in message and "key (patient_id) is not unique" in message
    assert "patient_id=7 (2 rows)" in message
    assert snapshot(table) == before


def test_duplicate_key_into_an_empty_table_names_the_line(make_table, snapshot, tmp_path):
    table = make_table()
    dup = HEADER + "\n" + patients(3) + patients(1, first=2)
    source = write(tmp_path, dup)
    with pytest.raises(WarehouseLoadError) as info:
        WarehouseHook().load_csv(source, table, mode="merge", key="patient_id")
    assert info.value.line == 5
    assert source in str(info.value) and table in str(info.value) and "(patient_id)=(2)" in str(info.value)
    assert snapshot(table) == []


def test_merge_on_a_natural_key_beside_identity_and_generated_columns(
    make_table, snapshot, tmp_path, prefilter
):
    table = make_table(
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL UNIQUE, qty int NOT NULL,"
        " double_qty int GENERATED ALWAYS AS (qty * 2) STORED NOT NULL,"
        " loaded_at timestamptz NOT NULL DEFAULT now()"
    )
    hook = WarehouseHook()
    hook.load_csv(write(tmp_path, "code,qty\na,1\nb,2\n"), table, mode="merge", key="code")
    before = snapshot(table)
    result = hook.load_csv(
        write(tmp_path, "qty,code\n1,a\n5,b\n3,c\n", "b.csv"), table, mode="merge", key="code"
    )
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    after = snapshot(table)
    assert after[0] == before[0]  # unchanged row: not rewritten, loaded_at kept
    assert [r[2:5] for r in after] == [("a", 1, 2), ("b", 5, 10), ("c", 3, 6)]
    assert [r[1] for r in after[:2]] == [1, 2]  # (ON CONFLICT draws identity values for conflicts too)


def test_composite_key_and_key_checks(make_table, tmp_path):
    table = make_table("day date, ward text, beds int, PRIMARY KEY (ward, day)")
    hook = WarehouseHook()
    source = write(tmp_path, "day,ward,beds\n2026-01-01,icu,4\n2026-01-01,er,7\n")
    hook.load_csv(source, table, mode="merge", key=["day", "ward"])
    edited = write(tmp_path, "day,ward,beds\n2026-01-01,icu,5\n2026-01-02,icu,5\n", "b.csv")
    result = hook.load_csv(edited, table, mode="merge", key=("ward", "day"))
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 0)

    with pytest.raises(
        WarehouseLoadError, match=rf"merge key \(ward\) of {table} has no primary key or unique"
    ):
        hook.load_csv(source, table, mode="merge", key="ward")
    with pytest.raises(WarehouseLoadError, match=rf"key column 'nope' does not exist in table {table}"):
        hook.load_csv(source, table, mode="merge", key="nope")
    only_ward = write(tmp_path, "ward,beds\nicu,1\n", "c.csv")
    with pytest.raises(
        WarehouseLoadError,
        match=rf"c.csv: column 'day' of {table} is NOT NULL without a default, but the file does not fill",
    ):
        hook.load_csv(only_ward, table, mode="merge", key=["day", "ward"])


# ------------------------------------------------------------------------------------ failures


@pytest.mark.parametrize("target", ["empty", "non-empty"])
def test_bad_value_on_line_n_rolls_back_and_names_the_line(make_table, snapshot, tmp_path, target):
    table = make_table()
    hook = WarehouseHook()
    if target == "non-empty":
        hook.load_csv(
            write(tmp_path, HEADER + "\n" + patients(3), "seed.csv"), table, mode="merge", key="patient_id"
        )
    before = snapshot(table)
    # lines: 1 header, 2-3 one record with a quoted newline, 4 good, 5 bad date, 6 good
    body = (
        HEADER + "\n"
        '1,"Two\nlines",1990-01-01,F,2026-01-01 00:00:00,icu,I10,1\n'
        "2,Ok,1990-01-01,F,2026-01-01 00:00:00,icu,I10,1\n"
        "3,Bad,1990-02-30,F,2026-01-01 00:00:00,icu,I10,1\n"
        "9,Ok,1990-01-01,F,2026-01-01 00:00:00,icu,I10,1\n"
    )
    source = write(tmp_path, body, "bad.csv")
    with pytest.raises(WarehouseLoadError) as info:
        hook.load_csv(source, table, mode="merge", key="patient_id")
    err = info.value
    assert (err.line, err.column, err.source, err.table) == (5, "birth_date", source, table)
    assert f"COPY of {source} into {table} failed at line 5, column birth_date" in str(err)
    assert '"1990-02-30"' in str(err)
    assert snapshot(table) == before


def test_error_after_copy_rolls_back_replace_partition(make_table, snapshot, tmp_path):
    table = make_table("day date, id int, v text, PRIMARY KEY (day, id)")
    hook = WarehouseHook()
    seed = "day,id,v\n2026-01-01,1,a\n2026-01-01,2,b\n2026-01-02,1,c\n"
    hook.load_csv(write(tmp_path, seed, "seed.csv"), table, mode="append")
    before = snapshot(table)
    source = write(tmp_path, "day,id,v\n2026-01-01,1,A\n2026-01-03,2,B\n2026-01-03,3,C\n")
    with pytest.raises(WarehouseLoadError) as info:
        hook.load_csv(source, table, mode="replace_partition", partition={"day": "2026-01-01"})
    message = str(info.value)
    assert source in message and table in message
    assert "rows outside partition day='2026-01-01'" in message and "day=2026-01-03 (2 rows)" in message
    assert snapshot(table) == before


def test_source_failing_mid_stream_rolls_back(make_table, snapshot, tmp_path):
    table = make_table()
    WarehouseHook().load_csv(
        write(tmp_path, HEADER + "\n" + patients(2)), table, mode="merge", key="patient_id"
    )
    before = snapshot(table)

    class Broken(io.RawIOBase):
        name = "broken-stream.csv"
        calls = 0

        def readable(self):
            return True

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 1:
                raise ConnectionResetError("peer went away")
            return (HEADER + "\n" + patients(5, first=10)).encode()

    with pytest.raises(
        WarehouseLoadError, match=rf"reading broken-stream.csv for {table} failed: ConnectionReset"
    ):
        WarehouseHook().load_csv(Broken(), table, mode="append")
    assert snapshot(table) == before


def test_hostile_names_are_rejected_and_nothing_changes(make_table, snapshot, tmp_path, warehouse):
    table = make_table()
    source = write(tmp_path, MESSY)
    hook = WarehouseHook()
    with pytest.raises(InvalidIdentifierError):
        hook.load_csv(source, f"{table}; DROP TABLE {table}", mode="append")
    with pytest.raises(InvalidIdentifierError):
        hook.load_csv(source, table, mode="append", columns=["patient_id", "name); DROP TABLE x; --"])
    hostile_header = 'patient_id,"name); DROP TABLE x; --"\n1,a\n'
    with pytest.raises(WarehouseLoadError, match="header line cannot name columns") as info:
        hook.load_csv(write(tmp_path, hostile_header, "h.csv"), table, mode="append")
    assert info.value.line == 1
    assert snapshot(table) == []  # still exists, still empty


def test_unknown_table_column_and_non_tables(make_table, tmp_path, warehouse):
    table = make_table()
    hook = WarehouseHook()
    source = write(tmp_path, MESSY)
    with pytest.raises(WarehouseLoadError, match=r"table hooktest.nope does not exist"):
        hook.load_csv(source, "hooktest.nope", mode="append")
    with pytest.raises(WarehouseLoadError, match=rf"column 'ward_name' does not exist in table {table}"):
        hook.load_csv(source, table, mode="append", columns=["patient_id", "name", "ward_name"])
    renamed = write(tmp_path, MESSY.replace(",ward,", ",ward_name,"), "renamed.csv")
    with pytest.raises(
        WarehouseLoadError, match=rf"renamed.csv: column 'ward_name' does not exist in table {table}"
    ):
        hook.load_csv(renamed, table, mode="merge", key="patient_id")
    warehouse.execute(f"CREATE VIEW {table}_v AS SELECT * FROM {table}")
    with pytest.raises(WarehouseLoadError, match=r"_v is not a table"):
        hook.load_csv(source, f"{table}_v", mode="append")


def test_lock_timeout_is_a_clear_error(make_table, warehouse, tmp_path):
    table = make_table()
    with warehouse.transaction():
        warehouse.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")  # another writer's transaction
        with pytest.raises(WarehouseLoadError, match=rf"could not lock {table} within 0.2s"):
            WarehouseHook(lock_timeout=0.2).load_csv(write(tmp_path, MESSY), table, mode="append")


# ------------------------------------------------------------------------------------ CSV dialects


def test_header_order_decides_the_columns(make_table, snapshot, tmp_path):
    table = make_table()
    body = "name,patient_id,admitted_at\nAna,1,2026-01-01 00:00:00\n"
    WarehouseHook().load_csv(write(tmp_path, body), table, mode="append")
    assert rows(snapshot(table)) == [(1, "Ana", None, None, dt.datetime(2026, 1, 1), None, None, None)]


def test_header_match_and_headerless_files(make_table, snapshot, tmp_path):
    table = make_table()
    hook = WarehouseHook()
    cols = HEADER.split(",")
    no_header = MESSY.split("\r\n", 1)[1]
    # a BOM in a file without header would corrupt the first value: it is stripped from the stream
    headerless = write(tmp_path, "\ufeff" + no_header, "noheader.csv")
    result = hook.load_csv(headerless, table, mode="merge", key="patient_id", header=False)
    assert result.inserted == 3 and rows(snapshot(table)) == MESSY_ROWS

    shuffled = write(tmp_path, MESSY.replace("patient_id,name", "name,patient_id"), "shuffled.csv")
    with pytest.raises(WarehouseLoadError, match="line 1.*column name mismatch"):
        hook.load_csv(shuffled, table, mode="merge", key="patient_id", header="match", columns=cols)
    assert (
        hook.load_csv(
            write(tmp_path, MESSY), table, mode="merge", key="patient_id", header="match", columns=cols
        ).unchanged
        == 3
    )


def test_delimiter_null_and_encoding_options(make_table, snapshot, tmp_path):
    table = make_table("id int PRIMARY KEY, name text, note text")
    body = 'id;name;note\n1;Zoë;NULL\n2;"a;b";\n'
    source = write(tmp_path, body, encoding="latin-1")
    WarehouseHook().load_csv(source, table, mode="append", delimiter=";", null="NULL", encoding="latin1")
    assert rows(snapshot(table)) == [(1, "Zoë", None), (2, "a;b", "")]


def test_invalid_utf8_names_the_line(make_table, tmp_path):
    table = make_table("id int PRIMARY KEY, name text")
    source = write(tmp_path, b"id,name\n1,ok\n2,\xff\xfe\n")
    with pytest.raises(
        WarehouseLoadError, match=r"line 3.*invalid byte sequence for encoding \"UTF8\""
    ) as info:
        WarehouseHook().load_csv(source, table, mode="append")
    assert info.value.line == 3


# ------------------------------------------------------------------------------------ other modes


def test_replace_partition_replaces_only_that_partition(make_table, snapshot, tmp_path):
    table = make_table("day date, id int, v text, PRIMARY KEY (day, id)")
    hook = WarehouseHook()
    seed = "day,id,v\n2026-01-01,1,a\n2026-01-01,2,b\n2026-01-02,1,c\n"
    hook.load_csv(write(tmp_path, seed, "seed.csv"), table, mode="append")
    other = snapshot(table)[2]
    source = write(tmp_path, "day,id,v\n2026-01-01,1,A\n2026-01-01,3,C\n2026-01-01,4,D\n")
    result = hook.load_csv(source, table, mode="replace_partition", partition={"day": dt.date(2026, 1, 1)})
    assert (result.rows_read, result.deleted, result.inserted, result.updated) == (3, 2, 3, 0)
    after = snapshot(table)
    assert [r[1:] for r in after[:3]] == [
        (dt.date(2026, 1, 1), 1, "A"),
        (dt.date(2026, 1, 1), 3, "C"),
        (dt.date(2026, 1, 1), 4, "D"),
    ]
    assert after[3] == other  # the other partition was not touched


def test_replace_partition_fills_a_partition_column_missing_from_the_file(make_table, snapshot, tmp_path):
    table = make_table("day date NOT NULL, id int, v text, PRIMARY KEY (day, id)")
    hook = WarehouseHook()
    source = write(tmp_path, "id,v\n1,a\n2,b\n")
    result = hook.load_csv(source, table, mode="replace_partition", partition={"day": "2026-03-01"})
    assert (result.inserted, result.deleted) == (2, 0)
    result = hook.load_csv(source, table, mode="replace_partition", partition={"day": "2026-03-01"})
    assert (result.inserted, result.deleted) == (2, 2)
    assert rows(snapshot(table)) == [(dt.date(2026, 3, 1), 1, "a"), (dt.date(2026, 3, 1), 2, "b")]


def test_append_inserts_every_row_and_a_conflict_rolls_back(make_table, snapshot, tmp_path):
    table = make_table("id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL")
    hook = WarehouseHook()
    source = write(tmp_path, "name\nAna\nBen\n")
    assert hook.load_csv(source, table, mode="append").inserted == 2
    assert hook.load_csv(source, table, mode="append").inserted == 2
    assert [r[2] for r in snapshot(table)] == ["Ana", "Ben", "Ana", "Ben"]
    before = snapshot(table)
    with pytest.raises(
        WarehouseLoadError, match=r"b.csv into hooktest.t_\w+ failed at line 3: null value in column \"name\""
    ):
        hook.load_csv(write(tmp_path, "name\nCy\n\n", "b.csv"), table, mode="append", header=True)
    assert snapshot(table) == before


# ------------------------------------------------------------------------------------ S3


def test_s3_source_streams_through_s3hook(make_table, snapshot, tmp_path, s3_server):
    table = make_table()
    key = f"hooks/{uuid.uuid4().hex[:8]}/patients.csv"
    s3_server.put_object(Bucket="landing", Key=key, Body=MESSY.encode())
    result = WarehouseHook().load_csv(f"s3://landing/{key}", table, mode="merge", key="patient_id")
    assert result.inserted == 3 and result.source == f"s3://landing/{key}"
    assert rows(snapshot(table)) == MESSY_ROWS

    with pytest.raises(WarehouseLoadError, match=rf"reading s3://landing/{key}x for {table} failed"):
        WarehouseHook().load_csv(f"s3://landing/{key}x", table, mode="merge", key="patient_id")
