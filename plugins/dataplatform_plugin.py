"""Registers the data platform's Airflow listener (logic lives in ``dataplatform.alerts.listener``)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dataplatform.alerts import listener as alert_listener


class DataPlatformPlugin(AirflowPlugin):
    """Backstop alert for failed runs of DAGs that wire no failure callback."""

    name = "dataplatform"
    listeners = [alert_listener]
