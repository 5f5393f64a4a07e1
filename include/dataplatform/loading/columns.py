"""Column types of a source contract, and the checks each type makes on a CSV field.

A type says what text it accepts (a strict pattern: DuckDB's casts alone accept ``1_000``,
``2025-1-5``, drop ``+02:00`` offsets and round ``1.005``), which PostgreSQL type it becomes, and
what range fits that type -- so a value the warehouse would refuse is a rejected row with a reason,
decided before it reaches the database, never a database error that fails the whole file.

Checks are rendered as DuckDB SQL (:mod:`dataplatform.loading.validation_sql` puts them together):
a typed column has a ``shape`` (an RE2 pattern of its text, surrounding blanks allowed -- DuckDB's
casts ignore them), then ``checks`` over ``v`` (the field's text), ``t`` (its typed value, NULL
unless the shape matched), ``ok`` (whether it did) and ``fast`` (whether the whole line matched
the contract's line pattern, built from each type's :meth:`ColumnType.fast_pattern`: then every
check that pattern implies can be skipped). Each check is ``(condition true for a bad value,
reason)``; checks run only on non-empty fields.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal as Dec

from dataplatform.loading.sqltext import literal
from dataplatform.warehouse.identifiers import check_identifier

Check = tuple[str, str]

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_DUCK_INT = {"smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT"}
_ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_ISO_TIME = "[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,6})?)?"
#: strptime codes a format may use, and the text each accepts (fixed widths: nothing lenient).
_FORMAT_CODES = {
    "%Y": "[0-9]{4}",
    "%m": "[0-9]{2}",
    "%d": "[0-9]{2}",
    "%H": "[0-9]{2}",
    "%M": "[0-9]{2}",
    "%S": "[0-9]{2}",
    "%f": "[0-9]{1,6}",
}
ISO_DATE = "%Y-%m-%d"
ISO_TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def format_pattern(fmt: str) -> str:
    """The exact text a strptime format accepts, as an RE2 pattern (``%d/%m/%Y`` -> ``[0-9]{2}/...``)."""
    out, i = [], 0
    while i < len(fmt):
        code = fmt[i : i + 2]
        if code in _FORMAT_CODES:
            out.append(_FORMAT_CODES[code])
            i += 2
        elif fmt[i] == "%":
            raise ValueError(f"date format {fmt!r}: only {', '.join(_FORMAT_CODES)} are supported")
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "".join(out)


class ColumnType(ABC):
    """What a column accepts and becomes."""

    #: Typed fields may have surrounding blanks; text is kept literally.
    strips = True
    #: A good field's text goes to PostgreSQL as written (its input accepts every shape allowed
    #: here, blanks included: rendering the typed value again costs DuckDB 15 % of a validation).
    passes_text = True

    @property
    @abstractmethod
    def pg_type(self) -> str:
        """The PostgreSQL type of the target column."""

    @property
    @abstractmethod
    def duck_type(self) -> str:
        """The DuckDB type values are checked in."""

    def shape(self) -> str | None:
        """The RE2 pattern the text must match (without the surrounding blanks); None: no shape."""
        return None

    def fast_pattern(self, required: bool) -> str:
        """The field in the line pattern: what :meth:`checks` may then skip (``fast``)."""
        shape = self.shape()
        if shape is None:
            return r"[^,\x00]*[^,\x00 \t][^,\x00]*" if required else r"[^,\x00]*"
        return rf"[ \t]*(?:{shape})[ \t]*" if required else rf"(?:[ \t]*(?:{shape})[ \t]*)?"

    @abstractmethod
    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        """Checks of a non-empty field, in order (shape first, then range)."""

    def typed(self, v: str) -> str:
        """SQL of the typed value of a field whose shape matched."""
        return f"TRY_CAST({v} AS {self.duck_type})"

    @abstractmethod
    def describe(self) -> str:
        """What the column accepts, for the DAG docs."""


@dataclass(frozen=True)
class Integer(ColumnType):
    """Whole numbers (``[+-]digits``) of a PostgreSQL integer type, optionally bounded."""

    pg: str = "bigint"
    ge: int | None = None
    le: int | None = None

    def __post_init__(self) -> None:
        if self.pg not in _INT_RANGES:
            raise ValueError(f"Integer pg type must be one of {', '.join(_INT_RANGES)}, not {self.pg!r}")

    @property
    def pg_type(self) -> str:
        return self.pg

    @property
    def duck_type(self) -> str:
        return _DUCK_INT[self.pg]

    def bounds(self) -> tuple[int, int]:
        lo, hi = _INT_RANGES[self.pg]
        return max(lo, self.ge) if self.ge is not None else lo, min(
            hi, self.le
        ) if self.le is not None else hi

    def shape(self) -> str:
        return "[+-]?[0-9]+"

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        lo, hi = self.bounds()
        return [
            (f"NOT {ok}", f"{name} is not an integer"),
            (f"{t} IS NULL OR {t} < {lo} OR {t} > {hi}", f"{name} is out of range ({lo} to {hi})"),
        ]

    def describe(self) -> str:
        lo, hi = self.bounds()
        return f"integer, {lo} to {hi}"


@dataclass(frozen=True)
class Decimal(ColumnType):
    """Numbers with at most ``scale`` decimals in ``numeric(precision, scale)``, optionally bounded
    (``ge``/``gt``/``le``/``lt``; the precision bounds the rest)."""

    precision: int
    scale: int
    ge: Dec | int | None = None
    gt: Dec | int | None = None
    le: Dec | int | None = None
    lt: Dec | int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.scale < self.precision <= 38:
            raise ValueError(
                f"Decimal needs 0 <= scale < precision <= 38, got ({self.precision}, {self.scale})"
            )
        if self.ge is not None and self.gt is not None or self.le is not None and self.lt is not None:
            raise ValueError("Decimal takes one lower bound (ge or gt) and one upper bound (le or lt)")

    @property
    def pg_type(self) -> str:
        return f"numeric({self.precision},{self.scale})"

    @property
    def duck_type(self) -> str:
        return f"DECIMAL({self.precision},{self.scale})"

    def _largest(self) -> Dec:
        return Dec(10) ** (self.precision - self.scale) - Dec(10) ** -self.scale

    def range_text(self) -> str:
        """``"0 to 9999999999.99, 2 decimals"``, ``"> 0 and < 1000000, 2 decimals"``..."""
        largest = self._largest()
        lower = (
            (self.ge, True)
            if self.ge is not None
            else (self.gt, False)
            if self.gt is not None
            else (-largest, True)
        )
        upper = (
            (self.le, True)
            if self.le is not None
            else (self.lt, False)
            if self.lt is not None
            else (largest, True)
        )
        if lower[1] and upper[1]:
            bounds = f"{lower[0]} to {upper[0]}"
        else:
            bounds = f"{'>=' if lower[1] else '>'} {lower[0]} and {'<=' if upper[1] else '<'} {upper[0]}"
        return f"{bounds}, {self.scale} decimals"

    def shape(self) -> str:
        return "[+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)"

    def _fits(self) -> str:
        whole, frac = self.precision - self.scale, self.scale
        digits = f"[0-9]{{0,{whole}}}(?:[.][0-9]{{0,{frac}}})?" if frac else f"[0-9]{{0,{whole}}}[.]?"
        return f"[+-]?0*{digits}"

    def fast_pattern(self, required: bool) -> str:
        fits = rf"[ \t]*{self._fits()}[ \t]*"
        return fits if required else f"(?:{fits})?"

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        fits = rf"[ \t]*{self._fits()}[ \t]*"
        bad_range = [f"{t} IS NULL"]
        for bound, op in ((self.ge, "<"), (self.gt, "<="), (self.le, ">"), (self.lt, ">=")):
            if bound is not None:
                bad_range.append(f"{t} {op} {literal(Dec(bound))}")
        return [
            (f"NOT {ok}", f"{name} is not a number"),
            (
                f"(NOT {fast} AND NOT regexp_full_match({v}, {literal(fits)})) OR " + " OR ".join(bad_range),
                f"{name} is out of range ({self.range_text()})",
            ),
        ]

    def describe(self) -> str:
        return f"number, {self.range_text()}"


@dataclass(frozen=True)
class Date(ColumnType):
    """Calendar dates in one of ``formats`` (strptime codes ``%Y %m %d``, fixed width)."""

    formats: Sequence[str] = (ISO_DATE,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(self.formats))
        for fmt in self.formats:
            format_pattern(fmt)

    pg_type = "date"  # type: ignore[assignment]
    duck_type = "DATE"  # type: ignore[assignment]

    @property
    def passes_text(self) -> bool:  # type: ignore[override]
        return self.formats == (ISO_DATE,)

    def shape(self) -> str:
        return "|".join(f"(?:{format_pattern(f)})" for f in self.formats)

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        # PostgreSQL has no year 0
        return [(f"NOT {ok} OR {t} IS NULL OR year({t}) < 1", f"{name} is not a valid date")]

    def typed(self, v: str) -> str:
        if self.formats == (ISO_DATE,):
            return f"TRY_CAST({v} AS DATE)"
        text = f"trim({v}, {literal(' ' + chr(9))})"
        return (
            "coalesce("
            + ", ".join(f"CAST(try_strptime({text}, {literal(f)}) AS DATE)" for f in self.formats)
            + ")"
        )

    def describe(self) -> str:
        return "date " + " or ".join(_human(f) for f in self.formats)


@dataclass(frozen=True)
class Timestamp(ColumnType):
    """Date and time without a time zone: ISO ``YYYY-MM-DD HH:MM[:SS[.ffffff]]`` (``T`` allowed), or
    ``formats``. Offsets such as ``+02:00`` are refused: they would be dropped silently."""

    formats: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(self.formats))
        for fmt in self.formats:
            format_pattern(fmt)

    pg_type = "timestamp"  # type: ignore[assignment]
    duck_type = "TIMESTAMP"  # type: ignore[assignment]

    @property
    def passes_text(self) -> bool:  # type: ignore[override]
        return not self.formats

    def shape(self) -> str:
        return "|".join(f"(?:{format_pattern(f)})" for f in self.formats) or f"{_ISO_DATE}[ T]{_ISO_TIME}"

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        return [(f"NOT {ok} OR {t} IS NULL OR year({t}) < 1", f"{name} is not a valid timestamp")]

    def typed(self, v: str) -> str:
        if not self.formats:
            return f"TRY_CAST({v} AS TIMESTAMP)"
        text = f"trim({v}, {literal(' ' + chr(9))})"
        return "coalesce(" + ", ".join(f"try_strptime({text}, {literal(f)})" for f in self.formats) + ")"

    def describe(self) -> str:
        if not self.formats:
            return "timestamp YYYY-MM-DD HH:MM[:SS[.ffffff]], no time zone"
        return "timestamp " + " or ".join(_human(f) for f in self.formats)


@dataclass(frozen=True)
class Text(ColumnType):
    """Free text, stored literally (surrounding blanks kept); optionally a ``pattern`` (RE2, whole
    value) and a ``max_length`` in characters."""

    max_length: int | None = None
    pattern: str | None = None
    pattern_reason: str | None = None
    strips = False  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.pattern is not None:
            re.compile(self.pattern)  # RE2 is stricter; a typo fails here, at import time
            if "'" in self.pattern:
                raise ValueError(f"Text pattern may not contain a quote: {self.pattern!r}")

    pg_type = "text"  # type: ignore[assignment]
    duck_type = "VARCHAR"  # type: ignore[assignment]

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        out: list[Check] = []
        if self.max_length is not None:
            out.append(
                (f"length({v}) > {self.max_length}", f"{name} is longer than {self.max_length} characters")
            )
        if self.pattern is not None:
            out.append(
                (
                    f"NOT regexp_full_match({v}, {literal(self.pattern)})",
                    self.pattern_reason or f"{name} does not match {self.pattern}",
                )
            )
        return out

    def typed(self, v: str) -> str:
        return v

    def describe(self) -> str:
        parts = ["text"]
        if self.pattern:
            parts.append(f"matching `{self.pattern}`")
        if self.max_length:
            parts.append(f"at most {self.max_length} characters")
        return ", ".join(parts)


@dataclass(frozen=True)
class Enum(ColumnType):
    """One of a fixed set of codes (surrounding blanks allowed and dropped; case-sensitive)."""

    passes_text = False  # the code without its blanks

    values: Sequence[str]
    label: str | None = None  # "an accepted ISO 4217 currency": the reason says "<column> is not <label>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("Enum needs at least one value")

    pg_type = "text"  # type: ignore[assignment]
    duck_type = "VARCHAR"  # type: ignore[assignment]

    strips = False  # type: ignore[assignment]

    def fast_pattern(self, required: bool) -> str:
        codes = "|".join(re.escape(x) for x in self.values)
        return rf"[ \t]*(?:{codes})[ \t]*" if required else rf"(?:[ \t]*(?:{codes})[ \t]*)?"

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        what = self.label or "one of " + ", ".join(self.values)
        values = ", ".join(literal(x) for x in self.values)
        bad = f"NOT {fast} AND {v} NOT IN ({values}) AND trim({v}, {literal(' ' + chr(9))}) NOT IN ({values})"
        return [(bad, f"{name} is not {what}")]

    def typed(self, v: str) -> str:
        values = ", ".join(literal(x) for x in self.values)
        return f"CASE WHEN {v} IN ({values}) THEN {v} ELSE trim({v}, {literal(' ' + chr(9))}) END"

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{x}`" for x in self.values)


@dataclass(frozen=True)
class Column:
    """A contract column: its name (the CSV header and the target column), type and rules.

    ``required``: an empty field is a rejected row (``<name> is empty``); otherwise empty is NULL.
    ``normalise``: ``"upper"`` or ``"lower"``, applied to the value loaded (text and codes).
    """

    name: str
    type: ColumnType
    required: bool = False
    normalise: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_identifier(self.name, "column")
        if self.normalise not in (None, "upper", "lower"):
            raise ValueError(f"column {self.name}: normalise must be 'upper', 'lower' or None")
        if self.normalise and not isinstance(self.type, (Text, Enum)):
            raise ValueError(f"column {self.name}: only text and codes can be normalised")

    def describe(self) -> str:
        rules = [self.type.describe()]
        rules.append("required" if self.required else "optional")
        if self.normalise:
            rules.append(f"{self.normalise}-cased")
        return "; ".join(rules)


def _human(fmt: str) -> str:
    return (
        fmt.replace("%Y", "YYYY")
        .replace("%m", "MM")
        .replace("%d", "DD")
        .replace("%H", "HH")
        .replace("%M", "MM")
        .replace("%S", "SS")
        .replace("%f", "ffffff")
    )
