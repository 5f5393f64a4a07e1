"""Benchmark: the patients load (validate -> deduplicate -> load -> reconcile) against `psql \\copy`.

    .venv/bin/python -m bench.patient_etl                       # 1M and 5M rows, clean and dirty files
    .venv/bin/python -m bench.patient_etl --rows 1000000 --repeat 3 --json

Files come from the seeded generator of the sample data (`devstack.samples.patients`, seed 42,
dated `GENERATED_TODAY`, which is also the run's date), cached in bench/data/. See bench/README.md
for what each figure is and the goals.
"""

from __future__ import annotations

from bench._common import GENERATED_TODAY, sample_csv
from bench._etl import bench_run
from bench.etl_bench import main

SEED = 42
RUN = bench_run("day", GENERATED_TODAY.isoformat(), GENERATED_TODAY.isoformat())

if __name__ == "__main__":
    main(
        "patients",
        lambda rows, dirty: sample_csv("patients", rows, seed=SEED, dirty=dirty),
        RUN,
        description=__doc__,
    )
