"""Benchmark: the billing load (claims of one month, replacing its partition) against `psql \\copy`.

    .venv/bin/python -m bench.billing_etl                       # 1M and 5M claims, clean and dirty
    .venv/bin/python -m bench.billing_etl --rows 1000000 --json

Claims refer to patients 1..100,000, loaded first (not timed): the "unknown patient" rule reads
their keys. Files come from `devstack.samples.billing` (month `GENERATED_MONTH`), cached in bench/data/.
"""

from __future__ import annotations

from bench._common import GENERATED_MONTH, GENERATED_TODAY, Database, sample_csv
from bench._etl import bench_run, run_etl
from bench.etl_bench import main

SEED = 42
PATIENTS = 100_000
RUN = bench_run("month", GENERATED_MONTH.strftime("%Y-%m"), GENERATED_TODAY.isoformat())


def load_patients(db: Database, _rows: list[int]) -> None:
    """The patients the claims refer to (ids 1..PATIENTS)."""
    patients = sample_csv("patients", PATIENTS, seed=SEED)
    day = {
        "dag_id": "bench",
        "try_number": 1,
        "run_date": GENERATED_TODAY.isoformat(),
        "period_kind": "day",
        "period": GENERATED_TODAY.isoformat(),
    }
    run_etl(db, "patients", str(patients.path), {**day, "run_id": "bench_patients"})


if __name__ == "__main__":
    main(
        "billing",
        lambda rows, dirty: sample_csv("billing", rows, seed=SEED, dirty=dirty, patients=PATIENTS),
        RUN,
        prepare=load_patients,
        description=__doc__,
    )
