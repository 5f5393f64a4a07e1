"""The file-level pass of a validation: one read of the bytes, at C speed, and the rare quoted records.

:func:`scan_file` reads the file once in 1 MiB blocks and, without parsing rows, works out what the
set-based engine (:mod:`dataplatform.loading.engine`) cannot: the content hash (the load record's
identity of the file), the line endings (LF or CRLF; a bare CR is fatal: it would renumber every
later line), whether the last line is complete, and every line holding a quote character. Strict UTF-8 is checked by DuckDB as it reads; :func:`find_bad_utf8` then names the
first bad byte's line and column. :func:`read_header` checks the header.

Only those quote lines (about 1 % of a typical file) are parsed here, with Python's ``csv`` module
in strict mode (:func:`quoted_records`): a record spanning several lines (a quoted newline) gets
its first line's number, its exact raw text and its fields; a malformed one its problem. Every
other line is a plain record the engine splits on commas itself.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dataplatform.loading.errors import FatalInputError

BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
#: A record spanning more physical lines than this is an unbalanced quote, not data.
MAX_RECORD_LINES = 100
#: Byte values the engine may split lines on: the first one absent from the file is used.
SCAN_DELIMITERS = (b"\x1f", b"\x1e", b"\x1d", b"\x1c", b"\x01", b"\x02", b"\x03", b"\x04")

WRONG_FIELD_COUNT = "wrong number of fields"
TRUNCATED_LAST_LINE = "truncated last line"


@dataclass(frozen=True)
class QuotedRecord:
    """A record with quotes: its first line, its last line, exact raw text, fields or problem."""

    line_no: int
    last_line: int
    raw: str
    fields: tuple[str, ...]
    problem: str | None


@dataclass
class FileScan:
    """What one pass over the file found (see the module docstring)."""

    source: str
    path: Path
    size: int = 0
    sha256: str = ""
    lines: int = 0  # physical lines, a last line without a newline included
    ends_with_newline: bool = True
    bom: bool = False
    delimiter: str = "\x1f"
    #: Lines holding a quote: their numbers and the byte offsets of their starts (compact arrays).
    quote_line_numbers: array = field(default_factory=lambda: array("q"))
    quote_line_starts: array = field(default_factory=lambda: array("q"))

    @property
    def quote_lines(self) -> Iterator[tuple[int, int]]:
        return zip(self.quote_line_numbers, self.quote_line_starts, strict=True)

    @property
    def unquoted_lines(self) -> int:
        """Lines after the header without a quote: what the engine reads itself (blank ones included)."""
        numbers = self.quote_line_numbers
        return self.lines - 1 - len(numbers) + (1 if numbers and numbers[0] == 1 else 0)


def scan_file(path: Path, source: str) -> FileScan:
    """Read ``path`` once; raise :class:`FatalInputError` for problems of the whole file."""
    scan = FileScan(source=source, path=path)
    sha = hashlib.sha256()
    present: set[bytes] = set()
    line = 1  # the line the next byte belongs to
    offset = 0  # file offset of the current block
    last_byte = b""
    with open(path, "rb", buffering=0) as f:
        while block := f.read(BLOCK):
            sha.update(block)
            if offset == 0 and block.startswith(BOM):
                scan.bom = True
            _check_carriage_returns(block, last_byte, source, line)
            for d in SCAN_DELIMITERS:  # usually only the first is looked for
                if d in present or d not in block:
                    break
                present.add(d)
            line = _find_quote_lines(block, offset, line, last_byte, scan)
            offset += len(block)
            last_byte = block[-1:]
    if last_byte == b"\r":
        raise FatalInputError(
            source, "bare carriage return (CR not followed by LF) at the end of the file", line
        )
    scan.size = offset
    scan.sha256 = sha.hexdigest()
    scan.ends_with_newline = last_byte == b"\n"
    scan.lines = line - 1 if scan.ends_with_newline else line
    free = [d for d in SCAN_DELIMITERS if d not in present]
    if not free:
        raise FatalInputError(
            source, "holds every control byte the line scan can split on (0x1c-0x1f, 0x01-0x04)"
        )
    scan.delimiter = free[0].decode()
    return scan


def _find_quote_lines(block: bytes, offset: int, line: int, last_byte: bytes, scan: FileScan) -> int:
    """Record the lines of ``block`` holding a quote; return the line number after the block."""
    pos = block.find(b'"')
    counted = 0  # newlines of block[:counted] are in ``line``
    while pos >= 0:
        line += block.count(b"\n", counted, pos)
        counted = pos
        numbers = scan.quote_line_numbers
        if not numbers or numbers[-1] != line:
            start = block.rfind(b"\n", 0, pos) + 1
            numbers.append(line)
            if start == 0 and offset and last_byte != b"\n":
                scan.quote_line_starts.append(_line_start(scan.path, offset))  # began in an earlier block
            else:
                scan.quote_line_starts.append(offset + start)
        nl = block.find(b"\n", pos)
        if nl < 0:
            break
        pos = block.find(b'"', nl)
    return line + block.count(b"\n", counted)


def read_header(path: Path, source: str, expected: Sequence[str]) -> None:
    """Check the first line is exactly ``expected`` (names stripped of blanks); fatal otherwise."""
    with open(path, "rb") as f:
        first = f.readline(1 << 20)
    if not first:
        raise FatalInputError(source, "file is empty")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as err:
        column = err.start + 1 - (len(BOM) if first.startswith(BOM) else 0)
        raise FatalInputError(
            source, f"not valid UTF-8 (byte 0x{first[err.start : err.start + 1].hex()} at column {column})", 1
        ) from err
    text = text.removeprefix("\ufeff").rstrip("\r\n")
    if not text.strip():
        raise FatalInputError(source, "file is empty (no header)", 1)
    try:
        got = next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration) as err:
        raise FatalInputError(source, f"header is not valid CSV: {err}", 1) from err
    got = [h.strip() for h in got]
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


def quoted_records(
    scan: FileScan, width: int, write: Callable[[QuotedRecord], None]
) -> tuple[int, list[int]]:
    """Parse every record that holds a quote (strict ``csv``), handing each to ``write`` as it comes;
    return how many, and the lines *inside* multi-line records (not record starts: the engine must
    skip them)."""
    count = 0
    inside: list[int] = []
    if not scan.quote_line_numbers:
        return count, inside
    with open(scan.path, "rb") as f:
        consumed = 1  # the header is checked by read_header
        for line_no, start in scan.quote_lines:
            if line_no <= consumed:
                continue
            f.seek(start)
            record = _parse_record(f, line_no, width, scan)
            write(record)
            count += 1
            inside.extend(range(line_no + 1, record.last_line + 1))
            consumed = record.last_line
    return count, inside


def _parse_record(f: io.BufferedReader, line_no: int, width: int, scan: FileScan) -> QuotedRecord:
    pulled: list[bytes] = []

    def lines() -> Iterator[str]:
        while True:
            raw = f.readline()
            if not raw:
                return
            if len(pulled) >= MAX_RECORD_LINES:
                raise FatalInputError(scan.source, "unterminated quoted field (quote never closed)", line_no)
            pulled.append(raw)
            yield raw.decode("utf-8")

    reader = csv.reader(lines(), strict=True)
    problem: str | None = None
    fields: tuple[str, ...] = ()
    try:
        fields = tuple(next(reader))
    except csv.Error as err:
        at_end = not pulled or not pulled[-1].endswith(b"\n")
        problem = (
            TRUNCATED_LAST_LINE
            if "unexpected end of data" in str(err) or at_end and "EOF" in str(err)
            else f"malformed quoting: {err}"
        )
    except StopIteration:
        problem = TRUNCATED_LAST_LINE
    last_line = line_no + max(len(pulled), 1) - 1
    raw = b"".join(pulled).decode("utf-8").rstrip("\r\n")
    if problem is None and len(fields) != width:
        at_end = last_line == scan.lines and not scan.ends_with_newline
        problem = TRUNCATED_LAST_LINE if at_end else WRONG_FIELD_COUNT
    return QuotedRecord(line_no, last_line, raw, fields, problem)


def find_bad_utf8(path: Path, source: str) -> FatalInputError | None:
    """The first byte that is not UTF-8, as a fatal error naming its line and column (None: all good).

    Not part of :func:`scan_file`: DuckDB checks the encoding as it reads, and this slower pass only
    runs to name the place once it has failed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            pending = len(decoder.getstate()[0])  # bytes of a character split at the previous block's end
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                bad_at = max(0, err.start - pending)
                before = block[:bad_at]
                line_no = line + before.count(b"\n")
                column = bad_at - (before.rfind(b"\n") + 1) + 1
                if line_no == 1 and offset == 0 and block.startswith(BOM):
                    column -= len(BOM)
                byte = block[bad_at : bad_at + 1].hex()
                return FatalInputError(source, f"not valid UTF-8 (byte 0x{byte} at column {column})", line_no)
            line += block.count(b"\n")
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return FatalInputError(source, "not valid UTF-8 (the file ends inside a multi-byte character)", line)
    return None


