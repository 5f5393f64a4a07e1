"""A contract as DuckDB SQL: split records into fields, type them, check them, name the reason.

The engine runs two kinds of records through the same checks:

* plain lines (no quote character: about 99 % of a typical file), read by DuckDB itself as whole
  physical lines (``WITH ORDINALITY`` numbers them exactly) and split on commas;
* quoted records, parsed by Python's ``csv`` (:mod:`dataplatform.loading.csv_scan`) and handed over
  as a small CSV file.

:func:`checked_rows` renders the ``SELECT`` giving one output row per record: the key columns, then
``line_no``, ``reason`` (NULL for a good row), ``raw_line`` (the exact text, only for a rejected
row), then the other columns -- values typed and normalised, NULL for a rejected row. Checks run in order -- the
structure (field count), then each column (NUL byte, empty, format, range), then the contract's
rules -- and the first failing one is the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from dataplatform.loading.columns import Column
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.csv_scan import WRONG_FIELD_COUNT
from dataplatform.loading.period import Period
from dataplatform.loading.rules import References
from dataplatform.loading.sqltext import literal, quoted

#: Physical lines longer than this are a fatal error. DuckDB's read buffer (BUFFER_BYTES) must hold
#: several lines: 8 MiB keeps its memory within ~30 MB at 2 MiB lines.
MAX_LINE_BYTES = 2 << 20
BUFFER_BYTES = 8 << 20
NUL_REASON = "{} contains a NUL byte (0x00), which PostgreSQL text cannot store"
#: The "reason" of a blank line: not a record, never quarantined.
BLANK_LINE = "(blank line)"


@dataclass
class Params:
    """The run's values the rules refer to, as SQL literals."""

    run_date: dt.date
    period: Period
    references: dict[References, str] = field(default_factory=dict)  # rule -> DuckDB table of its keys


def lines_scan(path: Path, delimiter: str) -> str:
    """Every physical line of ``path`` with its number (blank lines are NULL)."""
    return (
        f"SELECT ordinality AS line_no, line FROM read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, "
        f"header=false, auto_detect=false, delim={literal(delimiter)}, quote='', escape='', "
        f"strict_mode=false, max_line_size={MAX_LINE_BYTES}, buffer_size={BUFFER_BYTES}) WITH ORDINALITY"
    )


def plain_records(contract: SourceContract, path: Path, delimiter: str) -> str:
    """Records of the lines with no quote: ``line_no, raw, problem, nfields, c1..cn``. A blank line
    comes out too, with problem :data:`BLANK_LINE` (dropped later, counted to check the line scan)."""
    width = len(contract.columns)
    fields = ", ".join(f"f[{i + 1}] AS c{i + 1}" for i in range(width))
    return (
        f"SELECT line_no, line AS raw, CASE WHEN line IS NULL THEN {literal(BLANK_LINE)} END AS problem, "
        f"len(f) AS nfields, {fields} "
        f"FROM (SELECT line_no, line, string_split(line, ',') AS f FROM ({lines_scan(path, delimiter)}) "
        "WHERE line_no > 1 AND (line IS NULL OR NOT contains(line, '\"')))"
    )


def quoted_records_scan(contract: SourceContract, path: Path) -> str:
    """Records written by :func:`dataplatform.loading.engine.write_quoted` (same columns)."""
    width = len(contract.columns)
    cols = {"line_no": "BIGINT", "raw": "VARCHAR", "problem": "VARCHAR", "nfields": "BIGINT"}
    cols.update({f"c{i + 1}": "VARCHAR" for i in range(width)})
    spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in cols.items()) + "}"
    return (
        f"SELECT * FROM read_csv({literal(str(path))}, columns={spec}, header=false, auto_detect=false, "
        "delim=',', quote='\"', escape='\"', allow_quoted_nulls=false, parallel=false, "
        f"max_line_size={MAX_LINE_BYTES * 2}, buffer_size={BUFFER_BYTES * 2})"
    )


class _Context:
    """:class:`~dataplatform.loading.rules.RuleContext` over the ``typed`` relation."""

    def __init__(self, params: Params) -> None:
        self.run_date = literal(params.run_date)
        self.period_start = literal(params.period.start)
        self.period_end = literal(params.period.end)
        self._references = params.references

    def value(self, column: str) -> str:
        return quoted(f"t_{column}")

    def reference(self, rule: References) -> str:
        return quoted(f"ref_{rule.column}")  # true when the referenced table has the value


BLANK = literal(" " + chr(9))


def _empty(column: Column) -> str:
    """True for an empty field: "" -- or blanks only, for typed and required columns."""
    v = quoted(f"v_{column.name}")
    if column.type.shape() is not None:
        return f"(coalesce({v}, '') = '' OR (NOT {quoted('ok_' + column.name)} AND trim({v}, {BLANK}) = ''))"
    if column.required:  # blank text is no name: only a field starting with a blank can be all blanks
        return f"(coalesce({v}, '') = '' OR ((starts_with({v}, ' ') OR starts_with({v}, chr(9))) AND trim({v}, {BLANK}) = ''))"
    return f"(coalesce({v}, '') = '')"


