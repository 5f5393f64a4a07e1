"""The single registry of what airflow-provider-dataplatform offers (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from dataplatform import __version__


def get_provider_info() -> dict[str, Any]:
    """Provider metadata read by Airflow's ProvidersManager."""
    return {
        "package-name": "airflow-provider-dataplatform",
        "name": "Data Platform",
        "description": "Shared hooks, sensors, notifiers, callbacks and the YAML pipeline compiler.",
        "versions": [__version__],
        "integrations": [
            {"integration-name": "Data Platform", "tags": ["software"]},
        ],
        "sensors": [
            {"integration-name": "Data Platform", "python-modules": ["dataplatform.sensors.landing"]},
        ],
        "triggers": [
            {"integration-name": "Data Platform", "python-modules": ["dataplatform.triggers.landing"]},
        ],
        "config": {
            "dataplatform": {
                "description": "Settings of the shared data-platform defaults and alerting.",
                "options": {
                    "retry_delay_seconds": {
                        "description": "First retry delay of every task using dataplatform.defaults "
                        "(doubled on each retry, capped at 30 minutes).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "60",
                        "default": "60",
                    },
                },
            },
        },
    }
