"""Billing and insurance loads on the real warehouse: per-month replaces, every rule, fatal files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from devstack.samples import billing as billing_samples
from devstack.samples import insurance as insurance_samples
from devstack.samples.patients import write_patients_csv
from tests.support.loads import drop_tables, load_run, quarantined, run_steps, table

pytestmark = pytest.mark.integration

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
PATIENTS_N = 2000


@pytest.fixture
def wh(warehouse, tmp_path):
    """A fresh warehouse holding patients 1..PATIENTS_N (what claims refer to)."""
    drop_tables(warehouse)
    path = write_patients_csv(tmp_path / "patients.csv", PATIENTS_N, seed=5, today=dt.date(2026, 12, 1)).path
    run_steps(PATIENTS, str(path), load_run(PATIENTS, "2026-12-01"))
    return warehouse


def billing_file(
    tmp_path, month: dt.date, rows: int = 3000, **kw
) -> tuple[str, billing_samples.GeneratedFile]:
    path = tmp_path / f"billing_{month:%Y%m}.csv"
    generated = billing_samples.write_billing_csv(path, month, rows, patients=PATIENTS_N, **kw)
    return str(path), generated


def load_month(contract, source: str, month: dt.date, run_id: str = "scheduled__m", **kw):
    return run_steps(
        contract, source, load_run(contract, "2026-12-01", run_id, period=f"{month:%Y-%m}"), **kw
    )


def test_a_clean_month_loads_every_claim(wh, tmp_path):
    source, generated = billing_file(tmp_path, OCTOBER)
    summary = load_month(BILLING, source, OCTOBER)
    assert (summary["loaded"], summary["rejected"], summary["superseded"]) == (generated.rows, 0, 0)
    row = wh.execute(
        "SELECT count(*), min(billing_month), max(billing_month), sum(amount) FROM public.billing_claims"
    ).fetchone()
    expected = sum(
        Decimal(c.amount) for c in billing_samples.claims(OCTOBER, 3000, patients=PATIENTS_N, seed=7)
    )
    assert row == (3000, OCTOBER, OCTOBER, expected)


def test_each_billing_defect_is_quarantined_with_its_reason(wh, tmp_path):
    source, generated = billing_file(tmp_path, OCTOBER, 20000, dirty=True, defect_rate=0.04)
    summary = load_month(BILLING, source, OCTOBER)
    assert summary["reasons"] == dict(generated.expected_reasons(billing_samples.DEFECTS))
    assert set(generated.defects) == set(billing_samples.DEFECTS)  # every defect kind was in the file
    assert summary["superseded"] == generated.duplicates > 0
    assert summary["rows_read"] == generated.rows
    # a repeated claim: the later line wins (its amount, not the stale 1.00)
    assert wh.execute("SELECT count(*) FROM public.billing_claims WHERE amount = 1.00").fetchone()[0] == 0


def test_each_insurance_defect_is_quarantined_with_its_reason(wh, tmp_path):
    path = tmp_path / "insurance.csv"
    generated = insurance_samples.write_insurance_csv(
        path, OCTOBER, 20000, patients=PATIENTS_N, dirty=True, defect_rate=0.04
    )
    summary = load_month(INSURANCE, str(path), OCTOBER)
    assert summary["reasons"] == dict(generated.expected_reasons(insurance_samples.DEFECTS))
    assert summary["superseded"] == generated.duplicates > 0
    # a repeated claim: the latest decision wins
    assert (
        wh.execute(
            "SELECT count(*) FROM public.insurance_claims WHERE status = 'submitted' AND decision_date IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    denied = wh.execute(
        "SELECT count(*) FROM public.insurance_claims WHERE status = 'denied' AND paid_amount IS NOT NULL"
    ).fetchone()
    assert denied == (0,)


def test_unknown_patients_are_rejected_rows_not_a_failed_run(wh, tmp_path):
    lines = [
        ",".join(BILLING.header),
        "C1,1,2026-10-05,icu,I10,99213,10.00,EUR,",
        f"C2,{PATIENTS_N + 5},2026-10-05,icu,I10,99213,10.00,EUR,",
    ]
    path = tmp_path / "b.csv"
    path.write_text("\n".join(lines) + "\n")
    summary = load_month(BILLING, str(path), OCTOBER, max_reject_ratio=0.5)
    assert (summary["loaded"], summary["reasons"]) == (1, {"unknown patient": 1})
    assert quarantined(wh, BILLING) == [(3, "unknown patient", lines[2])]


def test_a_month_rerun_replaces_that_month_only(wh, tmp_path):
    october, _ = billing_file(tmp_path, OCTOBER, 1000)
    november, _ = billing_file(tmp_path, NOVEMBER, 1200, seed=8)
    load_month(BILLING, october, OCTOBER, "scheduled__oct")
    load_month(BILLING, november, NOVEMBER, "scheduled__nov")
    november_rows = table(wh, "public.billing_claims", "claim_id", "billing_month = '2026-11-01'")

    smaller, _ = billing_file(tmp_path, OCTOBER, 700, seed=9)  # October again, corrected: fewer claims
    again = load_month(BILLING, smaller, OCTOBER, "manual__oct2")
    assert (again["inserted"], again["deleted"]) == (700, 1000)
    counts = wh.execute(
        "SELECT billing_month, count(*) FROM public.billing_claims GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert counts == [(OCTOBER, 700), (NOVEMBER, 1200)]
    assert (
        table(wh, "public.billing_claims", "claim_id", "billing_month = '2026-11-01'") == november_rows
    )  # untouched


def test_rerunning_an_unchanged_month_rewrites_nothing(wh, tmp_path):
    source, _ = billing_file(tmp_path, OCTOBER, 1000)
    load_month(BILLING, source, OCTOBER, "scheduled__oct")
    before = table(wh, "public.billing_claims", "claim_id")
    again = load_month(BILLING, source, OCTOBER, "scheduled__oct")
    assert again["skipped"] and table(wh, "public.billing_claims", "claim_id") == before


def test_a_claim_already_loaded_for_another_month_fails_naming_it(wh, tmp_path):
    october, _ = billing_file(tmp_path, OCTOBER, 10)
    load_month(BILLING, october, OCTOBER)
    before = table(wh, "public.billing_claims", "claim_id")
    path = tmp_path / "nov.csv"
    path.write_text(",".join(BILLING.header) + "\nC202610-0000001,1,2026-11-03,icu,I10,99213,10.00,EUR,\n")
    with pytest.raises(AirflowFailException, match=r"Key \(claim_id\)=\(C202610-0000001\) already exists"):
        load_month(BILLING, str(path), NOVEMBER)
    assert table(wh, "public.billing_claims", "claim_id") == before


def test_billing_before_any_patient_table_is_fatal(warehouse, tmp_path):
    drop_tables(warehouse)
    source, _ = billing_file(tmp_path, OCTOBER, 10)
    with pytest.raises(AirflowFailException, match="needs table public.patients, which does not exist yet"):
        load_month(BILLING, source, OCTOBER)


@pytest.mark.parametrize(
    ("contract", "body", "problem"),
    [
        (BILLING, "claim_id,patient_id\nC1,1\n", "line 1: bad header: missing columns"),
        (INSURANCE, ",".join(INSURANCE.header) + "\n", "file has a header but no data rows"),
        (INSURANCE, "", "file is empty"),
    ],
)
def test_fatal_claim_files_load_nothing(wh, tmp_path, contract, body, problem):
    path = tmp_path / "f.csv"
    path.write_text(body)
    with pytest.raises(AirflowFailException, match=problem):
        load_month(contract, str(path), OCTOBER)
    assert wh.execute(f"SELECT count(*) FROM {contract.target}").fetchone() == (0,)
    assert wh.execute(f"SELECT count(*) FROM {contract.quarantine}").fetchone() == (0,)


def test_a_failure_mid_replace_leaves_the_month_as_it_was(wh, tmp_path):
    from dataplatform.loading import steps

    first, _ = billing_file(tmp_path, OCTOBER, 500)
    load_month(BILLING, first, OCTOBER, "scheduled__oct")
    before = table(wh, "public.billing_claims", "claim_id")
    wh.execute("""
        CREATE FUNCTION fail_billing() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.claim_id = 'C202610-0000250' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER fail_billing BEFORE INSERT ON public.billing_claims FOR EACH ROW EXECUTE FUNCTION fail_billing();
    """)
    try:
        again, _ = billing_file(tmp_path, OCTOBER, 600, seed=11)
        run = load_run(BILLING, "2026-12-01", "manual__oct", period="2026-10")
        validated = steps.validate(BILLING, again, run)
        deduplicated = steps.deduplicate(BILLING, validated)
        with pytest.raises(AirflowFailException, match="injected failure"):
            steps.load(
                BILLING, validated, deduplicated
            )  # the month's rows were deleted, then the insert failed
        assert table(wh, "public.billing_claims", "claim_id") == before
    finally:
        wh.execute("DROP TRIGGER fail_billing ON public.billing_claims; DROP FUNCTION fail_billing()")