def line_pattern(contract: SourceContract) -> str:
    """One RE2 pattern of a whole plain line that every field's fast pattern must match."""
    return ",".join(c.type.fast_pattern(c.required) for c in contract.columns)


def _column_checks(column: Column) -> list[tuple[str, str]]:
    v, t, ok = (quoted(f"{p}_{column.name}") for p in ("v", "t", "ok"))
    empty = _empty(column)
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((empty, f"{column.name} is empty"))
    for cond, reason in column.type.checks(column.name, v, t, ok, "line_ok"):
        checks.append((f"NOT {empty} AND ({cond})", reason))
    return checks


def checked_rows(contract: SourceContract, records: str, params: Params) -> str:
    """The output rows (see the module docstring) of the records relation ``records``."""
    ctx = _Context(params)
    width = len(contract.columns)
    cols = ", ".join(f"c{i + 1}" for i in range(width))
    texts = []
    shapes = []
    typed = []
    for i, c in enumerate(contract.columns):
        field = f"c{i + 1}"
        texts.append(f"{c.normalise}({field})" if c.normalise else field)
        v = quoted(f"v_{c.name}")
        shape = c.type.shape()
        if shape is not None:
            pattern = literal(rf"[ \t]*(?:{shape})[ \t]*")
            # CASE, not OR: DuckDB evaluates both sides of an OR in a projection, a CASE branch only where needed
            shapes.append(
                f"CASE WHEN line_ok THEN true ELSE regexp_full_match({v}, {pattern}) END AS {quoted('ok_' + c.name)}"
            )
            typed.append(
                f"CASE WHEN {quoted('ok_' + c.name)} THEN {c.type.typed(v)} END AS {quoted('t_' + c.name)}"
            )
        else:
            typed.append(f"CASE WHEN {v} <> '' THEN {c.type.typed(v)} END AS {quoted('t_' + c.name)}")
    texts_sql = ", ".join(
        f"{e} AS {quoted('v_' + c.name)}" for e, c in zip(texts, contract.columns, strict=True)
    )
    # IN (subquery), not a join: DuckDB then builds on the (small) referenced keys and streams the
    # records in file order; a LEFT JOIN let it build on the records (out of order, spilling)
    refs = "".join(
        f", {quoted('t_' + r.column)} IN (SELECT k FROM {quoted(table)}) AS {quoted('ref_' + r.column)}"
        for r, table in params.references.items()
    )
    nul = " ".join(
        f"WHEN contains(c{i + 1}, chr(0)) THEN {literal(NUL_REASON.format(c.name))}"
        for i, c in enumerate(contract.columns)
    )
    whens = [
        "WHEN problem IS NOT NULL THEN problem",
        f"WHEN nfields <> {width} THEN {literal(WRONG_FIELD_COUNT)}",  # a cut last line: see validate
        f"WHEN NOT line_ok AND contains(raw, chr(0)) THEN CASE {nul} END",
    ]
    for c in contract.columns:
        whens += [f"WHEN {cond} THEN {literal(reason)}" for cond, reason in _column_checks(c)]
    whens += [f"WHEN {rule.condition(ctx)} THEN {literal(rule.reason)}" for rule in contract.rules]
    key = [contract.column(k) for k in contract.key]
    rest = [c for c in contract.columns if c.name not in contract.key]

    def value(c: Column) -> str:
        t, v = quoted("t_" + c.name), quoted("v_" + c.name)
        # keys always typed: the stream's repeat check must see 12 and 012 as one key
        shown = v if c.type.passes_text and c.name not in contract.key else t
        return f"CASE WHEN reason IS NULL AND {t} IS NOT NULL THEN {shown} END AS {quoted(c.name)}"

    outputs = [value(c) for c in key]
    # PostgreSQL text cannot hold a NUL byte: a rejected raw line shows it as the four characters \x00
    raw = "CASE WHEN contains(raw, chr(0)) THEN replace(raw, chr(0), '\\x00') ELSE raw END"
    outputs += ["line_no", "reason", f"CASE WHEN reason IS NOT NULL THEN {raw} END AS raw_line"]
    outputs += [value(c) for c in rest]
    shaped = f"shaped AS (SELECT fields.*{''.join(', ' + x for x in shapes)} FROM fields), "
    return (
        f"WITH records AS ({records}), "
        f"fields AS (SELECT line_no, raw, problem, nfields, {cols}, {texts_sql}, "
        f"nfields = {width} AND regexp_full_match(raw, {literal(line_pattern(contract))}) AS line_ok FROM records), "
        + shaped
        + f"typed AS (SELECT shaped.*, {', '.join(typed)} FROM shaped), "
        f"referenced AS (SELECT typed.*{refs} FROM typed), "
        f"checked AS (SELECT *, CASE {' '.join(whens)} END AS reason FROM referenced) "
        f"SELECT {', '.join(outputs)} FROM checked"
    )


def output_columns(contract: SourceContract) -> list[str]:
    """The columns of :func:`checked_rows`, in order: the key first (the stream's repeated-key
    check reads it at the start of each line), then ``line_no, reason, raw_line``, then the rest."""
    rest = [c.name for c in contract.columns if c.name not in contract.key]
    return [*contract.key, "line_no", "reason", "raw_line", *rest]
