"""``financial_report_task_group``: the monthly financial report as a task group.

    with DAG(...):
        loads = [load_task_group(BILLING, ...), load_task_group(INSURANCE, ...)]
        loads >> financial_report_task_group(route="finance", period_date="{{ data_interval_start | ds }}")

gives ``report.build -> report.publish -> (report.send_email, report.post_slack)``; see
:mod:`dataplatform.reports.financial.steps`. Only ``airflow.sdk`` is imported here: SQL, charts
and S3 load inside the tasks.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import TaskGroup, task

from dataplatform.conn_ids import (
    AWS_CONN_ID,
    DEFAULT_REPORTS_BUCKET,
    REPORTS_BUCKET_VARIABLE,
    SMTP_CONN_ID,
    WAREHOUSE_CONN_ID,
)
from dataplatform.loading.contract import SourceContract


def financial_report_task_group(
    *,
    billing: SourceContract,
    insurance: SourceContract,
    patients: SourceContract,
    route: str,
    period_date: str = "{{ data_interval_start | ds }}",
    group_id: str = "report",
    conn_id: str = WAREHOUSE_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> TaskGroup:
    """The report of the month holding ``period_date`` (or the ``period`` param), delivered on ``route``."""

    def sources() -> Any:
        from dataplatform.reports.financial.build import FinancialSources

        return FinancialSources(billing, insurance, patients)

    with TaskGroup(
        group_id=group_id, tooltip="build, publish and send the month's financial report"
    ) as group:

        @task(task_id="build")
        def build(period_date: str, **context: Any) -> dict[str, Any]:
            from dataplatform.loading.airflow_context import run_period
            from dataplatform.reports.financial import steps

            dag_run = context["dag_run"]
            return steps.build(
                sources(),
                run_period("month", period_date, context["params"]),
                dag_id=dag_run.dag_id,
                run_id=dag_run.run_id,
                try_number=context["ti"].try_number,
                conn_id=conn_id,
            )

        @task(task_id="publish")
        def publish(built: dict[str, Any], bucket: str) -> dict[str, Any]:
            from dataplatform.reports.financial import steps

            return steps.publish(built, bucket=bucket, conn_id=conn_id, aws_conn_id=aws_conn_id)

        @task(task_id="send_email")
        def send_email(built: dict[str, Any], published: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.reports.financial import steps

            return steps.send_email(
                built,
                published,
                route=route,
                conn_id=conn_id,
                smtp_conn_id=smtp_conn_id,
                aws_conn_id=aws_conn_id,
            )

        @task(task_id="post_slack")
        def post_slack(built: dict[str, Any], published: dict[str, Any]) -> dict[str, Any]:
            from dataplatform.reports.financial import steps

            return steps.post_slack(built, published, route=route, conn_id=conn_id)

        built = build(period_date)
        published = publish(
            built, f"{{{{ var.value.get('{REPORTS_BUCKET_VARIABLE}', '{DEFAULT_REPORTS_BUCKET}') }}}}"
        )
        send_email(built, published)
        post_slack(built, published)
    return group
