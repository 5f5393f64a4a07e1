"""Row rules across columns, and rules that look outside the row (the run's dates, other tables).

Column types check one field (:mod:`dataplatform.loading.columns`); a rule checks what one field
cannot say alone: ``admitted_at`` not before ``birth_date``, ``paid_amount <= approved_amount``, a
denied claim without a paid amount, a date inside the file's month, a patient that exists. Rules
run after every column passed its own checks, in the order the contract lists them; the first
broken one is the row's reason. A rule over an empty (NULL) value passes: "required" says whether
a value must be there.

Each rule renders a DuckDB condition that is true for a bad row, over the typed values
(``ctx.value(column)``) and the run's parameters (``ctx.run_date``, ``ctx.period_start`` /
``ctx.period_end``); :class:`References` also names the table whose keys the engine fetches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Protocol

from dataplatform.loading.sqltext import literal
from dataplatform.warehouse.identifiers import check_identifier, split_table_name


class RuleContext(Protocol):
    """What a rule's condition may refer to (given by the validation SQL builder)."""

    run_date: str  # SQL literal of the run's date
    period_start: str  # SQL literal of the period's first day
    period_end: str  # SQL literal of the day after the period

    def value(self, column: str) -> str:
        """SQL of a column's typed value."""

    def reference(self, rule: References) -> str:
        """SQL, true when the referenced table holds this row's value."""


@dataclass(frozen=True)
class Rule(ABC):
    """A rule over typed values; ``reason`` is what a broken row is quarantined with."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Contract columns the rule reads (its ``column``, ``other`` and ``when`` fields)."""
        return tuple(
            getattr(self, f) for f in ("column", "other", "when") if isinstance(getattr(self, f, None), str)
        )

    @property
    @abstractmethod
    def reason(self) -> str: ...

    @abstractmethod
    def condition(self, ctx: RuleContext) -> str:
        """DuckDB SQL, true when the row breaks the rule."""

    @abstractmethod
    def describe(self) -> str:
        """The rule as the DAG docs state it."""


@dataclass(frozen=True)
class NotInFuture(Rule):
    """``column`` is not after the run's date (the logical date: re-running a day gives the same rows)."""

    column: str

    @property
    def reason(self) -> str:
        return f"{self.column} is in the future"

    def condition(self, ctx: RuleContext) -> str:
        return f"{ctx.value(self.column)} > {ctx.run_date}"

    def describe(self) -> str:
        return f"`{self.column}` not after the run's date"


@dataclass(frozen=True)
class _Comparison(Rule):
    """``column`` compared with ``other``; subclasses say which way is wrong and how to say so."""

    column: str
    other: str
    bad: ClassVar[str]  # the operator of a broken row
    good: ClassVar[str]  # the relation as the docs state it
    wording: ClassVar[str]  # "<column> <wording> <other>" is the reason

    @property
    def reason(self) -> str:
        return f"{self.column} {self.wording} {self.other}"

    def condition(self, ctx: RuleContext) -> str:
        return f"{ctx.value(self.column)} {self.bad} {ctx.value(self.other)}"

    def describe(self) -> str:
        return f"`{self.column}` {self.good} `{self.other}`"


@dataclass(frozen=True)
class NotBefore(_Comparison):
    """``column`` is not earlier than ``other`` (dates and timestamps compare as timestamps)."""

    bad: ClassVar[str] = "<"
    good: ClassVar[str] = "not before"
    wording: ClassVar[str] = "is before"


@dataclass(frozen=True)
class AtMost(_Comparison):
    """``column <= other`` (a claim's paid amount is at most its approved amount)."""

    bad: ClassVar[str] = ">"
    good: ClassVar[str] = "<="
    wording: ClassVar[str] = "is greater than"


@dataclass(frozen=True)
class EmptyWhen(Rule):
    """``column`` is empty in rows whose ``when`` column equals ``equals`` (a denied claim has no paid amount)."""

    column: str
    when: str
    equals: str

    @property
    def reason(self) -> str:
        return f"{self.column} must be empty when {self.when} is {self.equals}"

    def condition(self, ctx: RuleContext) -> str:
        return f"{ctx.value(self.when)} = {literal(self.equals)} AND {ctx.value(self.column)} IS NOT NULL"

    def describe(self) -> str:
        return f"`{self.column}` empty when `{self.when}` is `{self.equals}`"


@dataclass(frozen=True)
class InPeriod(Rule):
    """``column`` falls inside the file's period (its day or month), never in another one."""

    column: str

    @property
    def reason(self) -> str:
        return f"{self.column} is outside the file's period"

    def condition(self, ctx: RuleContext) -> str:
        value = ctx.value(self.column)
        return f"({value} < {ctx.period_start} OR {value} >= {ctx.period_end})"

    def describe(self) -> str:
        return f"`{self.column}` inside the file's period"


@dataclass(frozen=True)
class References(Rule):
    """``column`` names an existing row of ``table`` (``key``, default the same name): an unknown
    one is a rejected row, not a failed run. The engine reads the table's keys once per load."""

    column: str
    table: str
    key: str | None = None
    reason_text: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.column, "column")
        split_table_name(self.table)
        if self.key is not None:
            check_identifier(self.key, "column")

    @property
    def table_key(self) -> str:
        return self.key or self.column

    @property
    def reason(self) -> str:
        return self.reason_text or f"{self.column} is not in {self.table}"

    def condition(self, ctx: RuleContext) -> str:
        return f"{ctx.value(self.column)} IS NOT NULL AND NOT {ctx.reference(self)}"

    def describe(self) -> str:
        return f"`{self.column}` exists in `{self.table}.{self.table_key}`"
