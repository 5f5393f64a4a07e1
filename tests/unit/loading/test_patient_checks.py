"""The patients contract's row checks, one rule at a time, on the fast and the slow path."""

from __future__ import annotations

import datetime as dt

import pytest

from dataplatform.sources.patients import PATIENTS
from tests.support.checks import check_rows, reasons, replaced

TODAY = dt.date(2026, 11, 22)
GOOD = ["17", "Ana Smith", "1990-02-28", "F", "2025-01-01 10:00:00", "icu", "I10", "12.50"]


def reason(row: list[str]) -> str | None:
    return reasons(PATIENTS, [row], run_date=TODAY)[0]


def test_a_good_row_is_loaded_as_written_codes_upper_cased():
    [row] = check_rows(PATIENTS, [replaced(GOOD, 3, "f")], run_date=TODAY)
    assert row["reason"] is None and row["raw_line"] is None
    assert (row["patient_id"], row["name"], row["gender"], row["diagnosis_code"]) == (
        17,
        "Ana Smith",
        "F",
        "I10",
    )


@pytest.mark.parametrize(
    ("index", "value", "expected"),
    [
        (0, "", "patient_id is empty"),
        (0, "  ", "patient_id is empty"),
        (0, "12a", "patient_id is not an integer"),
        (0, "1.5", "patient_id is not an integer"),
        (0, "1_000", "patient_id is not an integer"),  # DuckDB's own cast would take it
        (0, "-3", "patient_id is out of range (0 to 9223372036854775807)"),
        (0, "99999999999999999999", "patient_id is out of range (0 to 9223372036854775807)"),  # over bigint
        (1, "", "name is empty"),
        (1, "   ", "name is empty"),
        (2, "2023-02-30", "birth_date is not a valid date"),
        (2, "1999-13-01", "birth_date is not a valid date"),
        (2, "2025-W01-1", "birth_date is not a valid date"),
        (2, "19900228", "birth_date is not a valid date"),
        (2, "2025-1-5", "birth_date is not a valid date"),  # DuckDB's own cast would take it
        (2, "0000-01-01", "birth_date is not a valid date"),  # PostgreSQL has no year 0
        (2, "2026-11-23", "birth_date is in the future"),
        (4, "", "admitted_at is empty"),
        (4, "2025-02-29 10:00:00", "admitted_at is not a valid timestamp"),
        (4, "2025-01-01 25:00:00", "admitted_at is not a valid timestamp"),
        (
            4,
            "2025-01-01T10:00:00+02:00",
            "admitted_at is not a valid timestamp",
        ),  # an offset would be dropped
        (4, "1980-01-01 00:00:00", "admitted_at is before birth_date"),
        (7, "ten", "billed_amount is not a number"),
        (7, "1e3", "billed_amount is not a number"),
        (7, "-5.00", "billed_amount is out of range (0 to 9999999999.99, 2 decimals)"),
        (7, "10000000000.00", "billed_amount is out of range (0 to 9999999999.99, 2 decimals)"),
        (7, "1.234", "billed_amount is out of range (0 to 9999999999.99, 2 decimals)"),  # would be rounded
        (3, "F\x00", "gender contains a NUL byte (0x00), which PostgreSQL text cannot store"),
    ],
)
def test_each_rule_names_its_reason(index, value, expected):
    assert reason(replaced(GOOD, index, value)) == expected


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (2, ""),  # birth date optional
        (2, "   "),  # blanks only: empty
        (2, "2025-01-01"),  # born on the admission day
        (0, " 17 "),  # typed fields may carry blanks
        (4, "2025-01-01T10:00"),  # T separator, no seconds
        (4, "2025-01-01 10:00:00.123456"),
        (7, ""),
        (7, "+.5"),
        (7, "1."),
        (7, "9999999999.99"),
        (5, "  spaced ward  "),  # free text is kept literally
        (1, "Robert'); DROP TABLE patients;--"),
    ],
)
def test_accepted_values(index, value):
    assert reason(replaced(GOOD, index, value)) is None


def test_born_and_admitted_on_the_run_day():
    row = replaced(GOOD, 2, "2026-11-22")
    row[4] = "2026-11-22 08:00:00"
    assert reason(row) is None


def test_wrong_field_count_comes_first():
    assert reasons(PATIENTS, [GOOD[:6], [*GOOD, "extra"]], run_date=TODAY) == ["wrong number of fields"] * 2


def test_a_rejected_row_keeps_its_raw_text_and_no_values():
    [row] = check_rows(PATIENTS, [replaced(GOOD, 0, "x")], run_date=TODAY)
    assert (
        row["raw_line"] == ",".join(replaced(GOOD, 0, "x"))
        and row["patient_id"] is None
        and row["name"] is None
    )


def test_the_first_broken_rule_wins():
    row = replaced(GOOD, 0, "x")
    row[7] = "ten"
    assert reason(row) == "patient_id is not an integer"
