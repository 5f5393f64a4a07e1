"""Daily patient-data load: the landing CSV in S3 -> validated, de-duplicated, merged into public.patients."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.loading.docs import contract_doc
from dataplatform.loading.task_group import load_params, load_task_group
from dataplatform.sources.patients import PATIENTS

DOC_MD = f"""
# patient_data_pipeline

Loads the daily patients extract of `<ds>` into the warehouse (connection `warehouse_db`), one row
per patient (the latest admission), with the platform's loading stack.

| task | what it does |
|---|---|
| `patients.resolve` | picks the file: the `patients_source_uri` param, or the landing key of the run's day |
| `patients.wait_for_file` | deferrable landing sensor; fails after `wait_timeout_seconds` naming the missing file |
| `patients.validate` | checks every row against the contract below: good rows to the run's staging table, rejected ones (line, raw text, reason) to quarantine; fails if too many are rejected |
| `patients.deduplicate` | keeps the latest admission of a patient repeated in the file |
| `patients.load` | merges into `public.patients` in one transaction (unchanged rows are not rewritten) and records the load in `dataplatform.loads` |
| `patients.reconcile` | rows read = loaded + rejected + superseded, the rejects are in quarantine, the table holds what was written; emits the Asset |
| `patients.cleanup` | drops the run's staging tables (and those of failed runs older than 7 days) |

**Failure handling.** A bad file (missing, empty, header only, wrong columns, not UTF-8) fails
`validate` at once, naming the file and line, before anything is loaded; it is not retried. Bad
rows never fail the run unless they exceed the threshold; find them with
`SELECT * FROM public.patients_rejected WHERE logical_date = '<ds>'`. Anything else rolls its
transaction back (the table is as it was) and is retried with backoff; every try works in its own
staging tables.

**Re-runs and backfills.** Re-running a day whose file did not change finds it in the load ledger
and rewrites nothing (`force_reload` loads it again); a changed file is merged again. Backfill with
`airflow backfill create --dag-id patient_data_pipeline --from-date 2026-01-01 --to-date 2026-01-31`,
or trigger with `{{"patients_source_uri": "s3://landing/patients/2026-01-05/patients.csv"}}`.

{contract_doc(PATIENTS)}
"""


@dag(
    dag_id="patient_data_pipeline",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["patients", "etl", "warehouse"],
    doc_md=DOC_MD,
    default_args=default_args(owner=PATIENTS.owner),
    params=load_params(PATIENTS),
    **dag_callbacks(),
)
def patient_data_pipeline():
    load_task_group(PATIENTS)


patient_data_pipeline()
