"""Errors of input files: fatal ones stop a run before anything is loaded."""

from __future__ import annotations


class FatalInputError(ValueError):
    """The input file cannot be loaded at all (missing, empty, wrong header, undecodable...).

    The message always names the file (and the line, where there is one).
    """

    def __init__(self, source: str, problem: str, line_no: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.line_no = line_no
        where = f"{source} line {line_no}" if line_no else source
        super().__init__(f"{where}: {problem}")
