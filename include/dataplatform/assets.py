"""Assets shared between producing and consuming DAGs (one definition, so names never drift)."""

from __future__ import annotations

from airflow.sdk import Asset

#: public.patients in the warehouse, updated by patient_data_pipeline.
PATIENTS_TABLE = Asset(
    name="warehouse.public.patients", uri="postgres://warehouse:5432/warehouse/public/patients"
)
