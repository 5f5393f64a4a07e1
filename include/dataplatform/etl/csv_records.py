"""Stream CSV records from byte lines with exact line numbers and raw text, strictly UTF-8.

Handles an optional BOM, CRLF, quoted fields with commas and newlines. Problems of the whole file
(undecodable bytes, bad header, runaway quote) raise :class:`FatalInputError`; problems of one
record are reported on the record (``problem``) so the caller can quarantine it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from dataplatform.etl.errors import FatalInputError

BOM = b"\xef\xbb\xbf"
#: A record spanning more physical lines than this is an unbalanced quote, not data.
MAX_RECORD_LINES = 100

WRONG_FIELD_COUNT = "wrong number of fields"
TRUNCATED_LAST_LINE = "truncated last line"


class CsvRecords:
    """Iterates ``(line_no, fields, problem)`` for each data record of a CSV with a fixed header.

    ``line_no`` is the record's first physical line; ``problem`` is ``None`` or a structural reason
    (wrong field count, truncated last line). :meth:`raw` gives the exact source text of the record
    just yielded, built only when asked for (rejects are rare; joining every row would cost 30 %).
    """

    def __init__(self, lines: Iterable[bytes], source: str, header: Sequence[str]) -> None:
        self.source = source
        self.header = list(header)
        self._lines = lines
        self._pending: list[bytes] = []
        self._line_no = 0
        self.records = 0

    def raw(self) -> str:
        """Exact text of the current record, without its final line end."""
        return b"".join(self._pending).decode("utf-8").rstrip("\r\n")

    def _decoded(self) -> Iterator[str]:
        pending = self._pending
        for raw in self._lines:
            self._line_no += 1
            if self._line_no == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if len(pending) >= MAX_RECORD_LINES:
                first = self._line_no - len(pending)
                raise FatalInputError(self.source, "unterminated quoted field (quote never closed)", first)
            pending.append(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                bad = raw[err.start : err.start + 1]
                raise FatalInputError(
                    self.source,
                    f"not valid UTF-8 (byte 0x{bad.hex()} at column {err.start + 1})",
                    self._line_no,
                ) from err
            yield text

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]:
        reader = csv.reader(self._decoded(), strict=True)
        pending = self._pending
        try:
            got = next(reader)
        except StopIteration:
            raise FatalInputError(self.source, "file is empty") from None
        except csv.Error as err:
            raise FatalInputError(self.source, f"header is not valid CSV: {err}", 1) from err
        if not any(h.strip() for h in got):
            raise FatalInputError(self.source, "file is empty (no header)", 1)
        _check_header([h.strip() for h in got], self.header, self.source)
        width = len(self.header)
        while True:
            pending.clear()
            line_no = self._line_no + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error:  # csv reports an unterminated quote only at the end of the data
                self.records += 1
                yield line_no, [], TRUNCATED_LAST_LINE
                break
            if not fields:
                continue  # blank line
            self.records += 1
            if len(fields) == width:
                yield line_no, fields, None
            else:
                at_end = not pending[-1].endswith(b"\n")
                yield line_no, fields, TRUNCATED_LAST_LINE if at_end else WRONG_FIELD_COUNT
        if self.records == 0:
            raise FatalInputError(self.source, "file has a header but no data rows")


def _check_header(got: list[str], expected: Sequence[str], source: str) -> None:
    if got == list(expected):
        return
    missing = [c for c in expected if c not in got]
    unexpected = [c for c in got if c not in expected]
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if unexpected:
        parts.append(f"unexpected columns {unexpected}")
    if not parts:
        parts.append(f"columns out of order: got {got}, expected {list(expected)}")
    raise FatalInputError(source, "bad header: " + "; ".join(parts), 1)
