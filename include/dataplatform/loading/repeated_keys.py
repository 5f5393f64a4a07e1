"""Keys that may repeat in a file, found on the way to the warehouse, in bounded memory.

The de-duplication step (:mod:`~dataplatform.loading.dedup`) only has to look at keys that occur
more than once. Counting every key exactly needs memory that grows with the file (DuckDB's hash
aggregate took ~70 MB for 1M keys and could not spill). Instead the CSV stream DuckDB writes into
PostgreSQL -- key fields first on every line -- passes through :class:`RepeatedKeys`, which hashes
each line's key with numpy (a whole 1 MiB chunk at a time) and sets one bit per key in a fixed
bitmap: a key whose bit is already set is a *candidate*. True repeats are always candidates; a few
others are too (bit collisions, ~3 % of keys at 32 bits per expected row), which costs the
de-duplication a little more work, never a wrong result.

Every line of the watched stream is one record (it carries the plain lines of the file, which hold
no newline). Lines whose key is quoted or longer than :data:`MAX_KEY_BYTES` are parsed one by one
in Python (rare); lines with an empty key (a rejected row carries no values) are skipped. Keys of
rows that reach staging another way are added with :meth:`RepeatedKeys.add`.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

BITS_PER_ROW = 32
MAX_BITS = 1 << 27  # 16 MiB: flat memory; past ~4M rows more keys are candidates (dedup does a little more)
MAX_KEY_BYTES = 24
#: Candidates held in memory before they are appended to the spill file.
SPILL_AT = 20_000
_PRIME_INT = 0x100000001B3
_PRIME = np.uint64(_PRIME_INT)
_MASK64 = (1 << 64) - 1


class RepeatedKeys:
    """Watch CSV chunks whose first ``width`` fields are the key; collect candidate repeats."""

    def __init__(self, width: int, expected_rows: int, spill: Path | None = None) -> None:
        self.width = width
        bits = 1 << max(20, (max(expected_rows, 1) * BITS_PER_ROW - 1).bit_length())
        self._bits = min(bits, MAX_BITS)
        self._bitmap = np.zeros(self._bits >> 3, dtype=np.uint8)
        self._tail = b""
        #: Candidates found so far, kept in memory up to SPILL_AT, then appended to ``spill`` (a
        #: file): memory stays flat however many keys a big file repeats or collides.
        self.candidates: set[tuple[str, ...]] = set()
        self.count = 0
        self._spill = spill
        if spill is not None:
            spill.write_bytes(b"")

    def watch(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Pass ``chunks`` through unchanged; each complete line's key is looked at in a thread
        beside the stream (numpy releases the GIL for most of the work), so the stream never waits."""
        pending: queue.Queue[bytes | None] = queue.Queue(maxsize=256)
        errors: list[BaseException] = []

        def work() -> None:
            tail = b""
            try:
                while (chunk := pending.get()) is not None:
                    data = tail + chunk
                    end = data.rfind(b"\n") + 1
                    tail = data[end:]
                    if end:
                        self._look(data[:end])
            except BaseException as err:
                errors.append(err)
                while pending.get() is not None:  # keep draining so the stream never blocks
                    pass

        worker = threading.Thread(target=work, name="repeated-keys", daemon=True)
        worker.start()
        try:
            for chunk in chunks:
                pending.put(chunk)
                yield chunk
        finally:
            pending.put(None)
            worker.join()
        if errors:
            raise errors[0]

    def add(self, keys: Iterable[tuple[object, ...]]) -> None:
        """Make these keys candidates (keys of rows that did not go through :meth:`watch`)."""
        for key in keys:
            self._found(tuple("" if v is None else str(v) for v in key))

    def _found(self, key: tuple[str, ...]) -> None:
        if key in self.candidates:
            return
        self.candidates.add(key)
        self.count += 1
        if self._spill is not None and len(self.candidates) >= SPILL_AT:
            self._flush()

    def _flush(self) -> None:
        assert self._spill is not None
        with open(self._spill, "ab") as f:
            f.write(_csv(self.candidates))
        self.candidates.clear()

    def _look(self, data: bytes) -> None:
        arr = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        # the key field: up to the first comma within MAX_KEY_BYTES of the line's start
        idx = np.minimum(starts[:, None] + np.arange(MAX_KEY_BYTES + 1), len(arr) - 1)
        window = arr[idx]
        is_comma = window == 44
        lengths = is_comma.argmax(axis=1)
        simple = is_comma[np.arange(len(starts)), lengths] & (lengths > 0) & (window[:, 0] != 34)
        simple &= starts + lengths < ends  # the comma is on this line
        if self.width > 1:  # fields of a composite key may be quoted anywhere: parse each line
            simple[:] = False
        self._python(data, starts[~simple], ends[~simple])
        starts, lengths, window = starts[simple], lengths[simple], window[simple]
        if not len(starts):
            return
        longest = int(lengths.max())
        window = np.where(np.arange(longest) < lengths[:, None], window[:, :longest], 0).astype(np.uint64)
        h = lengths.astype(np.uint64)
        for j in range(longest):  # FNV-style over each key's own bytes (not the padding), all lines at once
            h = np.where(j < lengths, (h ^ window[:, j]) * _PRIME, h)
        h = (h ^ (h >> np.uint64(29))) % np.uint64(self._bits)
        byte, bit = (
            (h >> np.uint64(3)).astype(np.int64),
            np.left_shift(1, (h & np.uint64(7)).astype(np.uint8)),
        )
        seen = (self._bitmap[byte] & bit) != 0
        _, first = np.unique(h, return_index=True)
        again = np.ones(len(h), dtype=bool)
        again[first] = False  # a second line of this chunk with the same hash
        np.bitwise_or.at(self._bitmap, byte, bit)
        for i in np.flatnonzero(seen | again).tolist():
            self._found((data[starts[i] : starts[i] + lengths[i]].decode(),))

    def _python(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> None:
        """Lines the vectorised path leaves: parse their key with ``csv`` (rare), same hash and bitmap."""
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            line = data[s:e].decode("utf-8", "replace")
            try:
                row = next(csv.reader([line]), [])[: self.width]
            except csv.Error:
                continue
            if len(row) < self.width or all(v == "" for v in row):
                continue
            text = row[0].encode() if self.width == 1 else ",".join(row).encode()
            h = len(text)
            for byte in text:
                h = ((h ^ byte) * _PRIME_INT) & _MASK64
            h = (h ^ (h >> 29)) % self._bits
            byte_index, bit = h >> 3, 1 << (h & 7)
            if self._bitmap[byte_index] & bit:
                self._found(tuple(row))
            else:
                self._bitmap[byte_index] |= bit

    def csv(self) -> Iterator[bytes]:
        """Every candidate key as CSV (fields quoted); one kept in memory and spilled both may repeat."""
        if self._spill is not None:
            with open(self._spill, "rb") as f:
                while block := f.read(1 << 20):
                    yield block
        if self.candidates:
            yield _csv(self.candidates)


def _csv(keys: Iterable[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(keys)
    return out.getvalue().encode()
