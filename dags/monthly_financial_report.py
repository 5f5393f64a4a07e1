"""Monthly financial report: last month's billing and insurance loaded in parallel, then the report."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform.defaults import dag_callbacks, default_args
from dataplatform.loading.docs import contract_doc
from dataplatform.loading.task_group import load_params, load_task_group
from dataplatform.reports.financial.task_group import financial_report_task_group
from dataplatform.sources.billing import BILLING
from dataplatform.sources.insurance import INSURANCE
from dataplatform.sources.patients import PATIENTS

DOC_MD = f"""
# monthly_financial_report

At 02:00 on the 1st, for the month that just ended (the run's data interval, never "now"):

1. **billing** and **insurance**, in parallel, each in its own load group: wait (deferred) for
   `billing/<YYYY-MM>/billing_data.csv` / `insurance/<YYYY-MM>/insurance_data.csv` in the landing
   bucket -- a timeout fails naming the missing file and alerts -- then validate -> deduplicate ->
   replace that month's rows -> reconcile -> cleanup.
2. **report.build**: checks the month is complete (both loads reconciled, the tables still hold
   what they loaded, the insurer decisions are about that month's claims) and computes the
   figures in the warehouse into `reports.financial_*` (replaced per month). An incomplete month
   fails here with every reason: no report is ever sent from partial data.
3. **report.publish**: the HTML report, charts (PNG), CSV extracts and the email, in
   `s3://<reports_bucket>/reports/financial/<YYYY-MM>/` (replaced on re-run).
4. **report.send_email** (the `finance` route's recipients, charts inline, CSVs attached) and
   **report.post_slack** (headline figures, change vs last month, link). Each sends an edition
   once: a retry after a successful send does nothing; a re-run of the month sends a re-issue.

Backfill month by month: `airflow backfill create --dag-id monthly_financial_report --from-date
2026-01-01 --to-date 2026-06-30`, or trigger with `{{"period": "2026-10"}}`. Figures are defined in
`dataplatform.reports.financial.tables`.

{contract_doc(BILLING)}

{contract_doc(INSURANCE)}
"""


@dag(
    dag_id="monthly_financial_report",
    schedule=CronDataIntervalTimetable("0 2 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["finance", "billing", "insurance", "reports"],
    doc_md=DOC_MD,
    default_args=default_args(owner=BILLING.owner),
    params=load_params(BILLING, INSURANCE),
    **dag_callbacks(),
)
def monthly_financial_report():
    month = "{{ data_interval_start | ds }}"
    loads = [load_task_group(BILLING, period_date=month), load_task_group(INSURANCE, period_date=month)]
    loads >> financial_report_task_group(
        billing=BILLING, insurance=INSURANCE, patients=PATIENTS, route="finance", period_date=month
    )


monthly_financial_report()
