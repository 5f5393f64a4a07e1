"""Identifier validation: only plain names pass; everything else is refused before any SQL exists."""

from __future__ import annotations

import pytest
from psycopg import sql

from dataplatform.warehouse.identifiers import (
    MAX_IDENTIFIER_LENGTH,
    InvalidIdentifierError,
    check_columns,
    check_identifier,
    column_list,
    split_table_name,
    table_identifier,
)

HOSTILE = [
    "patients; DROP TABLE x",
    '"quoted"',
    'pat"ients',
    "pat'ients",
    "patients--",
    "patients /* c */",
    "pat ients",
    " patients",
    "patients\n",
    "1patients",
    "$patients",
    "pätients",  # non-ASCII letters are valid in Postgres but not here: keep names boring
    "",
    "a" * (MAX_IDENTIFIER_LENGTH + 1),
]


@pytest.mark.parametrize("name", ["patients", "_p", "Patients_2", "x$y", "a" * MAX_IDENTIFIER_LENGTH])
def test_plain_identifiers_pass(name):
    assert check_identifier(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_are_refused(name):
    with pytest.raises(InvalidIdentifierError):
        check_identifier(name, "column")


@pytest.mark.parametrize("name", [None, 3, b"patients", ["patients"]])
def test_non_strings_are_refused(name):
    with pytest.raises(InvalidIdentifierError, match="must be a string"):
        check_identifier(name)


def test_messages_say_what_is_wrong():
    with pytest.raises(InvalidIdentifierError, match="column name is empty"):
        check_identifier("", "column")
    with pytest.raises(InvalidIdentifierError, match="64 characters long.*at most 63"):
        check_identifier("a" * 64, "table")
    with pytest.raises(InvalidIdentifierError, match=r"table name 'patients; DROP TABLE x' is not a plain"):
        check_identifier("patients; DROP TABLE x", "table")


def test_table_names_with_and_without_schema():
    assert split_table_name("patients") == (None, "patients")
    assert split_table_name("public.patients") == ("public", "patients")
    assert table_identifier("public.patients") == sql.Identifier("public", "patients")
    assert table_identifier("patients") == sql.Identifier("patients")


@pytest.mark.parametrize(
    "name",
    ["a.b.c", ".patients", "public.", "public.patients; DROP TABLE x", 'public."x"', "public .p", "", "."],
)
def test_hostile_table_names_are_refused(name):
    with pytest.raises(InvalidIdentifierError):
        table_identifier(name)


def test_column_lists():
    assert check_columns(["a", "b"]) == ("a", "b")
    assert column_list(["a", "b"]) == sql.SQL(", ").join([sql.Identifier("a"), sql.Identifier("b")])
    with pytest.raises(InvalidIdentifierError, match="listed twice"):
        check_columns(["a", "a"])
    with pytest.raises(InvalidIdentifierError, match="at least one"):
        check_columns([])
    with pytest.raises(InvalidIdentifierError, match="not the string"):
        check_columns("a,b")
    with pytest.raises(InvalidIdentifierError, match="not a plain identifier"):
        check_columns(["a", "b); DROP TABLE x; --"])


def test_quoting_keeps_names_inert():
    # Defence in depth: even a name that got past validation is quoted, never spliced.
    assert sql.Identifier('x"; DROP TABLE y; --').as_string(None) == '"x""; DROP TABLE y; --"'
