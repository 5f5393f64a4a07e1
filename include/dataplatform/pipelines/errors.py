"""Errors a person can act on: where (file, line, column, pipeline, step, key), what, and a hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecError:
    """One problem of a pipeline spec. ``line``/``column`` are 1-based (0: unknown)."""

    file: str
    message: str
    line: int = 0
    column: int = 0
    pipeline: str | None = None
    step: str | None = None
    key: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        who = "/".join(p for p in (self.pipeline, self.step) if p)
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {who + ': ' if who else ''}{self.message}{hint}"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, then position, then message."""
        return (self.file, self.line, self.column, self.message)


class PipelineSpecError(Exception):
    """Every error of one pipeline file, raised by :func:`dataplatform.pipelines.pipeline_dag` so the
    dag-processor shows them all as that file's import error."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = sorted(errors, key=SpecError.sort_key)
        count = len(self.errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{count} error(s) in pipeline spec:\n{lines}")


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``did you mean `x`?`` for the closest of ``choices`` to ``word``, or None."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def one_of(choices: Iterable[str]) -> str:
    """``one of `a`, `b`, `c``` for a hint listing valid choices."""
    return "one of " + ", ".join(f"`{c}`" for c in sorted(choices))
