"""The daily patients extract: one row per admission, merged into ``public.patients`` per patient."""

from __future__ import annotations

import datetime as dt

from dataplatform.loading.column_types import Date, Decimal, Integer, Text, Timestamp
from dataplatform.loading.columns import Column
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.freshness import Freshness
from dataplatform.loading.rules import NotBefore, NotInFuture

PATIENTS = SourceContract(
    name="patients",
    description="One row per patient (latest admission), from the daily patients extract.",
    landing_key="patients/{period}/patients.csv",
    columns=(
        Column("patient_id", Integer("bigint", ge=0), required=True),
        Column("name", Text(), required=True),
        Column("birth_date", Date()),
        Column("gender", Text(), normalise="upper"),
        Column("admitted_at", Timestamp(), required=True),
        Column("ward", Text()),
        Column("diagnosis_code", Text(), normalise="upper"),
        Column("billed_amount", Decimal(12, 2, ge=0)),
    ),
    key=("patient_id",),
    latest_by=("admitted_at",),
    rules=(NotInFuture("birth_date"), NotBefore("admitted_at", "birth_date")),
    target="public.patients",
    quarantine="public.patients_rejected",
    period="day",
    max_reject_ratio=0.05,
    owner="clinical-data",
    tags=("patients",),
    # the day's snapshot lands early and loads at 06:00: it is late when not loaded by 07:00
    freshness=Freshness(dt.timedelta(hours=7), counted_from="start"),
)
