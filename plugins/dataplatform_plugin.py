"""Registers the data platform's Airflow listener (logic lives in ``dataplatform.alerts.listener``)
and the api-server middleware recording refused REST requests (``dataplatform.audit.refusals``)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dataplatform.alerts import listener as alert_listener
from dataplatform.audit.refusals import RefusalAuditMiddleware


class DataPlatformPlugin(AirflowPlugin):
    """Backstop alert for failed runs of DAGs that wire no failure callback; audit of refusals."""

    name = "dataplatform"
    listeners = [alert_listener]
    fastapi_root_middlewares = [
        {"middleware": RefusalAuditMiddleware, "args": [], "kwargs": {}, "name": "dataplatform_refusal_audit"}
    ]
