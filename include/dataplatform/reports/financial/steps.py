"""The financial report's steps, as its task group runs them: build -> publish -> send_email | post_slack.

Plain functions of small dicts (what the tasks hand each other), testable without Airflow:

* :func:`build`: check the month is complete and replace its ``reports.financial_*`` tables
  (:mod:`~.build`), recording an edition;
* :func:`publish`: render the HTML report, the email, the charts and the CSVs and replace the
  month's S3 folder with them;
* :func:`send_email` / :func:`post_slack`: deliver that edition once on each channel
  (:func:`dataplatform.reports.editions.deliver_once`): a retry after a successful send does nothing.

A month that is not complete fails :func:`build` with every reason and no retry; nothing is sent.
"""

from __future__ import annotations

import json
import logging
from email.message import EmailMessage
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from dataplatform.conn_ids import AWS_CONN_ID, SMTP_CONN_ID, WAREHOUSE_CONN_ID
from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.loading.period import Period
from dataplatform.loading.steps import failing_for_good
from dataplatform.reports import artifacts, editions, formatting
from dataplatform.reports.delivery import EMAIL, email_once, slack_once
from dataplatform.reports.email import report_message
from dataplatform.reports.financial.build import (
    REPORT,
    FinancialSources,
    build_report,
    content_sha256,
    read_report,
)
from dataplatform.reports.financial.checks import IncompleteInputsError
from dataplatform.reports.financial.render import render_report
from dataplatform.reports.settings import load_report_settings
from dataplatform.reports.slack import summary_message

log = logging.getLogger(__name__)


def build(
    sources: FinancialSources,
    period: Period,
    *,
    dag_id: str,
    run_id: str,
    try_number: int,
    conn_id: str = WAREHOUSE_CONN_ID,
) -> dict[str, Any]:
    """Build the month's tables and edition; fail for good (no retry) if the month is incomplete."""
    settings = load_report_settings()
    try:
        with failing_for_good(f"financial report {period.label}"):
            return build_report(
                WarehouseHook(postgres_conn_id=conn_id),
                sources,
                period,
                currency=settings.currency,
                dag_id=dag_id,
                run_id=run_id,
                try_number=try_number,
            )
    except IncompleteInputsError as err:
        raise AirflowFailException(str(err)) from err


def publish(
    built: dict[str, Any],
    *,
    bucket: str,
    conn_id: str = WAREHOUSE_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
) -> dict[str, Any]:
    """Render the edition and replace the month's S3 folder; return where it is and the email's subject."""
    settings = load_report_settings()
    period = Period.parse("month", built["period"])
    folder = artifacts.Folder.of(bucket, REPORT, period.label)
    with WarehouseHook(postgres_conn_id=conn_id).transaction(snapshot=True) as conn:
        edition = editions.get_edition(conn, built["edition_id"])
        contents = read_report(conn, period)
        if content_sha256(contents) != edition.content_sha256:
            raise AirflowFailException(
                f"the financial report tables of {period.label} changed since edition {edition.id} was built "
                "(a later run rebuilt them): not publishing a stale edition"
            )
        coming = editions.upcoming(conn, edition, EMAIL)
    report_url = artifacts.link(folder, "report.html", base_url=settings.base_url, aws_conn_id=aws_conn_id)
    rendered = render_report(
        contents,
        period,
        edition={
            "edition_id": edition.id,
            "built_at": formatting.utc_minute(edition.built_at),
            "content_sha256": edition.content_sha256,
            "sources": built.get("sources") or {},
        },
        issue=coming,
        links={"report_url": report_url, "artifacts_uri": folder.uri},
        currency=settings.currency,
    )
    meta = {"subject": rendered.subject, "issue": coming.issue, "edition_id": edition.id}
    files = {**rendered.files, "email/meta.json": json.dumps(meta).encode()}
    manifest = artifacts.publish(folder, files, edition_id=edition.id, aws_conn_id=aws_conn_id)
    log.info("published %d files to %s", len(manifest["files"]), folder.uri)
    return {
        "bucket": bucket,
        "folder": folder.uri,
        "report_url": report_url,
        "subject": rendered.subject,
        "issue": coming.issue,
        "files": sorted(manifest["files"]),
    }


def send_email(
    built: dict[str, Any],
    published: dict[str, Any],
    *,
    route: str,
    conn_id: str = WAREHOUSE_CONN_ID,
    smtp_conn_id: str = SMTP_CONN_ID,
    aws_conn_id: str = AWS_CONN_ID,
) -> dict[str, Any]:
    """Email the published edition (its files as the S3 folder holds them) to the route, once."""
    period = Period.parse("month", built["period"])
    folder = artifacts.Folder.of(published["bucket"], REPORT, period.label)
    files = artifacts.fetch(folder, edition_id=built["edition_id"], aws_conn_id=aws_conn_id)

    def message(outgoing: editions.Outgoing, recipients: tuple[str, ...]) -> EmailMessage:
        if outgoing.issue != published["issue"]:
            raise AirflowFailException(
                f"edition {outgoing.edition.id} was rendered as issue {published['issue']} but would go out as "
                f"issue {outgoing.issue} (another edition was sent meanwhile): clear the publish task to re-render"
            )
        return report_message(
            subject=published["subject"],
            to=recipients,
            html=files["email/body.html"].decode(),
            text=files["email/body.txt"].decode(),
            images={p.split("/")[1][:-4]: data for p, data in files.items() if p.startswith("charts/")},
            attachments={
                f"{p.split('/')[1][:-4]}_{period.label}.csv": data
                for p, data in files.items()
                if p.startswith("data/")
            },
            message_id=outgoing.message_id,
        )

    what = f"financial report {period.label}"
    return email_once(what, built["edition_id"], route, message, conn_id=conn_id, smtp_conn_id=smtp_conn_id)


def post_slack(
    built: dict[str, Any], published: dict[str, Any], *, route: str, conn_id: str = WAREHOUSE_CONN_ID
) -> dict[str, Any]:
    """Post the edition's summary to the route's Slack connection, once."""
    return slack_once(
        f"financial report {built['period']}",
        built["edition_id"],
        route,
        lambda outgoing: slack_summary(built, published, outgoing.issue),
        conn_id=conn_id,
    )


def slack_summary(built: dict[str, Any], published: dict[str, Any], issue: int):
    """Headline figures, the change against last month, and the link to the report."""
    f = built["figures"]
    period = Period.parse("month", built["period"])
    previous = f"{period.previous().start:%b}"
    currency = f["currency"]
    denial_change = (
        float(f["denial_rate"]) - float(f["prev_denial_rate"])
        if f["denial_rate"] is not None and f["prev_denial_rate"] is not None
        else None
    )
    headline = f"Financial report {formatting.month_long(period.start)}"
    if issue > 1:
        headline += f" (re-issue {issue})"
    return summary_message(
        headline,
        [
            (
                "Revenue",
                f"{formatting.money(f['revenue'], currency)} ({formatting.change(f['revenue_change'])} vs {previous})",
            ),
            ("Claims", f"{formatting.integer(f['claims'])} ({formatting.change(f['claims_change'])})"),
            ("Denial rate", f"{formatting.pct(f['denial_rate'])} ({formatting.points(denial_change)})"),
            ("Self-pay share", formatting.pct(f["self_pay_share"])),
            (
                "Outstanding",
                f"{formatting.money(f['outstanding_amount'], currency)} ({formatting.integer(f['outstanding_claims'])} claims)",
            ),
        ],
        link=("Open the report", published["report_url"]),
        footer=f"edition {built['edition_id']} · {published['folder']}",
    )
