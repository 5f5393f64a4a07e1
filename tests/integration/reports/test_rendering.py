"""What people see: the HTML report and both emails rendered by headless Chromium and looked at.

A page passes when its picture is not blank, its data tables and charts are in it (table-header
and chart-bar colours over real areas), and the browser loaded every image. Skipped only where
Chromium cannot be installed (the reason is printed); ``make test`` installs it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.reports import editions
from dataplatform.reports.daily.data import data_facts
from dataplatform.reports.daily.pipeline import dag_run_summary, failed_task_list
from dataplatform.reports.daily.render import render_email
from dataplatform.reports.financial import steps
from dataplatform.sources import CONTRACTS
from devstack import render
from tests.support.pictures import CHART_BAR, TABLE_HEADER, distinct_colours, ink_share, pixels_of
from tests.support.report_mail import with_subject

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser():
    try:
        return render.ensure_chromium()
    except render.ChromiumUnavailable as err:
        pytest.skip(f"cannot render pages here: {err}")


def looks_like_a_report(png, *, charts: bool) -> None:
    assert ink_share(png) > 0.05, "the page is (nearly) blank"
    assert distinct_colours(png) > 100
    assert pixels_of(png, TABLE_HEADER) > 20_000, "no data table headers in the picture"
    if charts:
        assert pixels_of(png, CHART_BAR) > 40_000, "no chart bars in the picture"


def test_the_html_report_renders_with_its_charts_and_tables(browser, generated_months, s3_server, tmp_path):
    steps.publish(generated_months, bucket="reports")
    page = tmp_path / "report.html"
    page.write_bytes(
        s3_server.get_object(Bucket="reports", Key="reports/financial/2026-10/report.html")["Body"].read()
    )
    facts = render.page_facts(page)
    assert (facts.images, facts.images_loaded, facts.tables) == (3, 3, 8)
    assert facts.table_rows > 60
    png = render.screenshot(page, tmp_path / "report.png")
    looks_like_a_report(png, charts=True)


def test_the_report_email_renders_as_a_mail_client_shows_it(browser, generated_months, smtp_sink, tmp_path):
    published = steps.publish(generated_months, bucket="reports")
    steps.send_email(generated_months, published, route="finance")
    [message] = with_subject(smtp_sink.wait_for(1), "Financial report October 2026")
    page = render.email_page(message, tmp_path / "email")
    facts = render.page_facts(page)
    assert (facts.images, facts.images_loaded, facts.tables) == (3, 3, 8)
    looks_like_a_report(render.screenshot(page, tmp_path / "email.png"), charts=True)


def test_the_daily_email_renders_with_its_tables(browser, generated_months, tmp_path):
    day = dt.datetime.now(dt.UTC).date()  # the day the fixture's loads ran
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    runs = [
        {
            "dag_id": "patient_data_pipeline",
            "dag_run_id": "scheduled__1",
            "state": "success",
            "start_date": "2026-11-01T06:00:00Z",
            "end_date": "2026-11-01T06:02:10Z",
        },
        {
            "dag_id": "monthly_financial_report",
            "dag_run_id": "scheduled__2",
            "state": "failed",
            "start_date": "2026-11-01T02:00:00Z",
            "end_date": "2026-11-01T02:03:00Z",
        },
    ]
    tis = [
        {
            "dag_id": "monthly_financial_report",
            "dag_run_id": "scheduled__2",
            "task_id": "billing.validate",
            "map_index": -1,
            "try_number": 1,
            "end_date": "2026-11-01T02:02:59Z",
        }
    ]
    dags = dag_run_summary(runs)
    with WarehouseHook().transaction() as conn:
        data = data_facts(conn, list(CONTRACTS.values()), start, start + dt.timedelta(days=1))
    facts = {
        "day": day.isoformat(),
        "dags": dags,
        "totals": {"dags": 2, "runs": 2, "success": 1, "failed": 1, "unfinished": 0, "failed_tasks": 1},
        "failed_tasks": failed_task_list(tis),
        **data,
    }
    edition = editions.Edition(1, "daily", day, "manual__1", "x", facts, dt.datetime.now(dt.UTC))
    _subject, html, _text = render_email(
        facts, edition_id=1, issue=editions.Outgoing(edition, 1, None, "<m@x>"), api_url="http://airflow"
    )
    page = tmp_path / "daily.html"
    page.write_text(html)
    facts_seen = render.page_facts(page)
    assert (facts_seen.images, facts_seen.tables) == (0, 5)
    assert facts["loads"][1]["rows_loaded"] > 0 and facts["reject_reasons"], (
        "the day's loads are in the picture"
    )
    looks_like_a_report(render.screenshot(page, tmp_path / "daily.png"), charts=False)
