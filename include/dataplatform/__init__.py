"""airflow-provider-dataplatform: the shared code every DAG of this repository stands on."""

__version__ = "0.2.0"
