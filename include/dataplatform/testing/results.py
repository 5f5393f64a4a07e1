"""What parsing one DAG file in isolation tells the policy (JSON-able: it crosses a process boundary)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: A rule finding inside one file: (dag_id or None, rule, message).
Finding = tuple[str | None, str, str]


@dataclass
class FileResult:
    """One DAG file parsed alone by a ``DagBag`` in a fresh child process.

    ``offered``: dag_id of every DAG object the file produced (a repeated id is a duplicate inside the
    file); ``dags``: the ids Airflow kept; ``import_error``: the DagBag's traceback; ``findings``: the
    per-DAG and source rules; ``new_modules``: top-level modules the import added; ``crashed``: why
    the child gave no answer (died, timed out), in which case nothing else is known.
    """

    path: str
    offered: list[str] = field(default_factory=list)
    dags: list[str] = field(default_factory=list)
    import_error: str | None = None
    findings: list[Finding] = field(default_factory=list)
    new_modules: list[str] = field(default_factory=list)
    crashed: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileResult:
        """Inverse of :meth:`to_json` (findings come back as tuples)."""
        findings = [tuple(f) for f in data.get("findings", [])]
        return cls(**{**data, "findings": findings})
