"""Daily patient-data ETL: landing CSV in S3 -> validated, deduplicated, merged into public.patients."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from dataplatform.assets import PATIENTS_TABLE
from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.sensors.landing import LandingZoneSensor

DOC_MD = """
# patient_data_pipeline

Loads the daily patients extract into the warehouse table **`public.patients`** (connection
`warehouse_db`), one row per patient (latest admission), and emits the asset
`warehouse.public.patients` for downstream DAGs.

**Input**: `s3://<landing bucket>/patients/<ds>/patients.csv` on `aws_default` (bucket from the
Variable `landing_bucket`, default `landing`). Header
`patient_id,name,birth_date,gender,admitted_at,ward,diagnosis_code,billed_amount`; UTF-8 (BOM
allowed), CRLF allowed, quoted fields may hold commas and newlines.

| task | what it does |
|---|---|
| `resolve_source` | picks the file: the `source_uri` param (S3 URI or local path) or the dated default |
| `wait_for_file` | deferrable landing sensor; fails after `wait_timeout_seconds` naming the missing file |
| `validate` | streams the file once: good rows to a run-scoped staging table, rejected rows (line, raw text, reason) to `public.patients_rejected`; fails the run if more than `max_reject_ratio` are rejected |
| `transform` | keeps the latest `admitted_at` per `patient_id` (duplicates counted), upper-cases codes |
| `load` | merges into `public.patients` in one transaction (unchanged rows are not rewritten) |
| `reconcile` | rows read = loaded + rejected + superseded, and the table holds every loaded row; emits the asset |
| `cleanup` | drops the run's staging tables (and those of failed runs older than 7 days) |

**Failure handling.** Bad files (missing, empty, header only, wrong columns, not UTF-8) fail
`validate` at once with the file and line in the message, before anything is loaded; they are
not retried. Bad rows never fail the run unless they exceed the threshold; find them with
`SELECT * FROM public.patients_rejected WHERE logical_date = '<ds>'`. Any other error rolls back
its transaction (the table is as it was) and is retried 3 times with backoff; every try works in
its own staging tables, so retries and overlapping runs never share files.

**Re-runs and backfills.** Re-running a date is safe: the merge rewrites nothing that did not
change and the rejected rows of that date and file are replaced, not duplicated. Backfill with
`airflow backfill create --dag-id patient_data_pipeline --from-date 2026-01-01 --to-date 2026-01-31`,
or trigger with `{"source_uri": "s3://landing/patients/2026-01-05/patients.csv"}` to load one file.
"""


@dag(
    dag_id="patient_data_pipeline",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["patients", "etl", "warehouse"],
    doc_md=DOC_MD,
    default_args=default_args(owner="clinical-data"),
    params={
        "source_uri": Param(
            None, type=["null", "string"], description="S3 URI or local path overriding the dated file"
        ),
        "max_reject_ratio": Param(
            0.05, type="number", minimum=0, maximum=1, description="share of rejected rows that fails the run"
        ),
        "wait_timeout_seconds": Param(
            6 * 3600, type="integer", minimum=1, description="how long to wait for the file"
        ),
        "poke_interval_seconds": Param(
            60, type="integer", minimum=1, description="how often to look for the file"
        ),
    },
    **dag_callbacks(),
)
def patient_data_pipeline():
    @task
    def resolve_source(landing_bucket: str, **context) -> dict:
        from dataplatform.etl.patients.pipeline import RunInfo, default_source

        run = RunInfo.from_context(context)
        source = context["params"]["source_uri"] or default_source(landing_bucket, run.logical_date)
        return {"source": source, "logical_date": run.logical_date}

    @task
    def validate(resolved: dict, **context) -> dict:
        from dataplatform.etl.patients.pipeline import RunInfo, validate

        run = RunInfo.from_context(context)
        return validate(resolved["source"], run, max_reject_ratio=context["params"]["max_reject_ratio"])

    @task
    def transform(staged: dict, **context) -> dict:
        from dataplatform.etl.patients.pipeline import RunInfo, transform

        return transform(staged, RunInfo.from_context(context))

    @task
    def load(transformed: dict, **context) -> dict:
        from dataplatform.etl.patients.pipeline import RunInfo, load

        return load(transformed, RunInfo.from_context(context))

    @task(outlets=[PATIENTS_TABLE])
    def reconcile(staged: dict, transformed: dict, loaded: dict) -> dict:
        from dataplatform.etl.patients.pipeline import reconcile

        return reconcile(staged, transformed, loaded)

    @task
    def cleanup(**context) -> list[str]:
        from dataplatform.etl.patients.pipeline import cleanup

        return cleanup(context["dag_run"].dag_id, context["dag_run"].run_id)

    resolved = resolve_source("{{ var.value.get('landing_bucket', 'landing') }}")
    wait_for_file = LandingZoneSensor(
        task_id="wait_for_file",
        files="{{ ti.xcom_pull(task_ids='resolve_source')['source'] }}",
        rules="min_size:0",  # S3 objects appear whole; an empty file is rejected by validate, by name
        deferrable=True,
        poke_interval="{{ params.poke_interval_seconds }}",
        timeout="{{ params.wait_timeout_seconds }}",
    )
    staged = validate(resolved)
    transformed = transform(staged)
    loaded = load(transformed)
    checked = reconcile(staged, transformed, loaded)
    resolved >> wait_for_file >> staged
    checked >> cleanup()


patient_data_pipeline()
