"""The integrity policy's vocabulary: rule names, the :class:`Violation` record and :class:`Policy` settings."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

#: Modules a DAG file must not import at parse time (the dag-processor re-parses files every few
#: seconds; each of these costs 0.1-0.5 s per parse). Import them inside task callables instead.
DEFAULT_HEAVY_MODULES: frozenset[str] = frozenset(
    {"pandas", "polars", "duckdb", "pyarrow", "boto3", "botocore", "psycopg", "psycopg2"}
)
DEFAULT_CALLBACK_PREFIX = "dataplatform.alerts"
DEFAULT_NOTIFIER_PREFIX = "dataplatform.notifications"


class Rule(StrEnum):
    """Names of the integrity rules (as they appear in :class:`Violation` and ``Policy.disabled``)."""

    IMPORT_ERROR = "import-error"
    NO_DAGS = "no-dags"
    DUPLICATE_DAG_ID = "duplicate-dag-id"
    OWNER = "owner"
    TAGS = "tags"
    RETRIES = "retries"
    BACKOFF = "backoff"
    FAILURE_CALLBACK = "failure-callback"
    DOC_MD = "doc-md"
    CATCHUP = "catchup"
    START_DATE = "start-date"
    HEAVY_IMPORT = "heavy-import"


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``file`` is shown relative to the DAGs folder's parent (``dags/foo.py``)."""

    file: str
    dag_id: str | None
    rule: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", str(self.rule))  # a Rule member becomes its plain name

    def __str__(self) -> str:
        where = f"{self.file} [dag {self.dag_id}]" if self.dag_id else self.file
        return f"{where} {self.rule}: {self.message}"

    def sort_key(self) -> tuple[str, str, str, str]:
        """Order by file, DAG, rule, message (``dag_id`` None sorts first)."""
        return (self.file, self.dag_id or "", self.rule, self.message)


@dataclass(frozen=True)
class Policy:
    """What the integrity check enforces; every field has the platform's default.

    ``heavy_modules``: top-level modules a DAG file must not import at parse time. ``min_retries``:
    the fewest retries a task may have. ``forbidden_owners``: owners that mean "nobody" (compared
    case-insensitively). ``callback_prefix`` / ``notifier_prefix``: a failure callback counts when its ``__module__``
    (for a notifier instance: its class's module) is, or is inside, one of these packages.
    ``disabled``: rule names to skip. Set-valued fields are stored as frozensets of ``str``.
    """

    heavy_modules: AbstractSet[str] = DEFAULT_HEAVY_MODULES
    callback_prefix: str = DEFAULT_CALLBACK_PREFIX
    notifier_prefix: str = DEFAULT_NOTIFIER_PREFIX
    min_retries: int = 2
    forbidden_owners: AbstractSet[str] = frozenset({"", "airflow"})
    disabled: AbstractSet[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("heavy_modules", "forbidden_owners", "disabled"):
            object.__setattr__(self, name, frozenset(str(v) for v in getattr(self, name)))
        unknown = self.disabled - {str(r) for r in Rule}
        if unknown:
            raise ValueError(f"unknown rule(s) in disabled: {sorted(unknown)}")

    def enabled(self, rule: Rule) -> bool:
        """Whether ``rule`` is checked."""
        return str(rule) not in self.disabled

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (sent to the parse worker)."""
        return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        """Inverse of :meth:`to_json`."""
        return cls(**data)


def format_violations(violations: Iterable[Violation]) -> str:
    """One violation per line, sorted, for assertion messages and CLI output."""
    lines = [f"  {v}" for v in sorted(violations, key=Violation.sort_key)]
    return f"{len(lines)} DAG integrity violation(s):\n" + "\n".join(lines) if lines else "no violations"
