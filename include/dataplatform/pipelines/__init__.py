"""YAML-declared sub-pipelines compiled to Airflow DAGs: parse -> check -> render.

``source`` reads YAML with positions and merges ``defaults.yaml``; ``spec`` + ``kinds/`` are the
models (one module per step kind); ``validate`` and ``check`` collect every error of a file as
:class:`~dataplatform.pipelines.errors.SpecError`; ``render`` builds the DAG; ``cli`` validates
folders and writes the JSON Schema. A pipeline folder's ``dag.py`` is::

    from dataplatform.pipelines import pipeline_dag  # Airflow DAG from this folder's YAML
    dag = pipeline_dag(__file__)

Importing this package imports no operator: those load when a DAG is rendered.
"""

from __future__ import annotations

from typing import Any

from dataplatform.pipelines.errors import PipelineSpecError, SpecError

__all__ = ["PipelineSpecError", "SpecError", "pipeline_dag"]


def pipeline_dag(dag_file: Any) -> Any:
    """The DAG of the pipeline folder holding ``dag_file`` (see :func:`.compiler.pipeline_dag`)."""
    from dataplatform.pipelines.compiler import pipeline_dag as compile_dag

    return compile_dag(dag_file)
