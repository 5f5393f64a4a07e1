"""Every figure of the financial report on a hand-checked month (tests/support/claims_months.py).

October 2026, in EUR: C1 100 + C2 300 (cardiology, I10, Alpha Health: approved 80 / denied),
C3 1000 (ward and diagnosis from patient 2: oncology, C50.911; Beta Care: paid 900 of 900
approved), C4 600 (er, R07.9, self-pay), C6 200 (er, U99 = no chapter, Beta Care: submitted);
C5 is 50 USD (only in the currencies table). September: S1 1100 EUR, Alpha Health, denied.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dataplatform.reports.financial.checks import IncompleteInputsError
from tests.support.claims_months import (
    NOVEMBER,
    OCTOBER,
    SEPTEMBER,
    build_financial,
    financial_tables,
    load_month,
    load_patients,
)
from tests.support.loads import drop_tables

pytestmark = pytest.mark.integration

build, report = build_financial, financial_tables


@pytest.fixture(scope="module")
def october(warehouse_db, test_config, tmp_path_factory):
    """A fresh warehouse with the hand-checked September and October, and October's report built."""
    import psycopg

    tmp = tmp_path_factory.mktemp("claims")
    with psycopg.connect(test_config.pg_uri(warehouse_db), autocommit=True) as conn:
        drop_tables(conn)
    load_patients(tmp)
    load_month(tmp, SEPTEMBER)
    load_month(tmp, OCTOBER)
    built = build("2026-10")
    return built, report("2026-10")


def rows(contents, table, *cols):
    return [tuple(r[c] for c in cols) for r in contents[table]]


def test_revenue_by_ward_uses_the_patients_ward_when_the_claim_has_none(october):
    _, r = october
    assert rows(r, "financial_by_ward", "ward", "claims", "patients", "revenue", "revenue_share") == [
        ("oncology", 1, 1, D("1000.00"), D("0.4545")),
        ("er", 2, 1, D("800.00"), D("0.3636")),
        ("cardiology", 2, 1, D("400.00"), D("0.1818")),
    ]


def test_revenue_by_diagnosis_group_is_by_icd10_chapter(october):
    _, r = october
    assert rows(r, "financial_by_diagnosis", "chapter", "diagnosis_group", "claims", "revenue") == [
        ("II", "Neoplasms", 1, D("1000.00")),
        ("XVIII", "Symptoms and findings", 1, D("600.00")),
        ("IX", "Circulatory system", 2, D("400.00")),
        ("?", "Unclassified code", 1, D("200.00")),
    ]


def test_payer_mix_names_insurers_and_self_pay(october):
    _, r = october
    assert rows(r, "financial_payer_mix", "payer_id", "payer_name", "payer_kind", "claims", "revenue") == [
        ("INS-B", "Beta Care", "insurer", 2, D("1200.00")),
        ("self-pay", "Self-pay", "self-pay", 1, D("600.00")),
        ("INS-A", "Alpha Health", "insurer", 2, D("400.00")),
    ]


def test_claims_by_status_with_amounts(october):
    _, r = october
    assert rows(
        r,
        "financial_claim_status",
        "claim_status",
        "claims",
        "claims_share",
        "billed_amount",
        "approved_amount",
        "paid_amount",
    ) == [
        ("approved", 2, D("0.4000"), D("1100.00"), D("980.00"), D("900.00")),
        ("denied", 1, D("0.2000"), D("300.00"), D("0.00"), D("0.00")),
        ("outstanding", 1, D("0.2000"), D("200.00"), D("0.00"), D("0.00")),
        ("self-pay", 1, D("0.2000"), D("600.00"), D("0.00"), D("0.00")),
    ]


def test_denial_rate_by_payer_counts_decided_claims_only(october):
    _, r = october
    assert rows(
        r,
        "financial_denials_by_payer",
        "payer_id",
        "decided_claims",
        "denied_claims",
        "denial_rate",
        "denied_amount",
        "outstanding_claims",
    ) == [
        ("INS-A", 2, 1, D("0.5000"), D("300.00"), 0),
        ("INS-B", 1, 0, D("0.0000"), D("0.00"), 1),
    ]


