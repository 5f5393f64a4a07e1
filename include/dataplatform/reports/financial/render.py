"""The financial report's files: three charts, the HTML report, the email (HTML + text) and CSVs.

:func:`render_report` turns the month's tables (as :func:`~.build.read_report` returns them) into
named files. The HTML report is self-contained (charts as ``data:`` URIs) so it opens from S3 or a
download; the email body is the same page with the charts as inline ``cid:`` parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataplatform.loading.period import Period
from dataplatform.reports import formatting
from dataplatform.reports.editions import Outgoing
from dataplatform.reports.financial.tables import OUTLIER_MIN_CLAIMS, TABLES
from dataplatform.reports.html import data_uri, render

CHART_NAMES = ("revenue_trend", "payer_mix", "denial_rate")


@dataclass
class RenderedReport:
    """Files by path relative to the report's folder, plus the email's subject."""

    subject: str
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def charts(self) -> dict[str, bytes]:
        return {_stem(p): b for p, b in self.files.items() if p.startswith("charts/")}

    @property
    def extracts(self) -> dict[str, bytes]:
        return {p.split("/", 1)[1]: b for p, b in self.files.items() if p.startswith("data/")}


def charts(contents: dict[str, list[dict[str, Any]]], currency: str, period: Period) -> dict[str, bytes]:
    """The three charts as PNG bytes."""
    from dataplatform.reports import charts as plot

    month_name = formatting.month_long(period.start)
    trend = contents["financial_trend"]
    payers = contents["financial_payer_mix"]
    denials = contents["financial_denials_by_payer"]
    summary = contents["financial_summary"][0]
    return {
        "revenue_trend": plot.png(
            plot.monthly_bars(
                [r["month"] for r in trend],
                [r["revenue"] for r in trend],
                title=f"Revenue by month, 12 months to {month_name} ({currency})",
                value_label=f"Billed revenue ({currency})",
                currency=currency,
            )
        ),
        "payer_mix": plot.png(
            plot.horizontal_bars(
                [r["payer_name"] for r in payers],
                [r["revenue_share"] for r in payers],
                title=f"Payer mix, {month_name}: share of revenue",
                value_label="Share of billed revenue",
            )
        ),
        "denial_rate": plot.png(
            plot.horizontal_bars(
                [r["payer_name"] for r in denials],
                [r["denial_rate"] for r in denials],
                title=f"Denial rate by payer, {month_name}",
                value_label="Denied / decided claims",
                reference=summary["denial_rate"],
                reference_label="all payers",
            )
        ),
    }


def subject(contents: dict[str, list[dict[str, Any]]], period: Period, issue: Outgoing) -> str:
    """``Financial report November 2026: revenue €14,467,916 (−6.5 % vs Oct)`` (+ ``, re-issue 2``)."""
    s = contents["financial_summary"][0]
    text = (
        f"Financial report {formatting.month_long(period.start)}: revenue {formatting.money(s['revenue'], s['currency'])}"
        f" ({formatting.change(s['revenue_change'])} vs {period.previous().start:%b})"
    )
    return f"{text}, re-issue {issue.number}" if issue.reissue else text


def render_report(
    contents: dict[str, list[dict[str, Any]]],
    period: Period,
    *,
    edition: dict[str, Any],
    issue: Outgoing,
    links: dict[str, str | None],
    currency: str,
) -> RenderedReport:
    """Every file of the month's report folder (see the module docstring)."""
    images = charts(contents, currency, period)
    s = contents["financial_summary"][0]
    denial_change = (
        s["denial_rate"] - s["prev_denial_rate"]
        if s["denial_rate"] is not None and s["prev_denial_rate"] is not None
        else None
    )
    context = {
        "title": f"Financial report {formatting.month_long(period.start)}",
        "month_name": formatting.month_long(period.start),
        "prev_month_short": f"{period.previous().start:%b}",
        "period_start": period.start.isoformat(),
        "currency": currency,
        "s": s,
        "denial_change": denial_change,
        "T": {t.short_name: t for t in TABLES},
        "R": contents,
        "issue": issue,
        "links": links,
        "edition_id": edition["edition_id"],
        "built_at": edition["built_at"],
        "content_sha": edition["content_sha256"],
        "sources": edition.get("sources", {}),
        "outlier_min_claims": OUTLIER_MIN_CLAIMS,
    }
    report = RenderedReport(subject=subject(contents, period, issue))
    report.files["report.html"] = render(
        "financial.html.j2", image=lambda name: data_uri(images[name]), mode="report", **context
    ).encode()
    report.files["email/body.html"] = render(
        "financial.html.j2", image=lambda name: f"cid:{name}", mode="email", **context
    ).encode()
    report.files["email/body.txt"] = render("financial.txt.j2", **context).encode()
    for name, data in images.items():
        report.files[f"charts/{name}.png"] = data
    for t in TABLES:
        report.files[f"data/{t.short_name}.csv"] = t.csv_text(contents[t.short_name]).encode()
    return report


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
