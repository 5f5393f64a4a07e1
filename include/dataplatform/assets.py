"""Assets shared between producing and consuming DAGs (one definition, so names never drift).

Assets are identified by name only: an Asset URI with a scheme (``postgres://…``) makes Airflow
load every provider's URI handlers while the DAG file is parsed (measured +0.55 s per file, and
it imports boto3), which the DAG-integrity suite forbids.
"""

from __future__ import annotations

from airflow.sdk import Asset

#: public.patients in the warehouse (connection warehouse_db), updated by patient_data_pipeline.
PATIENTS_TABLE = Asset(name="warehouse.public.patients")
