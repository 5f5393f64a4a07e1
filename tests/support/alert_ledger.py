"""The production alert ledger over Variables kept in a dict: no Airflow, no database."""

from __future__ import annotations

from dataplatform.alerts.dedup import VariableLedger


class MemoryVariables:
    """Variables in a dict, with the methods the ledger uses."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def keys(self, prefix: str) -> list[str]:
        return [k for k in self.values if k.startswith(prefix)]

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str, description: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class MemoryLedger(VariableLedger):
    """:class:`VariableLedger` over :class:`MemoryVariables` (``memory`` holds the store)."""

    def __init__(self) -> None:
        self.memory = MemoryVariables()
        super().__init__(self.memory)
