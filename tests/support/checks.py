"""Run a contract's row checks in DuckDB on rows given in Python (no file, no warehouse)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dataplatform.loading.contract import SourceContract
from dataplatform.loading.engine import DuckSession
from dataplatform.loading.period import Period
from dataplatform.loading.rules import References
from dataplatform.loading.sqltext import literal
from dataplatform.loading.validation_sql import Params, checked_rows, output_columns


def check_rows(
    contract: SourceContract,
    rows: Sequence[Sequence[str]],
    *,
    run_date: dt.date,
    period: Period | None = None,
    references: dict[str, Iterable[Any]] | None = None,
    slow: bool = False,
) -> list[dict[str, Any]]:
    """``[{column: value, "reason": ...}]`` for each row (fields as text). ``slow`` makes every row
    miss the whole-line pattern, so the per-field checks decide. ``references``: column -> keys
    that exist, for the contract's :class:`References` rules."""
    width = len(contract.columns)
    values = []
    for i, fields in enumerate(rows, start=2):
        padded = list(fields[:width]) + [None] * (width - len(fields))
        raw = ",".join(fields) + ('"' if slow else "")
        values.append(
            "(" + ", ".join([str(i), literal(raw), "NULL", str(len(fields)), *map(literal, padded)]) + ")"
        )
    cols = ", ".join(["line_no", "raw", "problem", "nfields", *(f"c{i + 1}" for i in range(width))])
    records = f"SELECT * FROM (VALUES {', '.join(values)}) AS r({cols})"
    with tempfile.TemporaryDirectory() as tmp, DuckSession(Path(tmp)) as duck:
        tables = {}
        for n, rule in enumerate(r for r in contract.rules if isinstance(r, References)):
            keys = list((references or {}).get(rule.column, []))
            duck.execute(f"CREATE TABLE ref_{n} (k {contract.column(rule.column).type.duck_type})")
            if keys:
                duck.execute(f"INSERT INTO ref_{n} VALUES {', '.join(f'({literal(k)})' for k in keys)}")
            tables[rule] = f"ref_{n}"
        params = Params(run_date, period or Period.containing(contract.period, run_date), tables)
        out = duck.execute(checked_rows(contract, records, params) + " ORDER BY line_no")
    names = output_columns(contract)
    return [dict(zip(names, row, strict=True)) for row in out]


def reasons(contract: SourceContract, rows: Sequence[Sequence[str]], **kwargs: Any) -> list[str | None]:
    """The reason of each row (None: good), the same on the fast and the slow path (or an error)."""
    fast = [r["reason"] for r in check_rows(contract, rows, **kwargs)]
    slow = [r["reason"] for r in check_rows(contract, rows, slow=True, **kwargs)]
    assert fast == slow, f"fast path {fast} != slow path {slow}"
    return fast


def replaced(row: Sequence[str], index: int, value: str) -> list[str]:
    """``row`` with field ``index`` set to ``value``."""
    out = list(row)
    out[index] = value
    return out
