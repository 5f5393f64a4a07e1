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
from dataclasses import dataclass
from typing import ClassVar

from dataplatform.warehouse.identifiers import check_identifier

Check = tuple[str, str]

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
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

    #: Text and codes can be upper- or lower-cased (``Column.normalise``).
    normalisable: ClassVar[bool] = False
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
        if self.normalise and not self.type.normalisable:
            raise ValueError(f"column {self.name}: only text and codes can be normalised")

    def describe(self) -> str:
        rules = [self.type.describe()]
        rules.append("required" if self.required else "optional")
        if self.normalise:
            rules.append(f"{self.normalise}-cased")
        return "; ".join(rules)


def human_format(fmt: str) -> str:
    """A strptime format as people write it: ``%d/%m/%Y`` -> ``DD/MM/YYYY``."""
    return (
        fmt.replace("%Y", "YYYY")
        .replace("%m", "MM")
        .replace("%d", "DD")
        .replace("%H", "HH")
        .replace("%M", "MM")
        .replace("%S", "SS")
        .replace("%f", "ffffff")
    )
