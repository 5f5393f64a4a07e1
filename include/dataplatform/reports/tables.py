"""A report table, declared once: its columns (type, label, display format), key and SQL.

From a :class:`ReportTable` come its DDL, the replace of one period's rows (``DELETE`` + ``INSERT
... SELECT`` in the caller's transaction), reading those rows back in order, the CSV extract and
the HTML table. Every report table is kept per period (``period_column``, the period's first day),
so re-running a period replaces its rows and never touches another period's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from psycopg import sql
from psycopg.rows import dict_row

from dataplatform.warehouse.identifiers import check_identifier, split_table_name, table_identifier

#: How a value is shown: ``money`` in the report currency, ``pct`` a share (0.25 -> 25.0 %),
#: ``change`` a relative change (+4.2 %), ``month`` a date as "Nov 2026", ``decimal`` an amount
#: without currency (1,234.50).
Format = Literal["text", "int", "decimal", "money", "pct", "change", "ratio", "month", "date", "bool"]


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report table."""

    name: str
    pg_type: str
    label: str
    format: Format = "text"

    def __post_init__(self) -> None:
        check_identifier(self.name, "report column")


@dataclass(frozen=True)
class ReportTable:
    """A warehouse table of a report, one period's rows computed by ``select``.

    ``select`` is SQL returning exactly ``columns`` (in order) for the period; it may use the
    placeholders ``{name}`` given to :meth:`replace` as identifiers (tables, columns) and the
    query parameters ``%(period)s`` and any others passed there.
    """

    name: str
    title: str
    columns: tuple[ReportColumn, ...]
    key: tuple[str, ...]
    select: str
    order_by: str
    description: str = ""
    period_column: str = "report_month"

    def __post_init__(self) -> None:
        split_table_name(self.name)
        names = [c.name for c in self.columns]
        if unknown := [k for k in self.key if k not in names]:
            raise ValueError(f"report table {self.name}: key column(s) {unknown} not in {names}")
        if self.period_column in names:
            raise ValueError(f"report table {self.name}: {self.period_column!r} is added by the table itself")

    @property
    def short_name(self) -> str:
        """The table name without schema (names the CSV extract)."""
        return split_table_name(self.name)[1]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> sql.Composed:
        """``CREATE TABLE IF NOT EXISTS`` with the period column first and the key after it."""
        cols = [sql.SQL("{} date NOT NULL").format(sql.Identifier(self.period_column))]
        cols += [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in self.columns]
        key = [self.period_column, *self.key]
        cols.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(map(sql.Identifier, key))))
        return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}); COMMENT ON TABLE {} IS {}").format(
            table_identifier(self.name),
            sql.SQL(", ").join(cols),
            table_identifier(self.name),
            sql.Literal(f"{self.title}: {self.description}".rstrip(": ") + " (one period per report run)"),
        )

    def replace(
        self,
        conn: Any,
        period: dt.date,
        identifiers: Mapping[str, sql.Composable],
        params: Mapping[str, Any],
    ) -> int:
        """Replace ``period``'s rows with what ``select`` returns; return the row count."""
        table = table_identifier(self.name)
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = %s").format(table, sql.Identifier(self.period_column)),
            (period,),
        )
        insert = sql.SQL("INSERT INTO {} ({}, {}) SELECT %(period)s, q.* FROM ({}) AS q").format(
            table,
            sql.Identifier(self.period_column),
            sql.SQL(", ").join(map(sql.Identifier, self.column_names)),
            sql.SQL(self.select).format(**identifiers),
        )
        return conn.execute(insert, {**params, "period": period}).rowcount

    def rows(self, conn: Any, period: dt.date) -> list[dict[str, Any]]:
        """``period``'s rows, in the table's order."""
        stmt = sql.SQL("SELECT {} FROM {} WHERE {} = %s ORDER BY {}").format(
            sql.SQL(", ").join(map(sql.Identifier, self.column_names)),
            table_identifier(self.name),
            sql.Identifier(self.period_column),
            sql.SQL(self.order_by),
        )
        return conn.cursor(row_factory=dict_row).execute(stmt, (period,)).fetchall()

    def csv_text(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """The rows as CSV (header = column names; decimals as written, dates ISO, empty = NULL)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.column_names)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in self.column_names])
        return out.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
