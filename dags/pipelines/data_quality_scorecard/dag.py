"""Airflow DAG compiled from data_quality_scorecard.yaml beside it (see docs/pipelines.md)."""

from dataplatform.pipelines import pipeline_dag

dag = pipeline_dag(__file__)