def test_trend_has_twelve_months_and_the_change_against_the_previous(october):
    _, r = october
    trend = r["financial_trend"]
    assert (
        len(trend) == 12 and trend[0]["month"].isoformat() == "2025-11-01" and trend[-1]["month"] == OCTOBER
    )
    assert [m["has_data"] for m in trend] == [False] * 10 + [True, True]
    sept, octo = trend[-2], trend[-1]
    assert (sept["claims"], sept["revenue"], sept["denial_rate"], sept["self_pay_share"]) == (
        1,
        D("1100.00"),
        D("1.0000"),
        D("0.0000"),
    )
    assert (octo["claims"], octo["revenue"], octo["revenue_change"]) == (5, D("2200.00"), D("1.0000"))
    assert (octo["self_pay_share"], octo["denial_rate"]) == (D("0.2727"), D("0.3333"))


def test_summary_key_figures_and_month_over_month(october):
    built, r = october
    [s] = r["financial_summary"]
    assert s["currency"] == "EUR"
    assert (s["claims"], s["patients"], s["revenue"]) == (5, 3, D("2200.00"))
    assert (s["self_pay_claims"], s["self_pay_revenue"], s["self_pay_share"]) == (1, D("600.00"), D("0.2727"))
    assert (s["approved_claims"], s["approved_amount"], s["paid_amount"]) == (2, D("980.00"), D("900.00"))
    assert (s["denied_claims"], s["denied_amount"], s["denial_rate"]) == (1, D("300.00"), D("0.3333"))
    assert (s["outstanding_claims"], s["outstanding_amount"]) == (1, D("200.00"))
    assert (s["prev_claims"], s["prev_revenue"], s["prev_denial_rate"]) == (1, D("1100.00"), D("1.0000"))
    assert (s["revenue_change"], s["claims_change"]) == (D("1.0000"), D("4.0000"))
    assert (s["other_currency_claims"], s["unmatched_decisions"]) == (1, 0)
    assert built["figures"]["revenue"] == "2200.00" and built["figures"]["period"] == "2026-10"


def test_currencies_list_every_claim_and_say_which_are_in_the_figures(october):
    _, r = october
    assert rows(r, "financial_currencies", "currency", "claims", "amount", "in_figures") == [
        ("EUR", 5, D("2200.00"), True),
        ("USD", 1, D("50.00"), False),
    ]


def test_outliers_are_claims_far_above_their_procedures_median(october, tmp_path):
    billing = [[f"N{i}", "1", "2026-11-02", "er", "I10", "99213", "100.00", "EUR", ""] for i in range(1, 29)]
    billing += [
        ["N90", "2", "2026-11-03", "er", "I10", "99213", "290.00", "EUR", ""],  # 2.9x: not an outlier
        ["N91", "3", "2026-11-04", "icu", "I10", "99213", "450.00", "EUR", ""],  # 4.5x
        ["N92", "3", "2026-11-05", "icu", "I10", "99285", "9000.00", "EUR", ""],  # 1 claim: no median
    ]
    decisions = [["N1", "INS-A", "Alpha Health", "approved", "100.00", "", "2026-11-20"]]
    load_month(tmp_path, NOVEMBER, billing, decisions, run_id="scheduled__nov")
    build("2026-11")
    r = report("2026-11")
    assert rows(
        r, "financial_outliers", "rank", "claim_id", "procedure_code", "amount", "procedure_median", "ratio"
    ) == [(1, "N91", "99213", D("450.00"), D("100.00"), D("4.5"))]
    assert r["financial_summary"][0]["claims"] == 31


def test_rebuilding_gives_identical_tables_and_a_new_edition(october):
    built, before = october
    again = build("2026-10", run_id="manual__2")
    assert again["edition_id"] > built["edition_id"]
    assert again["content_sha256"] == built["content_sha256"]
    assert report("2026-10") == before


def test_an_incomplete_month_names_every_problem_and_keeps_the_old_tables(october, warehouse):
    _, before = october
    warehouse.execute("DELETE FROM public.billing_claims WHERE claim_id = 'C1'")
    with pytest.raises(IncompleteInputsError) as err:
        build("2026-10", run_id="manual__3")
    assert "public.billing_claims holds 5 rows for 2026-10 but its last reconciled load" in str(err.value)
    with pytest.raises(IncompleteInputsError) as err:
        build("2026-12")
    assert "billing for 2026-12 was never loaded" in str(err.value)
    assert "insurance for 2026-12 was never loaded" in str(err.value)
    assert report("2026-10") == before
