"""Benchmark: building and rendering the monthly financial report against one plain query.

    .venv/bin/python -m bench.financial_report                   # 200k and 1M claims in the month
    .venv/bin/python -m bench.financial_report --claims 1000000 --json

Loads patients 1..100,000 and one month of billing and insurance files through the loading stack
(not timed), then measures, each in its own process:

* the reference: one `psql` query that reads the month's claims once with the same joins
  (patients, insurance) and groups them -- the least any report of that month has to do;
* `report.build`: the completeness checks, the 9 `reports.financial_*` tables and the edition,
  in one snapshot transaction (`build_report`);
* rendering: the three charts, the HTML report, the email and the CSVs (`render_report`).

Prints `build / reference` and the peak RSS of each process.
"""

from __future__ import annotations

import argparse
import sys

from bench._common import (
    GENERATED_MONTH,
    GENERATED_TODAY,
    Database,
    child_report,
    json_figures,
    markdown_table,
    psql,
    run_python,
    sample_csv,
    stopwatch,
    temporary_database,
)
from bench._etl import bench_run, run_etl
from dataplatform.conn_ids import WAREHOUSE_CONN_ID

SEED = 42
PATIENTS = 100_000
MONTH = GENERATED_MONTH.strftime("%Y-%m")

REFERENCE_SQL = f"""
SELECT coalesce(b.ward, p.ward), i.status, count(*), sum(b.amount), sum(i.approved_amount)
FROM public.billing_claims b
LEFT JOIN public.patients p ON p.patient_id = b.patient_id
LEFT JOIN public.insurance_claims i ON i.claim_id = b.claim_id AND i.claims_month = b.billing_month
WHERE b.billing_month = DATE '{GENERATED_MONTH.isoformat()}' AND b.currency = 'EUR'
GROUP BY 1, 2
"""


def child(step: str) -> None:
    """In the child: build or render the month's report, report the seconds."""
    from dataplatform.hooks.warehouse import WarehouseHook
    from dataplatform.loading.period import Period
    from dataplatform.reports.financial.build import FinancialSources, build_report, read_report
    from dataplatform.reports.financial.render import render_report
    from dataplatform.sources.billing import BILLING
    from dataplatform.sources.insurance import INSURANCE
    from dataplatform.sources.patients import PATIENTS as PATIENTS_CONTRACT

    period = Period.parse("month", MONTH)
    if step == "build":
        with stopwatch() as t:
            out = build_report(
                WarehouseHook(),
                FinancialSources(BILLING, INSURANCE, PATIENTS_CONTRACT),
                period,
                currency="EUR",
                dag_id="bench",
                run_id="bench_report",
                try_number=1,
            )
        child_report(seconds=t["seconds"], result=out["rows"])
        return
    from dataplatform.reports import editions

    with WarehouseHook().transaction() as conn:
        contents = read_report(conn, period)
        edition = editions.get_edition(
            conn, int(conn.execute("SELECT max(id) FROM reports.editions").fetchone()[0])
        )
        coming = editions.upcoming(conn, edition, "email")
    with stopwatch() as t:
        rendered = render_report(
            contents,
            period,
            edition={"edition_id": edition.id, "built_at": "now", "content_sha256": edition.content_sha256},
            issue=coming,
            links={"report_url": None, "artifacts_uri": "s3://bench/"},
            currency="EUR",
        )
    child_report(seconds=t["seconds"], result={"files": len(rendered.files)})


def measure(claims: int) -> dict:
    patients = sample_csv("patients", PATIENTS, seed=SEED)
    billing = sample_csv("billing", claims, seed=SEED, dirty=True, patients=PATIENTS)
    insurance = sample_csv("insurance", claims, seed=SEED, dirty=True, patients=PATIENTS)
    with temporary_database(f"bench_report_{claims}") as db:
        day = bench_run("day", GENERATED_TODAY.isoformat(), GENERATED_TODAY.isoformat())
        run_etl(db, "patients", str(patients.path), {**day, "run_id": "bench_patients"})
        month = bench_run("month", MONTH, GENERATED_TODAY.isoformat())
        run_etl(db, "billing", str(billing.path), {**month, "run_id": "bench_billing"})
        run_etl(db, "insurance", str(insurance.path), {**month, "run_id": "bench_insurance"})
        db.execute("VACUUM ANALYZE")
        psql(db, REFERENCE_SQL).check()  # warm the cache once, as the loads left it
        reference = psql(db, REFERENCE_SQL).check()
        env = db.airflow_conn_env(WAREHOUSE_CONN_ID)
        build = run_python("bench.financial_report", "--child", "build", env=env).check()
        render = run_python("bench.financial_report", "--child", "render", env=env).check()
        built, rendered = build.report(), render.report()
        loaded = int(Database(db.name).scalar("SELECT count(*) FROM public.billing_claims"))
    return {
        "claims": loaded,
        "reference_seconds": round(reference.seconds, 3),
        "build_seconds": round(built["seconds"], 3),
        "build_ratio": round(built["seconds"] / reference.seconds, 2),
        "build_peak_rss_mb": round(build.peak_rss_mb, 1),
        "render_seconds": round(rendered["seconds"], 3),
        "render_peak_rss_mb": round(render.peak_rss_mb, 1),
        "tables": built["result"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results = [measure(n) for n in args.claims]
    print(
        markdown_table(
            [
                "claims",
                "reference query s",
                "build s",
                "build / reference",
                "build RSS MB",
                "render s",
                "render RSS MB",
            ],
            [
                [
                    r["claims"],
                    r["reference_seconds"],
                    r["build_seconds"],
                    r["build_ratio"],
                    r["build_peak_rss_mb"],
                    r["render_seconds"],
                    r["render_peak_rss_mb"],
                ]
                for r in results
            ],
        )
    )
    if args.json:
        json_figures({"bench": "financial_report", "results": results})


if __name__ == "__main__":
    sys.exit(main())
