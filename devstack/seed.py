"""Sample data for the local stack: landing files the repo's DAGs can run on right away.

Three days of patients files (ending today) and last month's billing and insurance files, whose
claims refer to those patients (ids 1..PATIENT_ROWS). All slightly dirty, as real extracts are.

:func:`load_claims_history` loads the 11 months before last month straight through the loading
stack's steps (``python -m devstack.seed history``), so the monthly report's 12-month trend has a
history without 11 DAG runs; the month the report is about is loaded by the DAG itself.
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
HISTORY_MONTHS = 11


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


def months_before(month: dt.date, count: int) -> list[dt.date]:
    """The ``count`` months before ``month`` (its 1st), oldest first."""
    out = []
    for _ in range(count):
        month = last_month(month)
        out.append(month)
    return out[::-1]


def history_rows(month: dt.date) -> int:
    """A claims volume that moves a little from month to month (winter busier than summer)."""
    import math

    return int(
        CLAIM_ROWS
        * (1 + 0.12 * math.cos((month.month - 1) / 12 * 2 * math.pi))
        * (0.96 + 0.08 * (month.toordinal() % 7) / 6)
    )


def load_claims_history(today: dt.date) -> list[str]:
    """Load the billing and insurance of the :data:`HISTORY_MONTHS` months before last month with
    the loading steps (the caller's environment names the warehouse); return the periods loaded."""
    from dataplatform.loading import steps
    from dataplatform.loading.period import LoadRun, Period

    loaded = []
    with tempfile.TemporaryDirectory() as tmp:
        for month in months_before(last_month(today), HISTORY_MONTHS):
            label = f"{month:%Y-%m}"
            for contract, write in ((BILLING, write_billing_csv), (INSURANCE, write_insurance_csv)):
                path = Path(tmp) / f"{contract.name}-{label}.csv"
                rows = history_rows(month)
                write(
                    path,
                    month,
                    rows,
                    patients=PATIENT_ROWS,
                    seed=month.toordinal(),
                    dirty=True,
                    defect_rate=0.01,
                )
                run = LoadRun("devstack_seed", f"seed__{label}", 1, today, Period.parse("month", label))
                validated = steps.validate(contract, str(path), run)
                deduplicated = steps.deduplicate(contract, validated)
                result = steps.load(contract, validated, deduplicated)
                steps.reconcile_load(contract, validated, deduplicated, result)
                steps.cleanup(contract, run.dag_id, run.run_id)
            loaded.append(label)
    return loaded


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["history"]:
        raise SystemExit("usage: python -m devstack.seed history")
    for label in load_claims_history(dt.datetime.now(dt.UTC).date()):
        print(f"loaded claims history {label}", flush=True)
