"""WarehouseHook without a database: defaults, session settings, names checked before connecting,
errors classified as transient or not."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import psycopg
import pytest

from dataplatform.hooks.warehouse import LoadResult, WarehouseHook, WarehouseLoadError
from dataplatform.warehouse.errors import diag, is_transient
from dataplatform.warehouse.identifiers import InvalidIdentifierError
from dataplatform.warehouse.settings import SessionSettings, timeout_setting


@pytest.fixture
def hook(monkeypatch):
    """A hook whose connection must never be opened."""
    h = WarehouseHook()

    def no_connection():
        raise AssertionError("a connection was opened")

    monkeypatch.setattr(h, "get_conn", no_connection)
    return h


def test_defaults_and_settings():
    h = WarehouseHook()
    assert h.postgres_conn_id == "warehouse_db"
    assert h.settings == SessionSettings(lock_timeout=300.0, statement_timeout=None, work_mem="64MB")
    assert WarehouseHook(postgres_conn_id="other", statement_timeout=30).settings.statement_timeout == 30
    assert (timeout_setting(None), timeout_setting(1.5), timeout_setting(0.0001)) == ("0", "1500ms", "1ms")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"work_mem": "lots"}, "work_mem must look like '64MB'"),
        ({"work_mem": "64MB; SET x"}, "work_mem must look like '64MB'"),
        ({"lock_timeout": 0}, "lock_timeout must be a positive number"),
        ({"statement_timeout": -1}, "statement_timeout must be a positive number"),
        ({"lock_timeout": True}, "lock_timeout must be a positive number"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WarehouseHook(**kwargs)


@pytest.mark.parametrize(
    ("target", "source"),
    [
        ("patients; DROP TABLE x", "staging.p"),
        ("public.patients", "staging.x; DROP TABLE y"),
        ("a.b.c", "staging.p"),
        ("public.patients", 'staging."p"'),
    ],
)
def test_hostile_names_are_refused_before_connecting(hook, target, source):
    with pytest.raises(InvalidIdentifierError), hook.load_into(target, source_table=source):
        pass


def test_hostile_columns_are_refused_before_connecting(hook):
    with (
        pytest.raises(InvalidIdentifierError),
        hook.load_into("public.p", source_table="staging.p", columns=["id", "x y"]),
    ):
        pass


def test_load_result_is_frozen_and_serialisable():
    r = LoadResult(table="public.p", mode="merge", rows=5, inserted=2, updated=1, unchanged=2, seconds=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.inserted = 3  # type: ignore[misc]
    d = r.as_dict()
    assert d == {
        "table": "public.p",
        "mode": "merge",
        "rows": 5,
        "inserted": 2,
        "updated": 1,
        "unchanged": 2,
        "deleted": 0,
        "seconds": 0.5,
        "source": None,
    }
    assert json.loads(json.dumps(d)) == d


def fake_error(context, primary="bad value", detail=None):
    return SimpleNamespace(
        diag=SimpleNamespace(message_primary=primary, message_detail=detail, context=context)
    )


def test_copy_error_line_and_column_come_from_the_context():
    primary, _, line, column = diag(fake_error('COPY stage_p, line 5, column born: "2001-13-03"'))
    assert (primary, line, column) == ("bad value", 5, "born")
    assert diag(fake_error("COPY p, line 12"))[2:] == (12, None)
    assert diag(fake_error("SQL statement ...", detail="Key (id)=(1)"))[0] == "bad value (Key (id)=(1))"
    assert diag(fake_error(None))[2:] == (None, None)


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("55P03", True),  # lock_not_available: lock_timeout
        ("57014", True),  # query_canceled: statement_timeout
        ("40001", True),  # serialization_failure
        ("40P01", True),  # deadlock_detected
        ("08006", True),  # connection_failure
        ("57P01", True),  # admin_shutdown
        ("53100", True),  # disk_full
        ("23505", False),  # unique_violation: the same on every retry
        ("22P02", False),  # invalid_text_representation
        ("42P01", False),  # undefined_table
        (None, False),
    ],
)
def test_only_what_a_retry_can_fix_is_transient(sqlstate, transient):
    assert WarehouseLoadError("x", sqlstate=sqlstate).transient is transient
    assert is_transient(WarehouseLoadError("x", sqlstate=sqlstate)) is transient


def test_a_lost_connection_is_transient_a_bad_value_is_not():
    assert is_transient(psycopg.OperationalError("connection refused"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(ValueError("bad"))
