"""What a generator wrote: the truth tests and benchmarks compare the loading stack against."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class GeneratedFile:
    path: Path
    rows: int = 0  # data records written (excluding the header), bad ones included
    defects: Counter = field(default_factory=Counter)  # defect kind -> rows
    duplicates: int = 0  # rows superseded by a later row with the same key
    truncated_last_line: bool = False
    keys: list[Any] = field(default_factory=list)  # keys of the good rows, when asked for

    def expected_reasons(self, reasons: dict[str, str]) -> Counter:
        """The quarantine reasons these defects must give (``reasons``: defect kind -> reason)."""
        out: Counter = Counter()
        for kind, n in self.defects.items():
            out[reasons[kind]] += n
        return out


@contextmanager
def csv_writer(
    path: str | Path, header: Sequence[str], *, bom: bool = False, crlf: bool = False
) -> Iterator[tuple[Any, Any]]:
    """An open file and a ``csv.writer`` on it, the header written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        yield f, writer


def emit(
    writer: Any,
    out: GeneratedFile,
    rng: Any,
    row: list[str],
    *,
    dirty: bool,
    defect_rate: float,
    duplicate_rate: float,
    defects: Sequence[str],
    spoil: Any,
    stale: Any,
) -> None:
    """Write ``row``: as it is, or (``dirty``) spoiled by one of ``defects`` (``spoil(row, kind)``)
    or preceded by an older version of itself (``stale(row)``, None: it has none) that it supersedes."""
    r = rng.random() if dirty else 1.0
    if r < defect_rate:
        kind = defects[rng.randrange(len(defects))]
        row = spoil(row, kind)
        out.defects[kind] += 1
    elif r < defect_rate + duplicate_rate and (older := stale(row)) is not None:
        writer.writerow(older)
        out.rows += 1
        out.duplicates += 1
    writer.writerow(row)
    out.rows += 1
