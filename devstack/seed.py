"""Sample data for the local stack: landing files the repo's DAGs can run on right away."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from dataplatform.sample_data.patients import write_patients_csv
from devstack.config import StackConfig
from devstack.s3 import s3_client

#: Days of patients files to seed, ending today (covers the latest scheduled run and a backfill).
PATIENT_DAYS = 3
PATIENT_ROWS = 10_000


def seed_sample_data(cfg: StackConfig, today: dt.date | None = None) -> list[str]:
    """Upload the sample landing files; return their S3 URIs."""
    today = today or dt.datetime.now(dt.UTC).date()
    client = s3_client(cfg.s3_port)
    uris = []
    with tempfile.TemporaryDirectory() as tmp:
        for back in range(PATIENT_DAYS):
            day = today - dt.timedelta(days=back)
            path = Path(tmp) / f"patients-{day}.csv"
            write_patients_csv(
                path, PATIENT_ROWS, seed=day.toordinal(), dirty=True, defect_rate=0.01, today=day
            )
            key = f"patients/{day.isoformat()}/patients.csv"
            client.upload_file(str(path), cfg.landing_bucket, key)
            uris.append(f"s3://{cfg.landing_bucket}/{key}")
    return uris
