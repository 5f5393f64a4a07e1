"""The alert ledger: which alerts were sent, so each is sent exactly once; and each DAG's last outcome.

Why a ledger: on Airflow 3.3.2 the same event can reach us several times or not at all —
a heartbeat timeout runs the task's failure/retry callback twice in the dag-processor; a task
killed by SIGKILL/OOM on its last try runs no task callback (only the DAG-run failure callback
sees it). The DAG summary therefore has to know which failed tries already got their own alert.

Where it lives: Airflow Variables, through the Task SDK (``airflow.sdk.Variable``). Both places
our callbacks run can use them — the task process and the dag-processor (``PutVariable`` /
``GetVariableKeys`` / ``DeleteVariable`` go through the Execution API; no direct metadata-DB
access). Server-side processes without a Task SDK channel (``dag.test()`` runs DAG callbacks in
the calling process) use the same Variables through ``airflow.models``. They work whenever Airflow
itself does (unlike, say, the warehouse, whose outage
is exactly what we may be alerting about). Variables have no compare-and-set, which is fine here
because writers of the same key never run concurrently:

* a task's own callback runs *before* the task's FAILED state reaches the server (the supervisor
  reports it after the task process exits), so the DAG-run failure — and its callback — cannot
  start before the task alert and its record are written;
* the dag-processor runs the callbacks of one DAG file one after the other.

Keys: ``dpalert.<dag hash>.<run hash>.<kind>.<subject hash>.<YYYYMMDD>`` (value: JSON record), plus
``dpalert.<dag hash>.outcome``. Records of other runs older than ``[dataplatform]
alert_ledger_ttl_days`` are pruned by the DAG-level callbacks. When the ledger is unreachable we
fail open: the alert is sent (a possible duplicate beats a lost page).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)

PREFIX = "dpalert"


@dataclass(frozen=True)
class AlertRecord:
    """One sent alert. ``task_id`` is None for run-level kinds (DAG summary, recovery)."""

    kind: str
    dag_id: str
    run_id: str
    task_id: str | None = None
    map_index: int = -1
    try_number: int | None = None
    log_url: str | None = None
    channel: str | None = None
    sent_at: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: Any) -> AlertRecord | None:
        try:
            data = json.loads(raw) if isinstance(raw, str) else dict(raw)
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})
        except Exception:
            return None


class Ledger(Protocol):
    def seen(
        self,
        kind: str,
        dag_id: str,
        run_id: str,
        task_id: str | None = None,
        map_index: int = -1,
        try_number: int | None = None,
    ) -> bool: ...

    def record(self, rec: AlertRecord) -> None: ...

    def run_records(self, dag_id: str, run_id: str, kind: str | None = None) -> list[AlertRecord]: ...

    def last_outcome(self, dag_id: str) -> dict[str, Any] | None: ...

    def set_last_outcome(self, dag_id: str, state: str, run_id: str) -> None: ...

    def prune(self, dag_id: str, keep_run_id: str, ttl_days: int) -> int: ...


def _h(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]


def record_key(
    kind: str,
    dag_id: str,
    run_id: str,
    task_id: str | None = None,
    map_index: int = -1,
    try_number: int | None = None,
) -> str:
    """Key prefix (without the date suffix) identifying one alert."""
    subject = "run" if task_id is None else _h(task_id, map_index, try_number)
    return f"{PREFIX}.{_h(dag_id)}.{_h(dag_id, run_id)}.{kind.lower()}.{subject}."


def _run_prefix(dag_id: str, run_id: str) -> str:
    return f"{PREFIX}.{_h(dag_id)}.{_h(dag_id, run_id)}."


def _outcome_key(dag_id: str) -> str:
    return f"{PREFIX}.{_h(dag_id)}.outcome"


def _today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _SdkVariables:
    """Variables through the Task SDK channel (task process, dag-processor callbacks)."""

    def keys(self, prefix: str) -> list[str]:
        from airflow.sdk import Variable

        return list(Variable.keys(prefix=prefix))

    def get(self, key: str) -> str | None:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)

    def set(self, key: str, value: str, description: str) -> None:
        from airflow.sdk import Variable

        Variable.set(key, value, description=description)

    def delete(self, key: str) -> None:
        from airflow.sdk import Variable

        Variable.delete(key)


class _CoreVariables:
    """Variables in the metadata DB, for server-side processes that have no Task SDK channel
    (``dag.test()`` runs DAG callbacks in the calling process; the scheduler runs listeners)."""

    def keys(self, prefix: str) -> list[str]:
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            return list(
                session.scalars(select(Variable.key).where(Variable.key.startswith(prefix, autoescape=True)))
            )

    def get(self, key: str) -> str | None:
        from airflow.models.variable import Variable

        return Variable.get(key, default_var=None)

    def set(self, key: str, value: str, description: str) -> None:
        from airflow.models.variable import Variable

        Variable.set(key, value, description=description)

    def delete(self, key: str) -> None:
        from airflow.models.variable import Variable

        Variable.delete(key)


class Variables(Protocol):
    """Where the ledger keeps its records: Airflow Variables, or any store with these methods."""

    def keys(self, prefix: str) -> list[str]: ...
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, description: str) -> None: ...
    def delete(self, key: str) -> None: ...


def _variables() -> _SdkVariables | _CoreVariables:
    from airflow.sdk.execution_time import task_runner

    if getattr(task_runner, "SUPERVISOR_COMMS", None) is not None:
        return _SdkVariables()
    return _CoreVariables()


class VariableLedger:
    """The production ledger: Airflow Variables (Task SDK where available, else the metadata DB).

    ``variables`` fixes the store; by default each call picks the one the current process can reach.
    """

    def __init__(self, variables: Variables | None = None) -> None:
        self._store = variables

    def _variables(self) -> Variables:
        return self._store if self._store is not None else _variables()

    def _keys(self, prefix: str) -> list[str]:
        return [k for k in self._variables().keys(prefix) if k.startswith(prefix)]

    def seen(
        self,
        kind: str,
        dag_id: str,
        run_id: str,
        task_id: str | None = None,
        map_index: int = -1,
        try_number: int | None = None,
    ) -> bool:
        try:
            return bool(self._keys(record_key(kind, dag_id, run_id, task_id, map_index, try_number)))
        except Exception as err:
            log.warning("alert ledger unreachable (sending anyway): %s", err)
            return False

    def record(self, rec: AlertRecord) -> None:
        key = (
            record_key(rec.kind, rec.dag_id, rec.run_id, rec.task_id, rec.map_index, rec.try_number)
            + _today()
        )
        what = f"{rec.dag_id}.{rec.task_id}" if rec.task_id else rec.dag_id
        try:
            self._variables().set(
                key, rec.to_json(), f"dataplatform alert ledger: {rec.kind} {what} {rec.run_id}"
            )
        except Exception as err:
            log.warning("could not record alert in the ledger: %s", err)

    def run_records(self, dag_id: str, run_id: str, kind: str | None = None) -> list[AlertRecord]:
        try:
            variables = self._variables()
            keys = self._keys(_run_prefix(dag_id, run_id))
            records = [AlertRecord.from_json(variables.get(k)) for k in keys]
        except Exception as err:
            log.warning("alert ledger unreachable: %s", err)
            return []
        return [r for r in records if r is not None and (kind is None or r.kind == kind)]

    def last_outcome(self, dag_id: str) -> dict[str, Any] | None:
        try:
            if not self._keys(_outcome_key(dag_id)):
                return None
            value = self._variables().get(_outcome_key(dag_id))
            return json.loads(value) if value else None
        except Exception as err:
            log.warning("alert ledger unreachable: %s", err)
            return None

    def set_last_outcome(self, dag_id: str, state: str, run_id: str) -> None:
        value = json.dumps({"state": state, "run_id": run_id, "at": now_iso()})
        try:
            self._variables().set(
                _outcome_key(dag_id), value, f"dataplatform alerts: last outcome of {dag_id}"
            )
        except Exception as err:
            log.warning("could not store the DAG outcome in the ledger: %s", err)

    def prune(self, dag_id: str, keep_run_id: str, ttl_days: int) -> int:
        try:
            variables = self._variables()
            keys = self._keys(f"{PREFIX}.{_h(dag_id)}.")
        except Exception as err:
            log.warning("alert ledger unreachable: %s", err)
            return 0
        keep = _run_prefix(dag_id, keep_run_id)
        cutoff = (datetime.now(UTC) - timedelta(days=ttl_days)).strftime("%Y%m%d")
        removed = 0
        for key in keys:
            day = key.rsplit(".", 1)[-1]
            if key.startswith(keep) or not day.isdigit() or day >= cutoff:
                continue
            with contextlib.suppress(Exception):
                variables.delete(key)
                removed += 1
        return removed


def get_ledger() -> Ledger:
    """The ledger callbacks use."""
    return VariableLedger()
