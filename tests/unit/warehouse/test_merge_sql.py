"""The merge statement's shape: stamps are written but never compared; no connection needed."""

from __future__ import annotations

import pytest
from psycopg import sql

from dataplatform.warehouse import merge
from dataplatform.warehouse.arguments import stamp_spec
from dataplatform.warehouse.casts import Casts
from dataplatform.warehouse.catalog import Column, Table
from dataplatform.warehouse.identifiers import InvalidIdentifierError

TARGET = Table(
    name="public.p",
    ident=sql.Identifier("public", "p"),
    oid=1,
    columns={
        "id": Column("id", "bigint", True),
        "name": Column("name", "text", True),
        "doc": Column("doc", "json", False),
        "loaded_at": Column("loaded_at", "timestamp with time zone", True),
        "loaded_by": Column("loaded_by", "text", True),
    },
    unique_keys=(frozenset({"id"}),),
)
STAGE = sql.Identifier("staging", "p_final")


def render(stmt: sql.Composable) -> str:
    return stmt.as_string()


def test_stamps_are_assigned_but_not_compared():
    casts = Casts(TARGET, {"id": "integer", "name": "text", "doc": "json"})
    stamps = {"loaded_at": sql.SQL("now()"), "loaded_by": casts.literal("loaded_by", "run 1")}
    text = render(
        merge.upsert(
            TARGET.ident, STAGE, ("id", "name", "doc"), ("id",), casts, stamp=stamps, prefilter=False
        )
    )
    assert (
        'INSERT INTO "public"."p" AS "t" ("id", "name", "doc", "loaded_at", "loaded_by") '
        'SELECT CAST("s"."id" AS bigint), "s"."name", "s"."doc", now(), CAST(\'run 1\' AS text) '
        'FROM "staging"."p_final" AS s  ON CONFLICT ("id") DO UPDATE SET '
        '"name" = EXCLUDED."name", "doc" = EXCLUDED."doc", "loaded_at" = EXCLUDED."loaded_at", '
        '"loaded_by" = EXCLUDED."loaded_by" '
        'WHERE ("t"."name", ("t"."doc")::text) IS DISTINCT FROM ("excluded"."name", ("excluded"."doc")::text)'
    ) in text
    assert "loaded_at" not in text.split("WHERE", 1)[1]


def test_prefilter_compares_data_only_and_key_only_merges_do_nothing():
    casts = Casts(TARGET, {"id": "bigint", "name": "text"})
    text = render(merge.upsert(TARGET.ident, STAGE, ("id", "name"), ("id",), casts, stamp={}, prefilter=True))
    assert (
        'WHERE NOT EXISTS (SELECT FROM "public"."p" AS o WHERE "o"."id" = "s"."id" '
        'AND ("o"."name") IS NOT DISTINCT FROM ("s"."name"))'
    ) in text
    key_only = render(merge.upsert(TARGET.ident, STAGE, ("id",), ("id",), casts, stamp={}, prefilter=True))
    assert "DO NOTHING" in key_only and "NOT EXISTS" not in key_only


def test_plain_insert_with_constants():
    casts = Casts(TARGET, {"id": "bigint", "name": "text"})
    text = render(casts.insert(TARGET.ident, STAGE, ("id", "name"), {"loaded_at": sql.SQL("now()")}))
    assert text == (
        'INSERT INTO "public"."p" ("id", "name", "loaded_at") SELECT "s"."id", "s"."name", now() '
        'FROM "staging"."p_final" AS s'
    )


@pytest.mark.parametrize(
    ("stamp", "error"),
    [
        ({}, ValueError),
        ([("loaded_at", 1)], ValueError),
        ("loaded_at", ValueError),
        ({"loaded at": 1}, InvalidIdentifierError),
        ({'x"; DROP TABLE p; --': 1}, InvalidIdentifierError),
    ],
)
def test_bad_stamp_arguments(stamp, error):
    with pytest.raises(error):
        stamp_spec(stamp)


def test_stamp_spec_accepts_values_and_sql():
    assert stamp_spec(None) == {}
    assert stamp_spec({"loaded_by": "r", "loaded_at": sql.SQL("now()")}) == {
        "loaded_by": "r",
        "loaded_at": sql.SQL("now()"),
    }
