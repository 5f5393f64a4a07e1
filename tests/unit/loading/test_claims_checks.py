"""The billing and insurance contracts' row checks, on the fast and the slow path."""

from __future__ import annotations

import datetime as dt

import pytest

from dataplatform.loading.period import Period
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from tests.support.checks import check_rows, reasons, replaced

OCTOBER = Period.containing("month", dt.date(2026, 10, 1))
RUN = dt.date(2026, 11, 1)
BILL = ["C202610-0000001", "7", "2026-10-15", "icu", "i10", "99213", "120.00", "EUR", "INS-01"]
CLAIM = ["C202610-0000001", "INS-01", "Helvetic Health", "paid", "100.00", "80.00", "2026-10-20"]


def billing(row: list[str]) -> str | None:
    return reasons(BILLING, [row], run_date=RUN, period=OCTOBER, references={"patient_id": [7, 8]})[0]


def test_a_good_claim_is_loaded_codes_upper_cased():
    [row] = check_rows(
        BILLING, [replaced(BILL, 7, " eur ")], run_date=RUN, period=OCTOBER, references={"patient_id": [7]}
    )
    assert row["reason"] is None
    assert (row["claim_id"], row["diagnosis_code"], row["currency"], row["payer_id"]) == (
        "C202610-0000001",
        "I10",
        "EUR",
        "INS-01",
    )


@pytest.mark.parametrize(
    ("index", "value", "expected"),
    [
        (0, "", "claim_id is empty"),
        (0, "C 1", "claim_id has characters other than letters, digits, - and _"),
        (0, "C" * 65, "claim_id is longer than 64 characters"),
        (1, "9", "unknown patient"),
        (1, "x", "patient_id is not an integer"),
        (2, "2026-11-01", "service_date is outside the file's period"),
        (2, "2026-09-30", "service_date is outside the file's period"),
        (2, "2026-10-32", "service_date is not a valid date"),
        (6, "0.00", "amount is out of range (> 0 and < 1000000, 2 decimals)"),
        (6, "-1", "amount is out of range (> 0 and < 1000000, 2 decimals)"),
        (6, "1000000", "amount is out of range (> 0 and < 1000000, 2 decimals)"),
        (6, "", "amount is empty"),
        (6, "12,3", "amount is not a number"),  # a quoted "12,3"
        (7, "JPY", "currency is not an accepted ISO 4217 currency"),
        (7, "", "currency is empty"),
    ],
)
def test_each_billing_rule_names_its_reason(index, value, expected):
    assert billing(replaced(BILL, index, value)) == expected


@pytest.mark.parametrize(
    ("index", "value"), [(6, "999999.99"), (6, "0.01"), (2, "2026-10-31"), (8, ""), (7, "usd")]
)
def test_accepted_billing_values(index, value):
    assert billing(replaced(BILL, index, value)) is None


def insurance(row: list[str]) -> str | None:
    return reasons(INSURANCE, [row], run_date=RUN, period=OCTOBER)[0]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({5: "100.01"}, "paid_amount is greater than approved_amount"),
        ({3: "denied", 4: "", 5: "5.00"}, "paid_amount must be empty when status is denied"),
        ({3: "pending"}, "status is not one of submitted, approved, denied, paid, appealed"),
        ({4: "-5.00"}, "approved_amount is out of range (>= 0 and < 1000000, 2 decimals)"),
        ({4: "N/A"}, "approved_amount is not a number"),
        ({1: ""}, "payer_id is empty"),
        ({6: "2026-02-30"}, "decision_date is not a valid date"),
    ],
)
def test_each_insurance_rule_names_its_reason(changes, expected):
    row = list(CLAIM)
    for i, v in changes.items():
        row[i] = v
    assert insurance(row) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {3: "Approved", 5: ""},
        {3: "denied", 4: "", 5: ""},
        {3: "submitted", 4: "", 5: "", 6: ""},
        {5: "100.00"},
    ],
)
def test_accepted_insurance_rows(changes):
    row = list(CLAIM)
    for i, v in changes.items():
        row[i] = v
    assert insurance(row) is None
