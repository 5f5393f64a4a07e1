"""Callables for pipelines' ``python`` steps (``callable: dataplatform.pipelines.tasks.<name>``)."""

from __future__ import annotations

from typing import Any


def require_reconciled(sources: list[str], period: str | None = None, **_: Any) -> dict[str, Any]:
    """Fail unless each source's latest load (of ``period``, ``YYYY-MM``/``YYYY-MM-DD``, when given)
    reconciled, naming every source that did not; returns each load's id and counts.

    A BI table built on top then never reads a half-loaded month. Extra keyword arguments (e.g. the
    step's ``config``) are ignored.
    """
    from dataplatform.hooks.warehouse import WarehouseHook
    from dataplatform.loading import ledger
    from dataplatform.loading.period import Period
    from dataplatform.sources import CONTRACTS

    problems: list[str] = []
    loads: dict[str, Any] = {}
    with WarehouseHook().transaction() as conn:
        for name in sources:
            contract = CONTRACTS[name]
            start = Period.parse(contract.period, period).start if period else None
            record = ledger.latest_for_period(conn, contract, start)
            label = f" for {period}" if period else ""
            if record is None:
                problems.append(f"{name}{label} was never loaded ({contract.target})")
            elif record.status not in ("reconciled", "skipped"):
                problems.append(
                    f"{name}{label}: the latest load ({record.id}) is {record.status}, not reconciled"
                )
            else:
                loads[name] = {"load_id": record.id, "status": record.status, **record.counts}
    if problems:
        raise RuntimeError("inputs not ready: " + "; ".join(problems))
    return loads
