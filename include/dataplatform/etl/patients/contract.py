"""The patients landing file contract and the warehouse tables it lands in."""

from __future__ import annotations

from dataplatform.etl.contract import FileContract
from dataplatform.etl.patients.rules import check_row

PATIENTS = FileContract(
    name="patients",
    columns=(
        ("patient_id", "bigint"),
        ("name", "text"),
        ("birth_date", "date"),
        ("gender", "text"),
        ("admitted_at", "timestamp"),
        ("ward", "text"),
        ("diagnosis_code", "text"),
        ("billed_amount", "numeric(12,2)"),
    ),
    key="patient_id",
    check_row=check_row,
    latest_by="admitted_at",
    normalise={"gender": "upper", "diagnosis_code": "upper"},
)
TARGET_TABLE = "public.patients"
REJECTS_TABLE = "public.patients_rejected"

DDL = """
CREATE TABLE IF NOT EXISTS public.patients (
    patient_id      bigint PRIMARY KEY,
    name            text NOT NULL,
    birth_date      date,
    gender          text,
    admitted_at     timestamp NOT NULL,
    ward            text,
    diagnosis_code  text,
    billed_amount   numeric(12, 2),
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    loaded_by_run   text
);
COMMENT ON TABLE public.patients IS
    'One row per patient, latest admission. Loaded by patient_data_pipeline (merge on patient_id).';
CREATE TABLE IF NOT EXISTS public.patients_rejected (
    id            bigserial PRIMARY KEY,
    source_file   text NOT NULL,
    line_no       integer NOT NULL,
    raw_line      text NOT NULL,
    reason        text NOT NULL,
    run_id        text NOT NULL,
    logical_date  date NOT NULL,
    rejected_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS patients_rejected_date_source
    ON public.patients_rejected (logical_date, source_file);
COMMENT ON TABLE public.patients_rejected IS
    'Quarantined rows of patients files with the reason; replaced per (logical_date, source_file) on re-run.';
CREATE SCHEMA IF NOT EXISTS staging;
"""
