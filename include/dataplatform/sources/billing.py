"""The monthly billing extract: one row per claim, replacing that month's rows of ``public.billing_claims``."""

from __future__ import annotations

from dataplatform.loading.column_types import Date, Decimal, Enum, Integer, Text
from dataplatform.loading.columns import Column
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.rules import InPeriod, References

#: ISO 4217 currencies the hospital bills in; any other code is a rejected row.
ACCEPTED_CURRENCIES = ("EUR", "USD", "GBP", "CHF")
#: A claim's id, as billing issues it and insurers quote it.
CLAIM_ID = Column(
    "claim_id",
    Text(
        max_length=64,
        pattern="[A-Za-z0-9_-]+",
        pattern_reason="claim_id has characters other than letters, digits, - and _",
    ),
    required=True,
)

BILLING = SourceContract(
    name="billing",
    description="Billed claims of one month (one row per claim), from the monthly billing extract.",
    landing_key="billing/{period}/billing_data.csv",
    columns=(
        CLAIM_ID,
        Column("patient_id", Integer("bigint", ge=0), required=True),
        Column("service_date", Date(), required=True),
        Column("ward", Text()),
        Column("diagnosis_code", Text(), normalise="upper"),
        Column("procedure_code", Text(), normalise="upper"),
        Column("amount", Decimal(12, 2, gt=0, lt=1_000_000), required=True),
        Column(
            "currency",
            Enum(ACCEPTED_CURRENCIES, label="an accepted ISO 4217 currency"),
            required=True,
            normalise="upper",
        ),
        Column("payer_id", Text(max_length=64)),
    ),
    key=("claim_id",),
    rules=(
        InPeriod("service_date"),
        References("patient_id", "public.patients", reason_text="unknown patient"),
    ),
    target="public.billing_claims",
    quarantine="public.billing_claims_rejected",
    period="month",
    partition_column="billing_month",
    max_reject_ratio=0.05,
    owner="finance-data",
    tags=("billing", "finance"),
)
