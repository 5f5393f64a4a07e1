"""Load the transformed rows into the target: the warehouse hook's merge, in one transaction.

The final staging table (one row per key, typed like the target) is merged in place
(``WarehouseHook.staged(target, source_table=final)``: nothing is copied again) on the contract's
key. New and changed rows get ``loaded_at = now()`` and ``loaded_by_run = <run id>``; unchanged
rows are not rewritten, so they keep the run that last changed them and a re-run changes nothing.
Any failure rolls the whole merge back: the target is exactly as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from psycopg import sql

from dataplatform.conn_ids import WAREHOUSE_CONN_ID
from dataplatform.etl.contract import FileContract

log = logging.getLogger(__name__)

#: Server memory for the merge's anti-join on a re-run (this transaction only; 4MB spills 1M rows).
WORK_MEM = "64MB"


def audit_stamp(run_id: str) -> dict[str, Any]:
    """The audit columns of every loaded table, as written on inserted and changed rows."""
    return {"loaded_at": sql.SQL("now()"), "loaded_by_run": run_id}


def merge_final(
    contract: FileContract, final_table: str, target: str, *, run_id: str, conn_id: str = WAREHOUSE_CONN_ID
) -> dict[str, Any]:
    """Merge ``final_table`` into ``target`` on ``contract.key``; return the counts (XCom-sized).

    ``loaded`` = ``inserted + updated + unchanged`` = the rows of ``final_table``.
    """
    from dataplatform.hooks.warehouse import WarehouseHook

    hook = WarehouseHook(postgres_conn_id=conn_id, work_mem=WORK_MEM)
    with hook.staged(target, columns=contract.header, source_table=final_table) as stage:
        result = stage.merge(contract.key, stamp=audit_stamp(run_id))
    counts = {
        "target": result.table,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "loaded": result.inserted + result.updated + result.unchanged,
        "seconds": result.seconds,
    }
    log.info("merged %s into %s: %s", final_table, target, counts)
    return counts
