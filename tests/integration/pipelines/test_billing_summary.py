"""``billing_summary`` on a real warehouse: its tasks, as the DAG renders them, on hand-checked claims.

September and October 2026 of ``tests.support.claims_months`` are loaded through the loading stack;
then the DAG's ``inputs_reconciled`` and ``build`` tasks run with their templates rendered.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from dataplatform.pipelines import pipeline_dag
from tests.support.claims_months import OCTOBER, SEPTEMBER, load_two_months

pytestmark = pytest.mark.integration

DAG_FILE = Path(__file__).parents[3] / "dags" / "pipelines" / "billing_summary" / "dag.py"
COLUMNS = (
    "billing_month, ward, payer, currency, claims, billed_amount, approved_amount, paid_amount,"
    " denied_claims, outstanding_claims, denial_rate"
)


@pytest.fixture(scope="module")
def months(warehouse_db, test_config, tmp_path_factory):
    load_two_months(test_config.pg_uri(warehouse_db), tmp_path_factory.mktemp("billing_summary"))


def run_task(task_id: str, run_id: str, period: str | None = None) -> Any:
    """Render the task's templates with the run's params and execute it, as a worker would (on a
    freshly compiled DAG: rendering replaces a task's templates by their values)."""
    dag = pipeline_dag(DAG_FILE)
    task = dag.get_task(task_id)
    params = {**{k: dag.params[k] for k in dag.params}, **dict(task.params), "period": period}
    context = {"params": params, "run_id": run_id, "ds": "2026-12-01"}
    task.render_template_fields(context)
    return task.execute(context)


def summary(warehouse) -> list[tuple]:
    return warehouse.execute(
        f"SELECT {COLUMNS}, built_by_run FROM bi.billing_summary ORDER BY billing_month, ward, payer, currency"
    ).fetchall()


def test_inputs_reconciled_names_the_loads(months) -> None:
    loads = run_task("inputs_reconciled", "r0")
    assert sorted(loads) == ["billing", "insurance"]
    assert loads["billing"]["status"] == "reconciled"


def test_inputs_not_loaded_fail_naming_each_source(months) -> None:
    with pytest.raises(RuntimeError) as failed:
        run_task("inputs_reconciled", "r0", period="2026-11")
    assert str(failed.value) == (
        "inputs not ready: billing for 2026-11 was never loaded (public.billing_claims);"
        " insurance for 2026-11 was never loaded (public.insurance_claims)"
    )


def test_build_summarises_every_month(months, warehouse) -> None:
    run_task("build", "r1")
    sep, oct_ = SEPTEMBER, OCTOBER
    assert summary(warehouse) == [
        (sep, "cardiology", "INS-A", "EUR", 1, D("1100.00"), D("0.00"), D("0.00"), 1, 0, D("1.0000"), "r1"),
        (oct_, "cardiology", "INS-A", "EUR", 2, D("400.00"), D("80.00"), D("0.00"), 1, 0, D("0.5000"), "r1"),
        (oct_, "er", "INS-B", "EUR", 1, D("200.00"), D("0.00"), D("0.00"), 0, 1, None, "r1"),
        (oct_, "er", "self-pay", "EUR", 1, D("600.00"), D("0.00"), D("0.00"), 0, 0, None, "r1"),
        # C3 has no ward of its own: the patient's
        (oct_, "oncology", "INS-A", "USD", 1, D("50.00"), D("50.00"), D("0.00"), 0, 0, D("0.0000"), "r1"),
        (
            oct_,
            "oncology",
            "INS-B",
            "EUR",
            1,
            D("1000.00"),
            D("900.00"),
            D("900.00"),
            0,
            0,
            D("0.0000"),
            "r1",
        ),
    ]


def test_period_rebuilds_one_month_only(months, warehouse) -> None:
    run_task("build", "r1")
    run_task("build", "r2", period="2026-10")
    by_run = {(row[0], row[-1]) for row in summary(warehouse)}
    assert by_run == {(SEPTEMBER, "r1"), (OCTOBER, "r2")}
    assert len(summary(warehouse)) == 6


def test_dag_test_runs_the_compiled_dag(airflow_db, months, warehouse) -> None:
    """The whole DAG in Airflow's task runner: params validated, templates rendered, both tasks run."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    dag = pipeline_dag(DAG_FILE)
    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)

    run = dag.test(run_conf={"period": "2026-10"})

    assert run.state == "success"
    by_run = {(row[0], row[-1]) for row in summary(warehouse)}
    assert (OCTOBER, run.run_id) in by_run and all(r != run.run_id for m, r in by_run if m == SEPTEMBER)
