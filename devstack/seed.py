"""Sample data for the local stack: landing files the repo's DAGs can run on right away.

Three days of patients files (ending today) and last month's billing and insurance files, whose
claims refer to those patients (ids 1..PATIENT_ROWS). All slightly dirty, as real extracts are.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS
from devstack.config import StackConfig
from devstack.s3 import s3_client
from devstack.samples.billing import write_billing_csv
from devstack.samples.insurance import write_insurance_csv
from devstack.samples.patients import write_patients_csv

#: Days of patients files to seed, ending today (covers the latest scheduled run and a backfill).
PATIENT_DAYS = 3
PATIENT_ROWS = 10_000
CLAIM_ROWS = 20_000


def last_month(today: dt.date) -> dt.date:
    """The first day of the month before ``today``'s."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def write_sample_files(directory: Path, today: dt.date) -> list[tuple[Path, str]]:
    """Write the sample files into ``directory``; return (file, landing key) pairs."""
    files = []
    for back in range(PATIENT_DAYS):
        day = today - dt.timedelta(days=back)
        path = directory / f"patients-{day}.csv"
        write_patients_csv(path, PATIENT_ROWS, seed=day.toordinal(), dirty=True, defect_rate=0.01, today=day)
        files.append((path, PATIENTS.landing_key.format(period=day.isoformat())))
    month = last_month(today)
    label = f"{month:%Y-%m}"
    billing, insurance = directory / "billing.csv", directory / "insurance.csv"
    write_billing_csv(billing, month, CLAIM_ROWS, patients=PATIENT_ROWS, dirty=True, defect_rate=0.01)
    write_insurance_csv(insurance, month, CLAIM_ROWS, patients=PATIENT_ROWS, dirty=True, defect_rate=0.01)
    files += [
        (billing, BILLING.landing_key.format(period=label)),
        (insurance, INSURANCE.landing_key.format(period=label)),
    ]
    return files


def seed_sample_data(cfg: StackConfig, today: dt.date | None = None) -> list[str]:
    """Upload the sample landing files to the stack's S3; return their S3 URIs."""
    today = today or dt.datetime.now(dt.UTC).date()
    client = s3_client(cfg.s3_port)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_sample_files(Path(tmp), today)
        for path, key in files:
            client.upload_file(str(path), cfg.landing_bucket, key)
    return [f"s3://{cfg.landing_bucket}/{key}" for _, key in files]
