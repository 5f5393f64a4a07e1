"""Connection ids and names every DAG, the native stack and docker compose agree on."""

WAREHOUSE_CONN_ID = "warehouse_db"
AWS_CONN_ID = "aws_default"
SLACK_ALERTS_CONN_ID = "slack_alerts"
SMTP_CONN_ID = "smtp_default"
#: Airflow's own REST API (the daily report reads DAG runs and task instances through it).
AIRFLOW_API_CONN_ID = "airflow_api"

#: Connection ids a deployment must define for the repository's DAGs to run.
REQUIRED_CONN_IDS = (WAREHOUSE_CONN_ID, AWS_CONN_ID, SLACK_ALERTS_CONN_ID, SMTP_CONN_ID, AIRFLOW_API_CONN_ID)

#: Airflow Variable naming the landing bucket, and its default.
LANDING_BUCKET_VARIABLE = "landing_bucket"
DEFAULT_LANDING_BUCKET = "landing"

#: Airflow Variable naming the bucket the reports' artifacts go to, and its default.
REPORTS_BUCKET_VARIABLE = "reports_bucket"
DEFAULT_REPORTS_BUCKET = "reports"
