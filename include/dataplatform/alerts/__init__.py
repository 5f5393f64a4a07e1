"""Failure alerting: Slack (Block Kit) with email fallback, linking to the failed try's log."""

from dataplatform.alerts.callbacks import on_dag_failure, on_dag_success, on_task_failure, on_task_retry

__all__ = ["on_dag_failure", "on_dag_success", "on_task_failure", "on_task_retry"]
