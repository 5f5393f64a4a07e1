"""The monthly insurance decisions extract: one row per claim, replacing that month's rows of
``public.insurance_claims``."""

from __future__ import annotations

from dataplatform.loading.column_types import Date, Decimal, Enum, Text
from dataplatform.loading.columns import Column
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.rules import AtMost, EmptyWhen
from dataplatform.sources.billing import CLAIM_ID

CLAIM_STATUSES = ("submitted", "approved", "denied", "paid", "appealed")

INSURANCE = SourceContract(
    name="insurance",
    description="Insurers' decisions on the claims of one month (one row per claim), from the monthly insurance extract.",
    landing_key="insurance/{period}/insurance_data.csv",
    columns=(
        CLAIM_ID,
        Column("payer_id", Text(max_length=64), required=True),
        Column("payer_name", Text(max_length=200)),
        Column("status", Enum(CLAIM_STATUSES), required=True, normalise="lower"),
        Column("approved_amount", Decimal(12, 2, ge=0, lt=1_000_000)),
        Column("paid_amount", Decimal(12, 2, ge=0, lt=1_000_000)),
        Column("decision_date", Date()),
    ),
    key=("claim_id",),
    latest_by=("decision_date",),
    rules=(
        AtMost("paid_amount", "approved_amount"),
        EmptyWhen("paid_amount", when="status", equals="denied"),
    ),
    target="public.insurance_claims",
    quarantine="public.insurance_claims_rejected",
    period="month",
    partition_column="claims_month",
    max_reject_ratio=0.05,
    owner="finance-data",
    tags=("insurance", "finance"),
)
