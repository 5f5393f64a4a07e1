"""Diagnosis groups: the chapters of ICD-10-CM, by the range of the code's first three characters."""

from __future__ import annotations

from psycopg import sql

#: (chapter, first code, last code, short title) -- ICD-10-CM 2025 chapter ranges.
CHAPTERS: tuple[tuple[str, str, str, str], ...] = (
    ("I", "A00", "B99", "Infectious and parasitic"),
    ("II", "C00", "D49", "Neoplasms"),
    ("III", "D50", "D89", "Blood and immune"),
    ("IV", "E00", "E89", "Endocrine and metabolic"),
    ("V", "F01", "F99", "Mental and behavioural"),
    ("VI", "G00", "G99", "Nervous system"),
    ("VII", "H00", "H59", "Eye"),
    ("VIII", "H60", "H95", "Ear"),
    ("IX", "I00", "I99", "Circulatory system"),
    ("X", "J00", "J99", "Respiratory system"),
    ("XI", "K00", "K95", "Digestive system"),
    ("XII", "L00", "L99", "Skin"),
    ("XIII", "M00", "M99", "Musculoskeletal"),
    ("XIV", "N00", "N99", "Genitourinary"),
    ("XV", "O00", "O9A", "Pregnancy and childbirth"),
    ("XVI", "P00", "P96", "Perinatal"),
    ("XVII", "Q00", "Q99", "Congenital"),
    ("XVIII", "R00", "R99", "Symptoms and findings"),
    ("XIX", "S00", "T88", "Injury and poisoning"),
    ("XX", "V00", "Y99", "External causes"),
    ("XXI", "Z00", "Z99", "Health services contact"),
    ("XXII", "U00", "U85", "Special purposes"),
)
#: Group of a claim without a diagnosis code, and of a code in no chapter.
NO_DIAGNOSIS = ("-", "No diagnosis code")
UNCLASSIFIED = ("?", "Unclassified code")


def chapters_values() -> sql.Composed:
    """``(VALUES (...), ...)`` of :data:`CHAPTERS` for a SQL join on the code range."""
    rows = [sql.SQL("({})").format(sql.SQL(", ").join(map(sql.Literal, chapter))) for chapter in CHAPTERS]
    return sql.SQL("(VALUES {})").format(sql.SQL(", ").join(rows))
