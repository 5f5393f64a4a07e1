"""``data_quality_scorecard`` on a real warehouse: grades from the ledger and thresholds.xml."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest

from dataplatform.pipelines import pipeline_dag
from tests.support.claims_months import OCTOBER, SEPTEMBER, load_two_months

pytestmark = pytest.mark.integration

DAG_FILE = Path(__file__).parents[3] / "dags" / "pipelines" / "data_quality_scorecard" / "dag.py"


@pytest.fixture(scope="module")
def ledger(warehouse_db, test_config, tmp_path_factory):
    """Patients, September and October loaded; one October billing load left unreconciled."""
    load_two_months(test_config.pg_uri(warehouse_db), tmp_path_factory.mktemp("scorecard"))
    with psycopg.connect(test_config.pg_uri(warehouse_db), autocommit=True) as conn:
        # a later try of September's insurance that rejected 3 of 100 rows and one that never reconciled
        conn.execute(
            """INSERT INTO dataplatform.loads (contract, fingerprint, target, period_kind, period_start, source,
                   sha256, bytes, dag_id, run_id, try_number, rows_read, rows_rejected, rows_superseded,
                   rows_loaded, inserted, updated, unchanged, deleted, target_rows, written_at, status)
               SELECT contract, fingerprint, target, period_kind, period_start, source, sha256, bytes, dag_id,
                   run_id || '_again', try_number + 1, 100, r, 0, 100 - r, 0, 0, 0, 0, 0, now(), s
               FROM dataplatform.loads, (VALUES ('insurance', 3, 'reconciled'), ('billing', 0, 'loaded')) AS v(c, r, s)
               WHERE contract = v.c AND period_start = %s""",
            (SEPTEMBER,),
        )


def test_scorecard_grades_each_sources_latest_load(ledger, warehouse) -> None:
    task = pipeline_dag(DAG_FILE).get_task("scorecard")
    context = {"params": dict(task.params), "run_id": "r1"}
    task.render_template_fields(context)
    task.execute(context)
    rows = warehouse.execute(
        "SELECT source, period_start, status, rows_read, rows_rejected, reject_ratio, warn_ratio, fail_ratio,"
        " grade, built_by_run FROM bi.data_quality_scorecard ORDER BY source, period_start"
    ).fetchall()
    assert [r[:2] + r[2:3] + r[8:] for r in rows] == [
        ("billing", SEPTEMBER, "loaded", "fail", "r1"),  # never reconciled
        ("billing", OCTOBER, "reconciled", "ok", "r1"),
        ("insurance", SEPTEMBER, "reconciled", "warn", "r1"),  # 3 % rejected: above warn 1 %, within fail 5 %
        ("insurance", OCTOBER, "reconciled", "ok", "r1"),
        ("patients", rows[4][1], "reconciled", "ok", "r1"),
    ]
    insurance_september = rows[2]
    assert insurance_september[3:8] == (100, 3, D("0.0300"), D("0.0100"), D("0.0500"))
