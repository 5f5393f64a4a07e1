"""Failure alerting: Slack (Block Kit) with email fallback, linking to the failed try's log.

Public API: the four callbacks below (wired by :mod:`dataplatform.defaults`) and the scheduler
listener :mod:`dataplatform.alerts.listener` (registered by ``plugins/dataplatform_plugin.py``).
Module map: ``message`` (content), ``masking``, ``routing``, ``decision`` (final try or not),
``slack`` / ``email`` (rendering + sending), ``delivery`` (Slack → email fallback), ``dedup``
(the alert ledger), ``runstate`` (server task states), ``callbacks``, ``listener``.
"""

from dataplatform.alerts.callbacks import on_dag_failure, on_dag_success, on_task_failure, on_task_retry

__all__ = ["on_dag_failure", "on_dag_success", "on_task_failure", "on_task_retry"]
