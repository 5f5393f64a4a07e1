"""Monthly claims load: last month's billing and insurance extracts, loaded in parallel."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.loading.docs import contract_doc
from dataplatform.loading.task_group import load_params, load_task_group
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE

DOC_MD = f"""
# monthly_claims_load

At 01:00 on the 1st, loads the month that just ended (the run's data interval, never "now") from
the billing and the insurance extracts, each in its own task group, in parallel: wait for the file
(deferred, failing with its name on timeout) -> validate -> deduplicate -> replace that month's
rows -> reconcile (emitting the table's Asset) -> cleanup. A month is loaded all or nothing per
source; re-running it replaces that month's rows and never touches another month's.

Backfill month by month with `airflow backfill create --dag-id monthly_claims_load --from-date
2026-01-01 --to-date 2026-06-30`, or trigger with `{{"period": "2026-10"}}`.

{contract_doc(BILLING)}

{contract_doc(INSURANCE)}
"""


@dag(
    dag_id="monthly_claims_load",
    schedule=CronDataIntervalTimetable("0 1 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["billing", "insurance", "finance", "etl"],
    doc_md=DOC_MD,
    default_args=default_args(owner=BILLING.owner),
    params=load_params(BILLING, INSURANCE),
    **dag_callbacks(),
)
def monthly_claims_load():
    month = "{{ data_interval_start | ds }}"
    load_task_group(BILLING, period_date=month)
    load_task_group(INSURANCE, period_date=month)


monthly_claims_load()
