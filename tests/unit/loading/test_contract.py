"""Source contracts: declared once, checked when built, rendered as DDL and docs."""

from __future__ import annotations

import datetime as dt

import pytest
from psycopg import sql

from dataplatform.loading.column_types import Date, Decimal, Enum, Integer, Text
from dataplatform.loading.columns import Column, format_pattern
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.ddl import quarantine_ddl, target_ddl
from dataplatform.loading.docs import contract_doc
from dataplatform.loading.period import LoadRun, Period
from dataplatform.loading.rules import AtMost, NotBefore
from dataplatform.sources import CONTRACTS
from dataplatform.sources.billing import BILLING
from dataplatform.sources.patients import PATIENTS


def contract(**changes):
    base = {
        "name": "orders",
        "description": "Orders.",
        "landing_key": "orders/{period}/orders.csv",
        "columns": (
            Column("id", Integer(), required=True),
            Column("total", Decimal(10, 2)),
            Column("at", Date()),
        ),
        "key": ("id",),
        "target": "public.orders",
        "quarantine": "public.orders_rejected",
    }
    return SourceContract(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key": ("nope",)}, "unknown key column 'nope'"),
        ({"key": ("total",)}, "key column 'total' must be required"),
        ({"latest_by": ("when",)}, "unknown latest_by column 'when'"),
        ({"rules": (NotBefore("at", "born"),)}, "column 'born'"),
        ({"landing_key": "orders/orders.csv"}, "landing_key needs a {period} placeholder"),
        ({"partition_column": "total"}, "partition column 'total' clashes"),
        ({"max_reject_ratio": 2}, "max_reject_ratio must be between 0 and 1"),
        ({"target": "public.orders; DROP"}, "not a plain identifier"),
        ({"columns": (Column("id", Integer(), required=True), Column("id", Text()))}, "listed twice"),
    ],
)
def test_a_bad_contract_fails_when_built(changes, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        contract(**changes)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Column("1id", Text()), "not a plain identifier"),
        (lambda: Column("id", Integer(), normalise="upper"), "only text and codes can be normalised"),
        (lambda: Integer("huge"), "Integer pg type must be one of"),
        (lambda: Decimal(5, 5), "0 <= scale < precision"),
        (lambda: Decimal(5, 2, ge=0, gt=0), "one lower bound"),
        (lambda: Date(formats=("%d.%b.%Y",)), "only %Y, %m, %d"),
        (lambda: Enum(()), "at least one value"),
    ],
)
def test_bad_columns_fail_when_built(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_the_fingerprint_changes_with_any_rule():
    assert contract().fingerprint == contract().fingerprint
    assert (
        contract().fingerprint != contract(columns=(Column("id", Integer(ge=1), required=True),)).fingerprint
    )
    assert contract().fingerprint != contract(rules=(AtMost("total", "total"),)).fingerprint
    assert len({c.fingerprint for c in CONTRACTS.values()}) == 3


def test_the_header_asset_and_landing_key_come_from_the_contract():
    assert PATIENTS.header == [
        "patient_id",
        "name",
        "birth_date",
        "gender",
        "admitted_at",
        "ward",
        "diagnosis_code",
        "billed_amount",
    ]
    assert BILLING.asset_name == "warehouse.public.billing_claims"
    assert BILLING.landing_uri("landing", "2026-10") == "s3://landing/billing/2026-10/billing_data.csv"
    assert format_pattern("%d/%m/%Y") == "[0-9]{2}/[0-9]{2}/[0-9]{4}"


def test_target_and_quarantine_ddl():
    ddl = target_ddl(BILLING).as_string(None)
    assert (
        '"claim_id" text NOT NULL' in ddl
        and '"amount" numeric(12,2) NOT NULL' in ddl
        and '"payer_id" text,' in ddl
    )
    assert '"billing_month" date NOT NULL' in ddl and 'PRIMARY KEY ("claim_id")' in ddl
    assert (
        'CREATE INDEX IF NOT EXISTS "billing_claims_billing_month" ON "public"."billing_claims" USING brin'
        in ddl
    )
    assert "source_file text NOT NULL, line_no integer NOT NULL, raw_line text NOT NULL" in quarantine_ddl(
        BILLING
    ).as_string(None)
    assert isinstance(target_ddl(PATIENTS), sql.Composed)


def test_the_docs_list_every_column_and_rule():
    doc = contract_doc(BILLING)
    for name in BILLING.header:
        assert f"| `{name}` |" in doc
    assert "`service_date` inside the file's period: else *service_date is outside the file's period*" in doc
    assert "`patient_id` exists in `public.patients.patient_id`: else *unknown patient*" in doc
    assert "s3://<landing bucket>/billing/<YYYY-MM>/billing_data.csv" in doc


def test_periods_and_runs():
    oct_ = Period.parse("month", "2026-10")
    assert (oct_.start, oct_.end, oct_.label) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1), "2026-10")
    assert Period.containing("month", dt.date(2026, 12, 31)).end == dt.date(2027, 1, 1)
    assert Period.parse("day", "2026-10-05").end == dt.date(2026, 10, 6)
    with pytest.raises(ValueError, match="period '2026-10' is not a day"):
        Period.parse("day", "2026-10")
    run = LoadRun("dag", "manual__1", 2, dt.date(2026, 11, 1), oct_)
    assert LoadRun.from_dict(run.as_dict()) == run
    assert run.key.startswith("dag_") and run.key.endswith("_t2")
