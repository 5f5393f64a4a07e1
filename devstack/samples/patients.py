"""Seeded patients files: clean, or dirty with every defect the patients contract must reject.

Streams to disk line by line, so 5M rows cost no memory. Patient ids are 1..rows (the billing
generator's claims refer to them).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

from dataplatform.sources.patients import PATIENTS
from devstack.samples.generated import GeneratedFile, csv_writer

HEADER = tuple(PATIENTS.header)
FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eve",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
    "Mo",
    "Nia",
)
LAST = ("Smith", "García", "Okafor", "Nguyen", "Müller", "O'Brien", "Kowalski", "Tanaka", "Silva", "Haddad")
GENDERS = ("F", "M", "X", "U")
WARDS = ("cardiology", "oncology", "maternity", "icu", "orthopedics", "neurology", "er")
DIAGNOSES = ("I10", "E11.9", "J45.909", "C50.911", "O80", "S72.001A", "G40.909", "R07.9")

#: Dirty-row kinds and the reason the patients contract must reject them with.
DEFECTS = {
    "null_id": "patient_id is empty",
    "bad_id": "patient_id is not an integer",
    "impossible_date": "birth_date is not a valid date",
    "future_birth": "birth_date is in the future",
    "bad_amount": "billed_amount is not a number",
    "amount_range": "billed_amount is out of range (0 to 9999999999.99, 2 decimals)",
    "field_count": "wrong number of fields",
}


def _row(rng: random.Random, pid: int, today: date) -> list[str]:
    birth = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 33000))
    admitted = datetime(2025, 1, 1) + timedelta(seconds=rng.randrange(0, 60 * 60 * 24 * 600))
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if rng.random() < 0.01:
        name = f"{name}, Jr."  # quoted comma
    if rng.random() < 0.002:
        name = "Robert'); DROP TABLE patients;--"
    diagnosis = rng.choice(DIAGNOSES)
    if rng.random() < 0.001:
        diagnosis = f"{diagnosis}\nsee notes"  # quoted newline
    amount = f"{rng.randrange(0, 5_000_000) / 100:.2f}"
    return [
        str(pid),
        name,
        birth.isoformat(),
        rng.choice(GENDERS),
        admitted.isoformat(sep=" "),
        rng.choice(WARDS),
        diagnosis,
        amount,
    ]


def _spoil(rng: random.Random, row: list[str], kind: str, today: date) -> list[str]:
    row = list(row)
    if kind == "null_id":
        row[0] = ""
    elif kind == "bad_id":
        row[0] = rng.choice(["12a", "1.5", "abc", "-", "1_000"])
    elif kind == "impossible_date":
        row[2] = rng.choice(["2023-02-30", "1999-13-01", "not-a-date"])
    elif kind == "future_birth":
        row[2] = (today + timedelta(days=rng.randrange(1, 3000))).isoformat()
    elif kind == "bad_amount":
        row[7] = rng.choice(["12,3x", "N/A", "ten"])
    elif kind == "amount_range":
        row[7] = rng.choice(["-5.00", "10000000000.00"])
    elif kind == "field_count":
        row = row[:-2] if rng.random() < 0.5 else [*row, "extra"]
    return row


def write_patients_csv(
    path: str | Path,
    rows: int,
    *,
    seed: int = 42,
    dirty: bool = False,
    defect_rate: float = 0.02,
    duplicate_rate: float = 0.01,
    bom: bool = False,
    crlf: bool = False,
    truncate_last_line: bool = False,
    today: date | None = None,
) -> GeneratedFile:
    """Write ``rows`` patient records to ``path`` and return what was written.

    ``dirty`` mixes in every defect of ``DEFECTS`` (``defect_rate`` of rows) and duplicate ids
    with an earlier ``admitted_at`` (``duplicate_rate``). ``truncate_last_line`` cuts the final
    record in the middle of a quoted field, as an interrupted upload would.
    """
    rng = random.Random(seed)
    today = today or date.today()
    out = GeneratedFile(Path(path))
    kinds = list(DEFECTS)
    with csv_writer(out.path, HEADER, bom=bom, crlf=crlf) as (f, writer):
        next_id = 1
        dup_candidates: list[int] = []  # recent ids whose only row so far is valid
        for _ in range(rows - (1 if truncate_last_line else 0)):
            row = _row(rng, next_id, today)
            r = rng.random() if dirty else 1.0
            if r < defect_rate:
                kind = kinds[rng.randrange(len(kinds))]
                row = _spoil(rng, row, kind, today)
                out.defects[kind] += 1
            elif r < defect_rate + duplicate_rate and dup_candidates:
                # an older admission of an id written before: superseded by that earlier-written row
                row[0] = str(dup_candidates.pop(rng.randrange(len(dup_candidates))))
                row[4] = "2024-12-31 23:59:59"
                out.duplicates += 1
            else:
                dup_candidates.append(next_id)
                if len(dup_candidates) > 1000:
                    dup_candidates.pop(0)
            next_id += 1
            writer.writerow(row)
            out.rows += 1
        if truncate_last_line:
            row = _row(rng, next_id, today)
            f.write(",".join(row[:6]) + ',"' + row[6][:2])  # unterminated quoted field, no newline
            out.rows += 1
            out.truncated_last_line = True
    return out
