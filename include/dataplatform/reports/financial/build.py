"""Build the month's financial report in the warehouse: check, replace its tables, record the edition.

All in one REPEATABLE READ transaction under a per-month advisory lock: the completeness checks
(:mod:`~dataplatform.reports.financial.checks`) and every figure read the same snapshot, and a
failure leaves the month's previous tables as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import sql

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.contract import SourceContract
from dataplatform.loading.period import Period
from dataplatform.reports import editions
from dataplatform.reports.financial import diagnosis_groups
from dataplatform.reports.financial.checks import check_inputs
from dataplatform.reports.financial.tables import CLAIMS_SQL, STATUSES, SUMMARY, TABLES, TREND, TREND_MONTHS
from dataplatform.warehouse.identifiers import table_identifier

log = logging.getLogger(__name__)

REPORT = "financial"
CLAIMS_TEMP_TABLE = "report_claims"
#: Headline figures of the summary row carried in the edition (Slack, email subject, XCom).
HEADLINE = (
    "currency",
    "claims",
    "patients",
    "revenue",
    "revenue_change",
    "claims_change",
    "self_pay_share",
    "denial_rate",
    "prev_denial_rate",
    "outstanding_claims",
    "outstanding_amount",
    "denied_amount",
    "other_currency_claims",
)


@dataclass(frozen=True)
class FinancialSources:
    """The contracts the report is built from."""

    billing: SourceContract
    insurance: SourceContract
    patients: SourceContract


def build_report(
    hook: WarehouseHook,
    sources: FinancialSources,
    period: Period,
    *,
    currency: str,
    dag_id: str,
    run_id: str,
    try_number: int,
) -> dict[str, Any]:
    """Build ``period``'s report; return ``{"edition_id", "period", "content_sha256", "figures", "rows", "sources"}``."""
    with hook.transaction(snapshot=True) as conn:
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dataplatform.report.{REPORT}.{period.label}",)
        )
        ensure_tables(conn)
        inputs = check_inputs(conn, period, sources.billing, sources.insurance)
        identifiers = _identifiers(sources)
        params = {
            "currency": currency,
            "first_month": _months_before(period.start, TREND_MONTHS - 1),
            "previous_month": period.previous().start,
            "statuses": list(STATUSES),
            "unmatched_decisions": inputs.unmatched_decisions,
            "no_dx_chapter": diagnosis_groups.NO_DIAGNOSIS[0],
            "no_dx_title": diagnosis_groups.NO_DIAGNOSIS[1],
            "other_chapter": diagnosis_groups.UNCLASSIFIED[0],
            "other_title": diagnosis_groups.UNCLASSIFIED[1],
        }
        conn.execute(
            sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS {}").format(
                sql.Identifier(CLAIMS_TEMP_TABLE), sql.SQL(CLAIMS_SQL).format(**identifiers)
            ),
            {**params, "period": period.start},
        )
        counts = {t.short_name: t.replace(conn, period.start, identifiers, params) for t in TABLES}
        contents = {t.short_name: t.rows(conn, period.start) for t in TABLES}
        digest = content_sha256(contents)
        summary = contents[SUMMARY.short_name][0]
        figures = {k: _plain(summary[k]) for k in HEADLINE} | {"period": period.label}
        edition = editions.new_edition(
            conn,
            report=REPORT,
            period_start=period.start,
            dag_id=dag_id,
            run_id=run_id,
            try_number=try_number,
            content_sha256=digest,
            figures=figures,
            sources={**inputs.loads, "unmatched_decisions": inputs.unmatched_decisions},
        )
    log.info("financial report %s: edition %d, rows %s, sha256 %s", period.label, edition.id, counts, digest)
    return {
        "edition_id": edition.id,
        "period": period.label,
        "content_sha256": digest,
        "figures": figures,
        "rows": counts,
        "sources": inputs.loads,
    }


def ensure_tables(conn: Any) -> None:
    """Create the ``reports`` schema, the report's tables and the editions tables if missing."""
    editions.ensure_tables(conn)
    conn.execute(f"SELECT pg_advisory_xact_lock(hashtext('dataplatform.ddl.report.{REPORT}'))")
    for table in TABLES:
        conn.execute(table.ddl())


def read_report(conn: Any, period: Period) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows of ``period``, by short name."""
    return {t.short_name: t.rows(conn, period.start) for t in TABLES}


def content_sha256(contents: dict[str, list[dict[str, Any]]]) -> str:
    """A SHA-256 of the tables' rows (same rows, same digest: a re-run that changed nothing shows it)."""
    canonical = json.dumps(contents, sort_keys=True, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _identifiers(sources: FinancialSources) -> dict[str, sql.Composable]:
    return {
        "billing": table_identifier(sources.billing.target),
        "insurance": table_identifier(sources.insurance.target),
        "patients": table_identifier(sources.patients.target),
        "billing_month": sql.Identifier(sources.billing.partition_column or ""),
        "claims_month": sql.Identifier(sources.insurance.partition_column or ""),
        "claims": sql.Identifier(CLAIMS_TEMP_TABLE),
        "trend": table_identifier(TREND.name),
        "chapters": diagnosis_groups.chapters_values(),
    }


def _months_before(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
