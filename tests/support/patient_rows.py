"""Patients test data shared by the integration and end-to-end tests: lines and the rows they load as."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dataplatform.sources.patients import PATIENTS

HEADER = ",".join(PATIENTS.header)
#: SELECT of the loaded columns, by patient.
SELECT_PATIENTS = "SELECT patient_id, name, birth_date, gender, admitted_at, ward, diagnosis_code, billed_amount FROM public.patients ORDER BY 1"
#: A quoted comma and a name that looks like SQL: stored as written, codes upper-cased.
TRICKY_LINES = [
    '1,"Smith, Jr.",1980-05-01,f,2026-01-02 08:00:00,icu,i10,100.5',
    "2,Robert'); DROP TABLE patients;--,,M,2026-01-03T09:30:00,er,E11.9,",
]
TRICKY_ROWS = [
    (1, "Smith, Jr.", dt.date(1980, 5, 1), "F", dt.datetime(2026, 1, 2, 8), "icu", "I10", Decimal("100.50")),
    (2, "Robert'); DROP TABLE patients;--", None, "M", dt.datetime(2026, 1, 3, 9, 30), "er", "E11.9", None),
]


def good(i: int, name: str | None = None) -> str:
    """A valid line of patient ``i``."""
    return f"{i},{name or f'P{i}'},1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00"
