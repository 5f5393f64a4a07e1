"""The audit trail: Airflow's event log as structured :class:`AuditEvent` s, the
``dataplatform-audit`` command, and the api-server middleware that records refused requests.

Kept import-light: the plugin imports :mod:`dataplatform.audit.refusals` in every Airflow
process, so nothing here imports Airflow's ORM or API server at module level.
"""

from __future__ import annotations

from dataplatform.audit.events import ACTIONS, REFUSED_EVENT, AuditEvent, from_api, normalise

__all__ = ["ACTIONS", "REFUSED_EVENT", "AuditEvent", "from_api", "normalise"]
