"""The merge apply's SQL: staged rows upserted on a key, only new and changed rows written.

Into a target that has rows, one statement::

    WITH m AS (INSERT INTO target AS t (columns, stamps) SELECT <staged>, <stamps> FROM stage AS s
               ON CONFLICT (key) DO UPDATE SET <data> = EXCLUDED.<data>, <stamps> = EXCLUDED.<stamps>
                  WHERE (t.<data>) IS DISTINCT FROM (EXCLUDED.<data>)
               RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m

New keys are inserted, changed rows updated, identical rows left alone: a re-run rewrites nothing
(row ``xmin`` values stay the same). Counts are aggregated in SQL, never fetched. ``stamp``
columns (e.g. ``loaded_at = now()``, ``loaded_by_run``) are written with every inserted or updated
row but are not compared, so a row keeps the stamp of the load that last changed it. A key repeated
within the staged rows fails the statement (``CardinalityViolation``); :func:`repeated_keys` names
them.

Two shortcuts give the same result with less work (1M rows of ``bench/patient_etl.py``'s table):

* An empty target (checked under the load's lock, so it stays empty) gets one plain
  ``INSERT ... SELECT``: 1.9 s instead of 4.2 s for ``ON CONFLICT``, which probes the key index
  and speculatively inserts row by row. A repeated key then fails on the unique index.
* When a sample of the staged rows (:func:`mostly_unchanged`) is mostly identical to the target --
  a re-run -- those rows are dropped first with one hash anti-join (:func:`identical_in_target`)
  instead of letting ``ON CONFLICT`` probe and lock each of them: 2.9 s -> 1.2-1.6 s per 1M
  unchanged rows, 1.0 s with ``work_mem=64MB``; slower when most rows are new or changed, hence
  the sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import psycopg
from psycopg import sql

from dataplatform.warehouse.casts import Casts
from dataplatform.warehouse.identifiers import column_list

#: The prefilter is used when a sample of this many staged rows (stages of at least
#: PREFILTER_MIN_ROWS rows) is at least PREFILTER_SHARE identical to the target.
PREFILTER_SAMPLE = 2000
PREFILTER_MIN_ROWS = 20_000
PREFILTER_SHARE = 0.8


def upsert(
    target: sql.Identifier,
    stage: sql.Identifier,
    columns: Sequence[str],
    keys: Sequence[str],
    casts: Casts,
    *,
    stamp: Mapping[str, sql.Composable],
    prefilter: bool,
) -> sql.Composed:
    """The ``INSERT ... ON CONFLICT`` statement; returns one row ``(inserted, updated)``."""
    data = [c for c in columns if c not in keys]
    if data:
        conflict = sql.SQL("DO UPDATE SET {assign} WHERE ({old}) IS DISTINCT FROM ({new})").format(
            assign=sql.SQL(", ").join(
                sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
                for c in [*data, *stamp]
            ),
            old=casts.compared("t", data),
            new=casts.compared("excluded", data),
        )
    else:  # every loaded column is part of the key: nothing to update
        conflict = sql.SQL("DO NOTHING")
    skip = (
        sql.SQL("WHERE NOT {}").format(identical_in_target(target, keys, data, casts))
        if prefilter and data
        else sql.SQL("")
    )
    return sql.SQL(
        "WITH m AS ({insert} {skip} ON CONFLICT ({keys}) {conflict} RETURNING (t.xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m"
    ).format(
        insert=casts.insert(target, stage, columns, stamp, alias="t"),
        skip=skip,
        keys=column_list(keys),
        conflict=conflict,
    )


def identical_in_target(
    target: sql.Identifier, keys: Sequence[str], data: Sequence[str], casts: Casts
) -> sql.Composed:
    """``EXISTS`` a target row ``o`` with the staged row ``s``'s key and the same data."""
    return sql.SQL("EXISTS (SELECT FROM {} AS o WHERE {} AND ({}) IS NOT DISTINCT FROM ({}))").format(
        target,
        sql.SQL(" AND ").join(
            sql.SQL("{} = {}").format(sql.Identifier("o", k), casts.value(k)) for k in keys
        ),
        casts.compared("o", data),
        casts.compared(None, data),
    )


def mostly_unchanged(
    conn: psycopg.Connection,
    target: sql.Identifier,
    stage: sql.Identifier,
    keys: Sequence[str],
    data: Sequence[str],
    casts: Casts,
    staged: int,
) -> bool:
    """Sample the stage: are most staged rows already in the target, identical?"""
    if not data or staged < PREFILTER_MIN_ROWS:
        return False
    percent = min(100.0, 100.0 * 4 * PREFILTER_SAMPLE / staged)
    stmt = sql.SQL(
        "WITH sample AS MATERIALIZED (SELECT * FROM {stage} TABLESAMPLE SYSTEM ({pct}) LIMIT {n}) "
        "SELECT count(*), count(*) FILTER (WHERE {identical}) FROM sample AS s"
    ).format(
        stage=stage,
        pct=sql.Literal(percent),
        n=sql.Literal(PREFILTER_SAMPLE),
        identical=identical_in_target(target, keys, data, casts),
    )
    row = conn.execute(stmt).fetchone()
    sampled, identical = (int(row[0]), int(row[1])) if row else (0, 0)
    return sampled >= PREFILTER_SAMPLE // 4 and identical >= PREFILTER_SHARE * sampled


def repeated_keys(
    conn: psycopg.Connection, stage: sql.Identifier, keys: Sequence[str]
) -> list[tuple[str, int]]:
    """Up to 5 keys repeated in the stage, most repeated first: ``[("id=7", 3), ...]``."""
    stmt = sql.SQL(
        "SELECT {shown}, count(*) FROM {stage} GROUP BY {keys} HAVING count(*) > 1 "
        "ORDER BY count(*) DESC, 1 LIMIT 5"
    ).format(
        shown=sql.SQL(" || ', ' || ").join(
            sql.SQL("{} || '=' || coalesce({}::text, 'NULL')").format(sql.Literal(k), sql.Identifier(k))
            for k in keys
        ),
        stage=stage,
        keys=column_list(keys),
    )
    return [(str(shown), int(n)) for shown, n in conn.execute(stmt).fetchall()]
