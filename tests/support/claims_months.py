"""Small hand-checked claims months for the report tests: a few claims whose every figure is known.

October 2026 (the report month) and September 2026 (its previous month), written as real landing
files and loaded through the loading stack, so the report reads exactly what a load leaves. The
expected figures are worked out by hand in ``tests/integration/reports/test_financial_figures.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.period import Period
from dataplatform.reports.financial.build import FinancialSources, build_report, read_report
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from tests.support.loads import load_run, run_steps

SEPTEMBER, OCTOBER, NOVEMBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)

# patient_id, name, birth_date, gender, admitted_at, ward, diagnosis_code, billed_amount
PATIENT_ROWS = [
    ["1", "Ada", "1970-01-01", "F", "2026-08-01T10:00:00", "cardiology", "I10", "0"],
    ["2", "Ben", "1980-02-02", "M", "2026-08-02T10:00:00", "oncology", "C50.911", "0"],
    ["3", "Cy", "1990-03-03", "M", "2026-08-03T10:00:00", "er", "", "0"],
]
# claim_id, patient_id, service_date, ward, diagnosis_code, procedure_code, amount, currency, payer_id
BILLING_ROWS = {
    SEPTEMBER: [["S1", "1", "2026-09-10", "cardiology", "I10", "99213", "1100.00", "EUR", "INS-A"]],
    OCTOBER: [
        ["C1", "1", "2026-10-01", "cardiology", "I10", "99213", "100.00", "EUR", "INS-A"],
        ["C2", "1", "2026-10-02", "cardiology", "I10", "99213", "300.00", "EUR", "INS-A"],
        [
            "C3",
            "2",
            "2026-10-03",
            "",
            "",
            "99285",
            "1000.00",
            "EUR",
            "INS-B",
        ],  # ward, diagnosis: the patient's
        ["C4", "3", "2026-10-04", "er", "R07.9", "99285", "600.00", "EUR", ""],  # self-pay
        ["C5", "2", "2026-10-05", "oncology", "C50.911", "36415", "50.00", "USD", "INS-A"],  # not EUR
        ["C6", "3", "2026-10-31", "er", "U99", "99213", "200.00", "EUR", "INS-B"],  # code in no chapter
    ],
}
# claim_id, payer_id, payer_name, status, approved_amount, paid_amount, decision_date
INSURANCE_ROWS = {
    SEPTEMBER: [["S1", "INS-A", "Alpha Health", "denied", "", "", "2026-09-20"]],
    OCTOBER: [
        ["C1", "INS-A", "Alpha Health", "approved", "80.00", "", "2026-10-10"],
        ["C2", "INS-A", "Alpha Health", "denied", "", "", "2026-10-11"],
        ["C3", "INS-B", "Beta Care", "paid", "900.00", "900.00", "2026-10-12"],
        ["C5", "INS-A", "Alpha Health", "approved", "50.00", "", "2026-10-13"],
        ["C6", "INS-B", "Beta Care", "submitted", "", "", ""],
    ],
}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def load_patients(directory: Path) -> None:
    path = write_csv(directory / "patients.csv", PATIENTS.header, PATIENT_ROWS)
    run_steps(PATIENTS, path, load_run(PATIENTS, "2026-12-01"))


def load_month(
    directory: Path,
    month: dt.date,
    billing_rows: Sequence[Sequence[str]] | None = None,
    insurance_rows: Sequence[Sequence[str]] | None = None,
    run_id: str = "scheduled__m",
) -> None:
    """Load ``month``'s billing and insurance files (the hand-checked rows unless given)."""
    label = f"{month:%Y-%m}"
    for contract, rows in (
        (BILLING, billing_rows if billing_rows is not None else BILLING_ROWS[month]),
        (INSURANCE, insurance_rows if insurance_rows is not None else INSURANCE_ROWS[month]),
    ):
        path = write_csv(directory / f"{contract.name}_{label}.csv", contract.header, rows)
        run_steps(contract, path, load_run(contract, "2026-12-01", run_id, period=label))


def load_two_months(warehouse_uri: str, directory: Path) -> None:
    """A fresh warehouse (no loaded tables, no ``bi`` schema) with the patients and the hand-checked
    September and October claims loaded."""
    import psycopg

    from tests.support.loads import drop_tables

    with psycopg.connect(warehouse_uri, autocommit=True) as conn:
        drop_tables(conn)
        conn.execute("DROP SCHEMA IF EXISTS bi CASCADE")
    load_patients(directory)
    load_month(directory, SEPTEMBER)
    load_month(directory, OCTOBER)


def build_financial(month: str, run_id: str = "manual__1") -> dict:
    """Build the financial report of ``month`` (``YYYY-MM``) as the DAG's build task does, in EUR."""
    return build_report(
        WarehouseHook(),
        FinancialSources(BILLING, INSURANCE, PATIENTS),
        Period.parse("month", month),
        currency="EUR",
        dag_id="monthly_financial_report",
        run_id=run_id,
        try_number=1,
    )


def financial_tables(month: str) -> dict[str, list[dict]]:
    """Every financial report table's rows of ``month``."""
    with WarehouseHook().transaction() as conn:
        return read_report(conn, Period.parse("month", month))
