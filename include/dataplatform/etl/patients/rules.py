"""Row rules of the patients file: a good row's values, or the reason it is rejected.

Tuned for ~1 µs per good row: one compiled regex over the whole row decides the common case,
ISO parsing in C confirms calendar dates; only rows that miss the fast path go through the
field-by-field rules, which name the first broken rule.
"""

from __future__ import annotations

import re
from datetime import date, datetime

PATIENT_ID_EMPTY = "patient_id is empty"
PATIENT_ID_NOT_INT = "patient_id is not an integer"
NAME_EMPTY = "name is empty"
BIRTH_DATE_INVALID = "birth_date is not a valid date"
BIRTH_DATE_FUTURE = "birth_date is in the future"
ADMITTED_AT_EMPTY = "admitted_at is empty"
ADMITTED_AT_INVALID = "admitted_at is not a valid timestamp"
ADMITTED_BEFORE_BIRTH = "admitted_at is before birth_date"
AMOUNT_NOT_NUMBER = "billed_amount is not a number"
AMOUNT_OUT_OF_RANGE = "billed_amount is out of range (0 to 9999999999.99, 2 decimals)"

_ID = r"[0-9]{1,18}"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TS = _DATE + r"[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
_AMOUNT = r"\+?[0-9]{1,10}(?:\.[0-9]{0,2})?|\+?\.[0-9]{1,2}"
_TEXT = r"[^\x1f]*"  # free text is stored literally
_NAME = r"[^\x1f\S]*\S[^\x1f]*"  # at least one non-blank character
_SEP = "\x1f"
_FAST = re.compile(_SEP.join([_ID, _NAME, f"(?:{_DATE})?", _TEXT, _TS, _TEXT, _TEXT, f"(?:{_AMOUNT})?"]))
_TYPED = (0, 2, 4, 7)  # fields stripped of surrounding blanks before their rule
_INT_RE = re.compile(_ID)
_DATE_RE = re.compile(_DATE)
_TS_RE = re.compile(_TS)
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_AMOUNT_RE = re.compile(_AMOUNT)


def check_row(fields: list[str], today: str) -> tuple[list[str] | None, str | None]:
    """``(values, None)`` for a good row or ``(None, reason)``.

    Typed fields (id, dates, amount) are stripped of surrounding blanks; free text is kept
    literally; "" means NULL.

    ``today`` (ISO date) is the reference for "in the future": the run's logical date.
    """
    if _FAST.fullmatch(_SEP.join(fields)):
        birth, admitted = fields[2], fields[4]
        try:
            if birth:
                date.fromisoformat(birth)
            datetime.fromisoformat(admitted)
        except ValueError:
            pass
        else:
            if not birth or (birth <= today and admitted[:10] >= birth):
                return fields, None
    values = list(fields)
    for i in _TYPED:
        values[i] = values[i].strip()
    reason = _first_problem(values, today)
    return (None, reason) if reason else (values, None)


def _first_problem(values: list[str], today: str) -> str | None:
    patient_id, name, birth, _gender, admitted, _ward, _diagnosis, amount = values
    if not patient_id:
        return PATIENT_ID_EMPTY
    if not _INT_RE.fullmatch(patient_id):
        return PATIENT_ID_NOT_INT
    if not name.strip():
        return NAME_EMPTY
    if birth:
        if not (_DATE_RE.fullmatch(birth) and _parses(date.fromisoformat, birth)):
            return BIRTH_DATE_INVALID
        if birth > today:
            return BIRTH_DATE_FUTURE
    if not admitted:
        return ADMITTED_AT_EMPTY
    if not (_TS_RE.fullmatch(admitted) and _parses(datetime.fromisoformat, admitted)):
        return ADMITTED_AT_INVALID
    if birth and admitted[:10] < birth:
        return ADMITTED_BEFORE_BIRTH
    if amount:
        if not _NUMBER_RE.fullmatch(amount):
            return AMOUNT_NOT_NUMBER
        if not _AMOUNT_RE.fullmatch(amount):
            return AMOUNT_OUT_OF_RANGE
    return None


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True
