"""A source contract: everything about one landing CSV source, declared once.

From a :class:`SourceContract` come the target and quarantine DDL (:mod:`~dataplatform.loading.ddl`),
the header check and every row check (:mod:`~dataplatform.loading.validation_sql`), the quarantine
reasons, the DAG docs table (:mod:`~dataplatform.loading.docs`), the load task group
(:mod:`~dataplatform.loading.task_group`) and the sample-data header of the generators. A new CSV
source is one contract module in :mod:`dataplatform.sources` plus a DAG file of declarations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from dataplatform.loading.columns import Column
from dataplatform.loading.freshness import DEFAULT_FRESHNESS, Freshness
from dataplatform.loading.period import PeriodKind
from dataplatform.loading.rules import Rule
from dataplatform.warehouse.identifiers import check_identifier, split_table_name

#: Audit columns every target gets: written on inserted and changed rows only.
AUDIT_COLUMNS = ("loaded_at", "loaded_by_run")


@dataclass(frozen=True)
class SourceContract:
    """One landing CSV source and the warehouse tables it loads.

    :param name: short identifier (``billing``): names staging tables, tasks and the load record.
    :param landing_key: where its files land in the landing bucket, ``{period}`` standing for the
        day (``YYYY-MM-DD``) or month (``YYYY-MM``): ``billing/{period}/billing_data.csv``.
    :param columns: the file's columns in header order, with their types and rules.
    :param key: column(s) that identify a row: the merge key and the target's primary key.
    :param latest_by: when a key repeats in one file, the row with the greatest of these columns
        wins (then the later line); empty: the later line wins.
    :param rules: row rules across columns and beyond the row, in the order they are checked.
    :param period: ``"day"`` or ``"month"``: what one file covers.
    :param partition_column: a target column holding the period's first day: the load replaces
        that period's rows and never touches another period's. None: the load merges on ``key``.
    :param max_reject_ratio: share of rejected rows above which the load fails (rows kept in
        quarantine) instead of loading the rest.
    :param freshness: when a period is due loaded (the daily report's freshness check); default by
        period kind (:data:`~dataplatform.loading.freshness.DEFAULT_FRESHNESS`). Not part of the
        fingerprint: it says when data is expected, not what it is.
    """

    name: str
    description: str
    landing_key: str
    columns: Sequence[Column]
    key: Sequence[str]
    target: str
    quarantine: str
    latest_by: Sequence[str] = ()
    rules: Sequence[Rule] = ()
    period: PeriodKind = "day"
    partition_column: str | None = None
    max_reject_ratio: float = 0.05
    owner: str = "data-platform"
    tags: Sequence[str] = field(default_factory=tuple)
    freshness: Freshness | None = None

    def __post_init__(self) -> None:
        for name in ("columns", "key", "latest_by", "rules", "tags"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_identifier(self.name, "contract")
        split_table_name(self.target)
        split_table_name(self.quarantine)
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"contract {self.name}: a column is listed twice in {names}")
        problems = [f"key column {k!r}" for k in self.key if k not in names]
        problems += [f"latest_by column {c!r}" for c in self.latest_by if c not in names]
        problems += [
            f"rule {r.reason!r} column {c!r}" for r in self.rules for c in r.columns if c not in names
        ]
        if problems:
            raise ValueError(
                f"contract {self.name}: unknown {'; '.join(problems)} (columns: {', '.join(names)})"
            )
        if not self.key:
            raise ValueError(f"contract {self.name}: a key is required")
        if optional := [k for k in self.key if not self.column(k).required]:
            raise ValueError(f"contract {self.name}: key column {optional[0]!r} must be required")
        if self.partition_column is not None:
            check_identifier(self.partition_column, "partition column")
            if self.partition_column in names or self.partition_column in AUDIT_COLUMNS:
                raise ValueError(f"contract {self.name}: partition column {self.partition_column!r} clashes")
        if "{period}" not in self.landing_key:
            raise ValueError(f"contract {self.name}: landing_key needs a {{period}} placeholder")
        if not 0 <= self.max_reject_ratio <= 1:
            raise ValueError(f"contract {self.name}: max_reject_ratio must be between 0 and 1")

    @property
    def header(self) -> list[str]:
        """The exact CSV header, in order."""
        return [c.name for c in self.columns]

    @property
    def asset_name(self) -> str:
        """The Airflow Asset its load emits: ``warehouse.<schema>.<table>``."""
        schema, table = split_table_name(self.target)
        return f"warehouse.{schema or 'public'}.{table}"

    @property
    def due(self) -> Freshness:
        """The contract's :class:`Freshness`, or its period kind's default."""
        return self.freshness or DEFAULT_FRESHNESS[self.period]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"contract {self.name} has no column {name!r}")

    def landing_uri(self, bucket: str, period_label: str) -> str:
        """``s3://<bucket>/<landing_key with the period>``."""
        return f"s3://{bucket}/{self.landing_key.format(period=period_label)}"

    @property
    def fingerprint(self) -> str:
        """A hash of every declared rule and type: a changed contract never skips a load as unchanged."""
        plain = {k: v for k, v in _plain(self).items() if k not in _NOT_FINGERPRINTED}
        return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()[:16]


#: Fields that say nothing about the data: changing them must not force a reload.
_NOT_FINGERPRINTED = frozenset({"freshness"})


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {
            "kind": type(value).__name__,
            **{f.name: _plain(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
