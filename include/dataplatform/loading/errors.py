"""Errors of input files: a fatal one stops a load before anything is loaded."""

from __future__ import annotations


class FatalInputError(ValueError):
    """The file cannot be loaded at all (missing, empty, wrong header, not UTF-8, ...).

    The message always names the file, and the line (and column) where there is one. Retrying
    cannot fix it: the loading steps fail at once, without retries.
    """

    def __init__(self, source: str, problem: str, line_no: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.line_no = line_no
        where = f"{source} line {line_no}" if line_no else source
        super().__init__(f"{where}: {problem}")
