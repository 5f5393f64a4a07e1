"""A ``DagBag`` that remembers every DAG it was offered (imports Airflow; loaded lazily)."""

from __future__ import annotations

from typing import Any

from airflow.dag_processing.dagbag import DagBag


class IntegrityDagBag(DagBag):
    """A ``DagBag`` that records every DAG it was offered: ``offered[dag_id]`` lists their files.

    Airflow 3.3 turns a dag_id found in a second file into an import error of that file, and
    silently keeps one of two same-id DAGs defined in ONE file; ``offered`` shows both cases.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.offered: dict[str, list[str]] = {}
        self._offered_objects: set[int] = set()
        super().__init__(*args, **kwargs)

    def bag_dag(self, dag: Any) -> None:
        """Record the DAG, then bag it as Airflow does."""
        if id(dag) not in self._offered_objects:
            self._offered_objects.add(id(dag))
            self.offered.setdefault(dag.dag_id, []).append(dag.fileloc)
        super().bag_dag(dag)
