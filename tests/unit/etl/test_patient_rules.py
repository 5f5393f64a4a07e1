"""Row rules of the patients file, one rule at a time, on both the fast and the slow path."""

from __future__ import annotations

import pytest

from dataplatform.etl.patients import rules
from dataplatform.etl.patients.rules import check_row

TODAY = "2026-11-22"
GOOD = ["17", "Ana Smith", "1990-02-28", "F", "2025-01-01 10:00:00", "icu", "I10", "12.50"]


def with_(index: int, value: str) -> list[str]:
    row = list(GOOD)
    row[index] = value
    return row


def test_good_row_passes_unchanged():
    assert check_row(list(GOOD), TODAY) == (GOOD, None)


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (0, "", rules.PATIENT_ID_EMPTY),
        (0, "  ", rules.PATIENT_ID_EMPTY),
        (0, "12a", rules.PATIENT_ID_NOT_INT),
        (0, "1.5", rules.PATIENT_ID_NOT_INT),
        (0, "-3", rules.PATIENT_ID_NOT_INT),
        (0, "1234567890123456789", rules.PATIENT_ID_NOT_INT),  # over bigint-safe 18 digits
        (1, "", rules.NAME_EMPTY),
        (1, "   ", rules.NAME_EMPTY),
        (2, "2023-02-30", rules.BIRTH_DATE_INVALID),
        (2, "1999-13-01", rules.BIRTH_DATE_INVALID),
        (2, "2025-W01-1", rules.BIRTH_DATE_INVALID),
        (2, "19900228", rules.BIRTH_DATE_INVALID),
        (2, "2026-11-23", rules.BIRTH_DATE_FUTURE),
        (4, "", rules.ADMITTED_AT_EMPTY),
        (4, "2025-02-29 10:00:00", rules.ADMITTED_AT_INVALID),
        (4, "2025-01-01 25:00:00", rules.ADMITTED_AT_INVALID),
        (4, "2025-01-01T10:00:00+02:00", rules.ADMITTED_AT_INVALID),  # offsets would be dropped silently
        (4, "1980-01-01 00:00:00", rules.ADMITTED_BEFORE_BIRTH),
        (7, "ten", rules.AMOUNT_NOT_NUMBER),
        (7, "12,30", rules.AMOUNT_NOT_NUMBER),
        (7, "-5.00", rules.AMOUNT_OUT_OF_RANGE),
        (7, "10000000000.00", rules.AMOUNT_OUT_OF_RANGE),
        (7, "1.234", rules.AMOUNT_OUT_OF_RANGE),
    ],
)
def test_each_rule_names_its_reason(index, value, reason):
    assert check_row(with_(index, value), TODAY) == (None, reason)


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (2, ""),  # birth date optional
        (2, "2025-01-01"),  # born on the admission day
        (3, ""),
        (4, "2025-01-01T10:00"),
        (4, "2025-01-01 10:00:00.123456"),
        (7, ""),
        (7, "9999999999.99"),
        (7, ".5"),
        (7, "0"),
        (1, "Robert'); DROP TABLE patients;--"),
        (1, " Ana "),  # free text is kept literally
    ],
)
def test_accepted_values(index, value):
    row = with_(index, value)
    assert check_row(row, TODAY) == (row, None)


def test_typed_fields_with_blanks_are_stripped_on_the_slow_path():
    values, reason = check_row(with_(0, " 17 "), TODAY)
    assert reason is None
    assert values[0] == "17"


def test_born_on_the_reference_date_is_not_in_the_future():
    row = with_(2, TODAY)
    row[4] = f"{TODAY} 08:00:00"
    assert check_row(row, TODAY) == (row, None)
