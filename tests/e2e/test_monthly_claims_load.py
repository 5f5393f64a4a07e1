"""monthly_claims_load end to end: billing and insurance loaded in parallel from S3, Assets emitted."""

from __future__ import annotations

import datetime as dt

import pytest

from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from devstack.samples.billing import write_billing_csv
from devstack.samples.insurance import write_insurance_csv
from devstack.samples.patients import write_patients_csv
from tests.support.loads import drop_tables, load_run, run_steps

pytestmark = pytest.mark.e2e

DAG_ID = "monthly_claims_load"
SEPTEMBER = dt.date(2026, 9, 1)
PATIENTS_N = 500


@pytest.fixture
def claims_dag(airflow_stack, warehouse, tmp_path):
    airflow_stack.wait_for_dag(DAG_ID)
    drop_tables(warehouse)
    patients = write_patients_csv(
        tmp_path / "patients.csv", PATIENTS_N, seed=9, today=dt.date(2026, 10, 1)
    ).path
    run_steps(PATIENTS, str(patients), load_run(PATIENTS, "2026-10-01"))
    return airflow_stack


def test_both_sources_load_in_parallel_into_their_month(claims_dag, s3_server, warehouse, tmp_path):
    files = {
        BILLING: write_billing_csv(tmp_path / "b.csv", SEPTEMBER, 2000, patients=PATIENTS_N, dirty=True),
        INSURANCE: write_insurance_csv(tmp_path / "i.csv", SEPTEMBER, 2000, patients=PATIENTS_N, dirty=True),
    }
    for contract, generated in files.items():
        s3_server.upload_file(str(generated.path), "landing", contract.landing_key.format(period="2026-09"))
    run_id = claims_dag.trigger(
        DAG_ID,
        conf={"period": "2026-09", "poke_interval_seconds": 1, "wait_timeout_seconds": 60},
        logical_date="2026-09-01T00:00:00Z",
    )
    assert claims_dag.wait_for_run(DAG_ID, run_id, timeout=300) == "success", claims_dag.task_states(
        DAG_ID, run_id
    )
    tis = {t["task_id"]: t for t in claims_dag.task_instances(DAG_ID, run_id)}
    # each group waited on its own file and the two loads overlapped in time
    b, i = tis["billing.validate"], tis["insurance.validate"]
    assert b["start_date"] < i["end_date"] and i["start_date"] < b["end_date"]
    for contract, generated in files.items():
        loaded = warehouse.execute(
            f"SELECT count(*), min({contract.partition_column}), max({contract.partition_column}) FROM {contract.target}"
        ).fetchone()
        [event] = claims_dag.asset_events(contract.asset_name, source_run_id=run_id)
        extra = event["extra"]
        assert loaded == (extra["loaded"], SEPTEMBER, SEPTEMBER)
        assert extra["rows_read"] == generated.rows and extra["superseded"] == generated.duplicates
        assert extra["rejected"] == sum(generated.defects.values()) > 0
        assert extra["period"] == "2026-09"
