"""Staged values in the target's types: how an apply writes and compares a stage's columns.

A staging column whose type differs from the target column's (all-TEXT ``raw`` stages, or a
``source_table`` typed otherwise) is cast on apply, so a bad value fails the load naming the
column. Types without a btree equality (json, xml, point...) are compared as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from dataplatform.warehouse.catalog import Table
from dataplatform.warehouse.identifiers import column_list


@dataclass(frozen=True)
class Casts:
    """``target``'s column types, and ``staging_types`` (staging column -> its type)."""

    target: Table
    staging_types: Mapping[str, str]

    def value(self, column: str) -> sql.Composable:
        """Staged column ``s.column`` in the target's type (cast when the staging type differs)."""
        target_type = self.target.columns[column].type
        if self.staging_types[column] == target_type:
            return sql.Identifier("s", column)
        return sql.SQL("CAST({} AS {})").format(sql.Identifier("s", column), sql.SQL(target_type))

    def values(self, columns: Sequence[str]) -> sql.Composed:
        """The staged values of ``columns``, in the target's types."""
        return sql.SQL(", ").join(self.value(c) for c in columns)

    def literal(self, column: str, value: Any) -> sql.Composable:
        """A Python value as a constant of ``column``'s target type."""
        return sql.SQL("CAST({} AS {})").format(sql.Literal(value), sql.SQL(self.target.columns[column].type))

    def compared(self, prefix: str | None, columns: Sequence[str]) -> sql.Composed:
        """Columns for IS [NOT] DISTINCT FROM: ``prefix.column``, or the staged values (``prefix``
        None); types without a btree equality are compared as text.
        """
        exprs = (self.value(c) if prefix is None else sql.Identifier(prefix, c) for c in columns)
        return sql.SQL(", ").join(
            e if self.target.columns[c].comparable else sql.SQL("({})::text").format(e)
            for c, e in zip(columns, exprs, strict=True)
        )

    def insert(
        self,
        target: sql.Identifier,
        stage: sql.Identifier,
        columns: Sequence[str],
        also: Mapping[str, sql.Composable] | None = None,
        *,
        alias: str | None = None,
    ) -> sql.Composed:
        """``INSERT INTO target [AS alias] (columns, also...) SELECT <staged values>, <also values>
        FROM stage AS s``: ``also`` maps more target columns to SQL expressions (constants, stamps).
        """
        also = also or {}
        return sql.SQL("INSERT INTO {}{} ({}) SELECT {} FROM {} AS s").format(
            target,
            sql.SQL(" AS {}").format(sql.Identifier(alias)) if alias else sql.SQL(""),
            column_list([*columns, *also]),
            sql.SQL(", ").join([self.values(columns), *also.values()]),
            stage,
        )
