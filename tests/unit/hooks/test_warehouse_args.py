"""WarehouseHook argument checks and LoadResult: all refused before a connection is even opened."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest

from dataplatform.hooks.identifiers import InvalidIdentifierError
from dataplatform.hooks.warehouse import LoadResult, WarehouseHook, WarehouseLoadError
from dataplatform.warehouse.errors import diag as _diag


@pytest.fixture
def hook(monkeypatch):
    """A hook whose connection must never be opened."""
    h = WarehouseHook()

    def no_connection():
        raise AssertionError("a connection was opened")

    monkeypatch.setattr(h, "get_conn", no_connection)
    return h


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"id,name\n1,a\n")
    return str(path)


def test_defaults():
    h = WarehouseHook()
    assert h.postgres_conn_id == "warehouse_db" and h.aws_conn_id == "aws_default"
    assert WarehouseHook("other").postgres_conn_id == "other"
    assert WarehouseHook(postgres_conn_id="x", aws_conn_id="y").aws_conn_id == "y"
    with pytest.raises(ValueError, match="work_mem"):
        WarehouseHook(work_mem="lots")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "upsert"}, "mode must be one of merge, replace_partition, append"),
        ({"mode": "merge"}, "needs key="),
        ({"mode": "append", "key": "id"}, "key= is only used with mode='merge'"),
        ({"mode": "merge", "key": "id", "partition": {"d": 1}}, "partition= is only used"),
        ({"mode": "replace_partition"}, "needs partition="),
        ({"mode": "replace_partition", "partition": {}}, "needs partition="),
        ({"mode": "replace_partition", "partition": [("d", 1)]}, "must be a non-empty mapping"),
        ({"mode": "append", "header": "yes"}, "header must be True, False or 'match'"),
        ({"mode": "append", "delimiter": ";;"}, "delimiter must be one single-byte character"),
        ({"mode": "append", "delimiter": "é"}, "delimiter must be one single-byte character"),
        ({"mode": "append", "delimiter": '"'}, "delimiter and quote must differ"),
        ({"mode": "append", "null": "a\nb"}, "null must be a string without newlines"),
        ({"mode": "append", "encoding": "utf8'; DROP TABLE x; --"}, "encoding must be an encoding name"),
    ],
)
def test_bad_arguments_are_value_errors(hook, csv_file, kwargs, message):
    with pytest.raises(ValueError, match=message):
        hook.load_csv(csv_file, "patients", **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"table": "patients; DROP TABLE x"},
        {"table": '"quoted"'},
        {"table": "a" * 64},
        {"table": ""},
        {"table": "public.patients.extra"},
        {"columns": ["id", "name); DROP TABLE x; --"]},
        {"columns": ["id", ""]},
        {"key": "id OR 1=1", "mode": "merge"},
        {"key": ["id", '"name"'], "mode": "merge"},
        {"partition": {"d; DELETE FROM x": 1}, "mode": "replace_partition"},
    ],
)
def test_hostile_identifiers_are_refused_before_connecting(hook, csv_file, kwargs):
    args = {"table": "patients", "mode": "append", **kwargs}
    table = args.pop("table")
    with pytest.raises(InvalidIdentifierError):
        hook.load_csv(csv_file, table, **args)


def test_staged_refuses_hostile_names_before_connecting(hook):
    with pytest.raises(InvalidIdentifierError), hook.staged("x; DROP TABLE y"):
        pass
    with pytest.raises(InvalidIdentifierError), hook.staged("patients", columns=["a b"]):
        pass
    with pytest.raises(InvalidIdentifierError), hook.staged("patients", extra_columns={"line no": "bigint"}):
        pass
    with (
        pytest.raises(ValueError, match="type of staging column"),
        hook.staged("patients", extra_columns={"line_no": "bigint; DROP TABLE x"}),
    ):
        pass


def test_missing_local_file_fails_before_connecting(hook, tmp_path):
    with pytest.raises(WarehouseLoadError, match=r"nope\.csv: no such file \(loading patients\)") as info:
        hook.load_csv(str(tmp_path / "nope.csv"), "patients", mode="append")
    assert info.value.source.endswith("nope.csv") and info.value.table == "patients"


def test_load_result_is_frozen_and_serialisable():
    r = LoadResult(
        table="public.p", mode="merge", rows_read=5, inserted=2, updated=1, unchanged=2, seconds=0.5
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.inserted = 3  # type: ignore[misc]
    d = r.as_dict()
    assert d == {
        "table": "public.p",
        "mode": "merge",
        "rows_read": 5,
        "inserted": 2,
        "updated": 1,
        "unchanged": 2,
        "deleted": 0,
        "rejected": 0,
        "seconds": 0.5,
        "source": None,
    }
    assert json.loads(json.dumps(d)) == d


def fake_error(context, primary="bad value", detail=None):
    return SimpleNamespace(
        diag=SimpleNamespace(message_primary=primary, message_detail=detail, context=context)
    )


def test_copy_error_line_and_column_come_from_the_context():
    primary, _, line, column = _diag(fake_error('COPY stage_p, line 5, column born: "2001-13-03"'))
    assert (primary, line, column) == ("bad value", 5, "born")
    assert _diag(fake_error("COPY p, line 12"))[2:] == (12, None)
    assert _diag(fake_error("SQL statement ...", detail="Key (id)=(1)"))[0] == "bad value (Key (id)=(1))"
    assert _diag(fake_error(None))[2:] == (None, None)


def test_source_table_is_checked_before_connecting(hook):
    with (
        pytest.raises(InvalidIdentifierError),
        hook.staged("patients", source_table="staging.x; DROP TABLE y"),
    ):
        pass
    with (
        pytest.raises(ValueError, match="source_table= reads an existing table"),
        hook.staged("patients", source_table="staging.p", raw=True),
    ):
        pass
    with (
        pytest.raises(ValueError, match="source_table= reads an existing table"),
        hook.staged("patients", source_table="staging.p", extra_columns={"line_no": "bigint"}),
    ):
        pass
