"""Seeded monthly insurance files: the insurers' decisions on the insured claims of a billing month."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from dataplatform.sources.insurance import INSURANCE
from devstack.samples.billing import PAYERS, claims
from devstack.samples.generated import GeneratedFile, csv_writer, emit

HEADER = tuple(INSURANCE.header)
STATUSES = (("approved", 0.55), ("paid", 0.25), ("denied", 0.10), ("submitted", 0.05), ("appealed", 0.05))

#: Dirty-row kinds and the reason the insurance contract must reject them with.
DEFECTS = {
    "paid_over_approved": "paid_amount is greater than approved_amount",
    "denied_but_paid": "paid_amount must be empty when status is denied",
    "bad_status": "status is not one of submitted, approved, denied, paid, appealed",
    "bad_amount": "approved_amount is not a number",
    "negative_amount": "approved_amount is out of range (>= 0 and < 1000000, 2 decimals)",
    "empty_payer": "payer_id is empty",
    "field_count": "wrong number of fields",
}


def write_insurance_csv(
    path: str | Path,
    month: date,
    rows: int,
    *,
    patients: int,
    seed: int = 7,
    dirty: bool = False,
    defect_rate: float = 0.02,
    duplicate_rate: float = 0.005,
) -> GeneratedFile:
    """Decisions on the insured claims of the billing file written with the same month, rows,
    patients and seed; return what was written. ``dirty`` mixes in every defect of :data:`DEFECTS`
    and repeated claims (an older decision, superseded by a later ``decision_date``)."""
    rng = random.Random(seed + 2)
    out = GeneratedFile(Path(path))
    kinds = list(DEFECTS)
    with csv_writer(out.path, HEADER) as (_f, writer):
        for claim in claims(month, rows, patients=patients, seed=seed):
            if not claim.payer_id:
                continue  # self-pay: no insurer decides on it
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            billed = Decimal(claim.amount)
            approved = (billed * Decimal(rng.randrange(60, 101)) / 100).quantize(Decimal("0.01"))
            paid = approved if status == "paid" else ""
            decided = claim.service_date + timedelta(days=rng.randrange(0, 20))
            row = [
                claim.claim_id,
                claim.payer_id,
                PAYERS[claim.payer_id],
                status,
                "" if status in ("denied", "submitted") else str(approved),
                str(paid),
                "" if status == "submitted" else decided.isoformat(),
            ]
            emit(
                writer,
                out,
                rng,
                row,
                dirty=dirty,
                defect_rate=defect_rate,
                duplicate_rate=duplicate_rate,
                defects=kinds,
                spoil=lambda r, kind, approved=approved: _spoil(rng, r, kind, approved),
                stale=lambda r, decided=decided: (
                    [*r[:3], "submitted", *r[4:6], (decided - timedelta(days=30)).isoformat()]
                    if r[6]
                    else None
                ),
            )
    return out


def _spoil(rng: random.Random, row: list[str], kind: str, approved: Decimal) -> list[str]:
    row = list(row)
    if kind == "paid_over_approved":
        row[3], row[4], row[5] = "paid", str(approved), str(approved + Decimal("10.00"))
    elif kind == "denied_but_paid":
        row[3], row[4], row[5] = "denied", "", "5.00"
    elif kind == "bad_status":
        row[3] = rng.choice(["pending", "unknown", "ok"])
    elif kind == "bad_amount":
        row[4] = rng.choice(["12.3x", "N/A"])
    elif kind == "negative_amount":
        row[4] = "-5.00"
    elif kind == "empty_payer":
        row[1] = ""
    elif kind == "field_count":
        row = row[:-2] if rng.random() < 0.5 else [*row, "extra"]
    return row
