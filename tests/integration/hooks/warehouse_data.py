"""Tables, CSV bodies and helpers shared by the WarehouseHook integration tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

PATIENTS_COLUMNS = """
    patient_id      bigint PRIMARY KEY,
    name            text NOT NULL,
    birth_date      date,
    gender          text,
    admitted_at     timestamp NOT NULL,
    ward            text,
    diagnosis_code  text,
    billed_amount   numeric(12, 2)
"""
HEADER = "patient_id,name,birth_date,gender,admitted_at,ward,diagnosis_code,billed_amount"
ROBERT = "Robert'); DROP TABLE patients;--"
#: BOM, CRLF, a quoted comma, a quoted newline, SQL-looking text, empty fields (NULL).
MESSY = (
    "\ufeff" + HEADER + "\r\n"
    '1,"Smith, Jr.",1980-05-01,F,2026-01-02 08:00:00,icu,I10,100.50\r\n'
    f"2,{ROBERT},,M,2026-01-03 09:30:00,er,E11.9,\r\n"
    '3,"Multi\nLine",1975-12-31,X,2026-01-04 10:00:00,,"R07.9",0\r\n'
)
MESSY_ROWS = [
    (1, "Smith, Jr.", dt.date(1980, 5, 1), "F", dt.datetime(2026, 1, 2, 8), "icu", "I10", Decimal("100.50")),
    (2, ROBERT, None, "M", dt.datetime(2026, 1, 3, 9, 30), "er", "E11.9", None),
    (
        3,
        "Multi\nLine",
        dt.date(1975, 12, 31),
        "X",
        dt.datetime(2026, 1, 4, 10),
        None,
        "R07.9",
        Decimal("0.00"),
    ),
]


def write(tmp_path, body: str | bytes, name: str = "patients.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode(encoding))
    return str(path)


def rows(snap: list[tuple]) -> list[tuple]:
    """A snapshot without the xmin column."""
    return [r[1:] for r in snap]


def patients(n: int, *, first: int = 1, name: str = "P") -> str:
    return "".join(
        f"{i},{name}{i},1990-01-01,F,2026-01-01 00:00:00,icu,I10,{i}.00\n" for i in range(first, first + n)
    )
