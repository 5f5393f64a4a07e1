"""The platform's alert as a notifier object, for DAGs that prefer notifiers over callables."""

from __future__ import annotations

from typing import Any, Literal

from airflow.sdk import BaseNotifier

Event = Literal["auto", "task", "dag_failure", "dag_success"]


class DataPlatformAlertNotifier(BaseNotifier):
    """Routed Slack alert with email fallback, secrets masked, linking to the failed try's log.

    Use it anywhere a callback goes; ``event="auto"`` tells DAG-level from task-level contexts
    (Airflow puts ``reason`` only in DAG-run callback contexts):

    .. code-block:: python

        @dag(..., on_failure_callback=DataPlatformAlertNotifier(),
             default_args={"on_failure_callback": DataPlatformAlertNotifier()})

    Same behaviour as :mod:`dataplatform.alerts.callbacks` (dedup, retry policy, fallback); it never
    raises.
    """

    template_fields = ()

    def __init__(self, *, event: Event = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event = event

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to template: alert text is built from the context, never Jinja-rendered."""

    def notify(self, context: Any) -> None:
        from dataplatform.alerts import callbacks

        event = self.event
        if event == "auto":
            reason = context.get("reason") if hasattr(context, "get") else None
            event = "task" if reason is None else ("dag_success" if reason == "success" else "dag_failure")
        handler = {
            "task": callbacks.on_task_failure,
            "dag_failure": callbacks.on_dag_failure,
            "dag_success": callbacks.on_dag_success,
        }[event]
        handler(context)