def _check_carriage_returns(block: bytes, last_byte: bytes, source: str, line: int) -> None:
    """Only LF or CRLF line ends: a bare CR would renumber every later line of the engine's scan."""
    bare = 0 if last_byte == b"\r" and not block.startswith(b"\n") else -1
    if bare < 0 and block.count(b"\r") != block.count(b"\r\n"):
        pos = block.find(b"\r")
        while pos >= 0 and block[pos + 1 : pos + 2] == b"\n":
            pos = block.find(b"\r", pos + 1)
        bare = pos if pos >= 0 and pos != len(block) - 1 else -1  # a CR ending the block: its LF is next
    if bare < 0:
        return
    before = block[:bare]
    column = bare - before.rfind(b"\n")
    raise FatalInputError(
        source,
        f"bare carriage return (CR not followed by LF) at column {column}: only LF or CRLF line ends are supported",
        line + before.count(b"\n"),
    )


def _line_start(path: Path, end: int) -> int:
    """File offset of the start of the line running into offset ``end`` (it crossed a block boundary)."""
    with open(path, "rb") as f:
        pos = end
        while pos > 0:
            back = max(0, pos - (1 << 20))
            f.seek(back)
            nl = f.read(pos - back).rfind(b"\n")
            if nl >= 0:
                return back + nl + 1
            pos = back
    return 0


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes (hashlib releases the GIL: ~0.06 s per 75 MB here)."""
    sha = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while block := f.read(BLOCK):
            sha.update(block)
    return sha.hexdigest()
