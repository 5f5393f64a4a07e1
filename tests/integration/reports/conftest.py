"""A month of generated claims with its financial report built and published (shared by the
delivery and rendering tests of this package)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from devstack.samples.billing import write_billing_csv
from devstack.samples.insurance import write_insurance_csv
from devstack.samples.patients import write_patients_csv
from tests.support.claims_months import build_financial
from tests.support.loads import drop_tables, load_run, run_steps

PATIENTS_N = 800
MONTHS = (dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1))


@pytest.fixture(scope="module")
def generated_months(services, test_config, tmp_path_factory):
    """August to October 2026 of generated claims loaded; October's report built. Yields the build."""
    tmp = tmp_path_factory.mktemp("months")
    with psycopg.connect(test_config.pg_uri(test_config.warehouse_db), autocommit=True) as conn:
        drop_tables(conn)
    path = write_patients_csv(tmp / "p.csv", PATIENTS_N, seed=4, today=dt.date(2026, 11, 1)).path
    run_steps(PATIENTS, str(path), load_run(PATIENTS, "2026-11-01"))
    for n, month in enumerate(MONTHS):
        for contract, write in ((BILLING, write_billing_csv), (INSURANCE, write_insurance_csv)):
            file = write(
                tmp / f"{contract.name}{n}.csv",
                month,
                1500 + 200 * n,
                patients=PATIENTS_N,
                seed=n,
                dirty=True,
            )
            run_steps(contract, str(file.path), load_run(contract, "2026-11-01", period=f"{month:%Y-%m}"))
    return build_financial("2026-10", run_id="manual__render")
