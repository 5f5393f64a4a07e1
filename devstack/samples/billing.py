"""Seeded monthly billing files: one claim per row for patients 1..N, clean or with every defect.

Claim ids are ``C<YYYYMM>-<n>``; service dates fall in the month; a claim has an insurer's payer id
or none (self-pay). :func:`claims` gives the same claims to the insurance generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dataplatform.loading.period import Period
from dataplatform.sources.billing import BILLING
from devstack.samples.generated import GeneratedFile, csv_writer, emit
from devstack.samples.patients import DIAGNOSES, WARDS

HEADER = tuple(BILLING.header)
#: Procedure codes and a typical billed amount; a claim is billed around it (log-normal), and a few
#: claims are billed several times over (the report's outliers).
PROCEDURES = {
    "99213": 150.0,
    "99285": 1200.0,
    "93000": 80.0,
    "71046": 120.0,
    "36415": 25.0,
    "80053": 60.0,
    "45378": 1800.0,
    "27447": 28000.0,
}
OUTLIER_SHARE = 0.003
#: Insurers: payer id -> name (the insurance generator writes the names).
PAYERS = {
    "INS-01": "Helvetic Health",
    "INS-02": "Nordic Mutual",
    "INS-03": "Atlantic Care",
    "INS-04": "Iberia Salud",
    "INS-05": "Danube Assurance",
}
SELF_PAY_SHARE = 0.15

#: Dirty-row kinds and the reason the billing contract must reject them with.
DEFECTS = {
    "amount_zero": "amount is out of range (> 0 and < 1000000, 2 decimals)",
    "amount_high": "amount is out of range (> 0 and < 1000000, 2 decimals)",
    "bad_amount": "amount is not a number",
    "bad_currency": "currency is not an accepted ISO 4217 currency",
    "outside_month": "service_date is outside the file's period",
    "bad_date": "service_date is not a valid date",
    "unknown_patient": "unknown patient",
    "empty_claim": "claim_id is empty",
    "field_count": "wrong number of fields",
}


@dataclass(frozen=True)
class Claim:
    claim_id: str
    patient_id: int
    service_date: date
    procedure_code: str
    amount: str
    payer_id: str


def claims(month: date, rows: int, *, patients: int, seed: int) -> list[Claim]:
    """The month's claims (the good rows of :func:`write_billing_csv` with the same arguments)."""
    rng = random.Random(seed)
    period = Period.containing("month", month)
    days = (period.end - period.start).days
    out = []
    for i in range(1, rows + 1):
        payer = "" if rng.random() < SELF_PAY_SHARE else rng.choice(list(PAYERS))
        procedure = rng.choice(list(PROCEDURES))
        amount = PROCEDURES[procedure] * rng.lognormvariate(0, 0.3)
        if rng.random() < OUTLIER_SHARE:
            amount *= rng.uniform(4, 12)
        out.append(
            Claim(
                claim_id=f"C{period.start:%Y%m}-{i:07d}",
                patient_id=rng.randrange(1, patients + 1),
                service_date=period.start + timedelta(days=rng.randrange(days)),
                procedure_code=procedure,
                amount=f"{min(max(amount, 0.01), 999_999.99):.2f}",
                payer_id=payer,
            )
        )
    return out


def write_billing_csv(
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
    """Write the month's ``rows`` claims of patients ``1..patients``; return what was written.

    ``dirty`` mixes in every defect of :data:`DEFECTS` and repeated claims (an earlier line
    superseded by a later one with the same claim id: the later line wins).
    """
    rng = random.Random(seed + 1)
    out = GeneratedFile(Path(path))
    kinds = list(DEFECTS)
    period = Period.containing("month", month)
    with csv_writer(out.path, HEADER) as (_f, writer):
        for claim in claims(month, rows, patients=patients, seed=seed):
            row = [
                claim.claim_id,
                str(claim.patient_id),
                claim.service_date.isoformat(),
                rng.choice(WARDS),
                rng.choice(DIAGNOSES),
                claim.procedure_code,
                claim.amount,
                "EUR" if rng.random() < 0.9 else rng.choice(["USD", "GBP", "CHF"]),
                claim.payer_id,
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
                spoil=lambda r, kind: _spoil(rng, r, kind, period, patients),
                stale=_stale,
            )
    return out


def _stale(row: list[str]) -> list[str]:
    """An earlier version of the claim: superseded by the line after it."""
    return [*row[:6], "1.00", *row[7:]]


def _spoil(rng: random.Random, row: list[str], kind: str, period: Period, patients: int) -> list[str]:
    row = list(row)
    if kind == "amount_zero":
        row[6] = rng.choice(["0.00", "-12.50"])
    elif kind == "amount_high":
        row[6] = rng.choice(["1000000.00", "2500000"])
    elif kind == "bad_amount":
        row[6] = rng.choice(["12.3x", "N/A", "ten"])
    elif kind == "bad_currency":
        row[7] = rng.choice(["JPY", "XXX", "E"])
    elif kind == "outside_month":
        row[2] = (period.end + timedelta(days=rng.randrange(0, 20))).isoformat()
    elif kind == "bad_date":
        row[2] = rng.choice([f"{period.start:%Y-%m}-32", "2026-13-01", "soon"])
    elif kind == "unknown_patient":
        row[1] = str(patients + 1_000_000 + rng.randrange(1000))
    elif kind == "empty_claim":
        row[0] = ""
    elif kind == "field_count":
        row = row[:-2] if rng.random() < 0.5 else [*row, "extra"]
    return row
