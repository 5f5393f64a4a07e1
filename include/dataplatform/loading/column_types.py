"""The column types a contract declares: what text each accepts and what it becomes.

``Integer`` and ``Decimal`` (bounded by their PostgreSQL type and by the contract), ``Date`` and
``Timestamp`` (ISO, or strptime formats; no year 0, no time zone), ``Text`` (pattern, length) and
``Enum`` (a set of codes). The base class and the check conventions: :mod:`dataplatform.loading.columns`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal as Dec
from typing import ClassVar

from dataplatform.loading.columns import ISO_DATE, Check, ColumnType, format_pattern, human_format
from dataplatform.loading.sqltext import literal

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_DUCK_INT = {"smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT"}
_ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_ISO_TIME = "[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,6})?)?"


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


class _Temporal(ColumnType):
    """Dates and timestamps: ISO by default (DuckDB's strict-enough cast once the shape matched), or
    strptime ``formats`` (fixed width); PostgreSQL has no year 0."""

    formats: tuple[str, ...]
    iso: ClassVar[tuple[str, ...]]  # the formats the ISO shape stands for
    iso_shape: ClassVar[str]
    what: ClassVar[str]  # "date" / "timestamp", in the reason

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(self.formats))
        for fmt in self.formats:
            format_pattern(fmt)

    @property
    def _iso(self) -> bool:
        return self.formats in ((), self.iso)

    @property
    def passes_text(self) -> bool:  # type: ignore[override]
        return self._iso

    def shape(self) -> str:
        return self.iso_shape if self._iso else "|".join(f"(?:{format_pattern(f)})" for f in self.formats)

    def checks(self, name: str, v: str, t: str, ok: str, fast: str) -> list[Check]:
        return [(f"NOT {ok} OR {t} IS NULL OR year({t}) < 1", f"{name} is not a valid {self.what}")]

    def typed(self, v: str) -> str:
        if self._iso:
            return f"TRY_CAST({v} AS {self.duck_type})"
        text = f"trim({v}, {literal(' ' + chr(9))})"
        return (
            "coalesce("
            + ", ".join(f"CAST(try_strptime({text}, {literal(f)}) AS {self.duck_type})" for f in self.formats)
            + ")"
        )

    def describe(self) -> str:
        if self._iso:
            return self.iso_text
        return f"{self.what} " + " or ".join(human_format(f) for f in self.formats)

    iso_text: ClassVar[str]


@dataclass(frozen=True)
class Date(_Temporal):
    """Calendar dates: ``YYYY-MM-DD``, or ``formats`` (strptime codes ``%Y %m %d``, fixed width)."""

    formats: Sequence[str] = (ISO_DATE,)  # type: ignore[assignment]
    iso: ClassVar[tuple[str, ...]] = (ISO_DATE,)
    iso_shape: ClassVar[str] = _ISO_DATE
    what: ClassVar[str] = "date"
    iso_text: ClassVar[str] = "date YYYY-MM-DD"
    pg_type = "date"  # type: ignore[assignment]
    duck_type = "DATE"  # type: ignore[assignment]


@dataclass(frozen=True)
class Timestamp(_Temporal):
    """Date and time without a time zone: ISO ``YYYY-MM-DD HH:MM[:SS[.ffffff]]`` (``T`` allowed), or
    ``formats``. Offsets such as ``+02:00`` are refused: they would be dropped silently."""

    formats: Sequence[str] = ()  # type: ignore[assignment]
    iso: ClassVar[tuple[str, ...]] = ()
    iso_shape: ClassVar[str] = f"{_ISO_DATE}[ T]{_ISO_TIME}"
    what: ClassVar[str] = "timestamp"
    iso_text: ClassVar[str] = "timestamp YYYY-MM-DD HH:MM[:SS[.ffffff]], no time zone"
    pg_type = "timestamp"  # type: ignore[assignment]
    duck_type = "TIMESTAMP"  # type: ignore[assignment]


@dataclass(frozen=True)
class Text(ColumnType):
    """Free text, stored literally (surrounding blanks kept); optionally a ``pattern`` (RE2, whole
    value) and a ``max_length`` in characters."""

    max_length: int | None = None
    pattern: str | None = None
    pattern_reason: str | None = None
    normalisable: ClassVar[bool] = True

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
    normalisable: ClassVar[bool] = True

    values: Sequence[str]
    label: str | None = None  # "an accepted ISO 4217 currency": the reason says "<column> is not <label>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("Enum needs at least one value")

    pg_type = "text"  # type: ignore[assignment]
    duck_type = "VARCHAR"  # type: ignore[assignment]

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
