"""The single registry of what airflow-provider-dataplatform offers (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from dataplatform import __version__


def get_provider_info() -> dict[str, Any]:
    """Provider metadata read by Airflow's ProvidersManager."""
    return {
        "package-name": "airflow-provider-dataplatform",
        "name": "Data Platform",
        "description": "The data platform's loading stack, warehouse hook, landing sensor, reports, notifiers and alerting callbacks.",
        "versions": [__version__],
        "integrations": [
            {"integration-name": "Data Platform", "tags": ["software"]},
        ],
        "hooks": [
            {
                "integration-name": "Data Platform",
                "python-modules": ["dataplatform.hooks.warehouse", "dataplatform.hooks.airflow_api"],
            },
        ],
        "connection-types": [
            {
                "hook-class-name": "dataplatform.hooks.warehouse.WarehouseHook",
                "connection-type": "dataplatform_warehouse",
            },
        ],
        "sensors": [
            {"integration-name": "Data Platform", "python-modules": ["dataplatform.sensors.landing"]},
        ],
        "triggers": [
            {"integration-name": "Data Platform", "python-modules": ["dataplatform.triggers.landing"]},
        ],
        "notifications": [
            "dataplatform.notifications.email.AlertEmailNotifier",
        ],
        "config": {
            "dataplatform": {
                "description": "Settings of the shared data-platform defaults, alerting and reports.",
                "options": {
                    "retry_delay_seconds": {
                        "description": "First retry delay of every task using dataplatform.defaults "
                        "(doubled on each retry, capped at 30 minutes).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "60",
                        "default": "60",
                    },
                    "alert_email": {
                        "description": "Comma-separated recipients of failure alerts (the email "
                        "variant, and the fallback when Slack delivery fails).",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "data-oncall@example.com",
                        "default": "data-alerts@example.com",
                    },
                    "alert_routes": {
                        "description": "JSON object of alert routes: {route: {slack_conn_id, email, "
                        "owners, retry_notices, runbook_url}}. A DAG picks a route with "
                        "default_args alert_route or an alerts:<route> tag; else the owner decides.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": '{"finance": {"slack_conn_id": "slack_finance", "owners": ["finance"]}}',
                        "default": None,
                    },
                    "alert_timeout_seconds": {
                        "description": "Per-channel delivery timeout (Slack webhook, SMTP) in seconds.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "5",
                        "default": "5",
                    },
                    "alert_from_email": {
                        "description": "Sender address of alert emails when the SMTP connection has none.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "airflow@example.com",
                        "default": None,
                    },
                    "alert_ledger_ttl_days": {
                        "description": "Days the alert de-duplication records of finished runs are kept.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "7",
                        "default": "7",
                    },
                    "report_currency": {
                        "description": "Currency of the financial report's figures (claims billed in "
                        "other currencies are counted, not converted).",
                        "version_added": "0.2.0",
                        "type": "string",
                        "example": "EUR",
                        "default": "EUR",
                    },
                    "reports_base_url": {
                        "description": "Where the deployment serves the reports bucket; report links "
                        "are presigned S3 URLs (valid 7 days) without it.",
                        "version_added": "0.2.0",
                        "type": "string",
                        "example": "https://reports.example.com",
                        "default": None,
                    },
                    "report_timeout_seconds": {
                        "description": "Timeout of one report send (SMTP, Slack) in seconds.",
                        "version_added": "0.2.0",
                        "type": "integer",
                        "example": "30",
                        "default": "30",
                    },
                },
            },
        },
    }
