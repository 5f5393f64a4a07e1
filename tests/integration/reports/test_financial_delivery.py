"""Publishing and sending the financial report in-process on the real S3, SMTP and Slack sinks:
the S3 folder, one email per edition whatever the retries, re-issues, refusals."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.reports.financial import steps
from dataplatform.reports.financial.tables import TABLES
from tests.support.claims_months import build_financial
from tests.support.report_mail import parse, png_size, with_subject

pytestmark = pytest.mark.integration

BUCKET = "reports"
PREFIX = "reports/financial/2026-10/"


def test_publish_replaces_the_months_folder_and_writes_the_manifest_last(generated_months, s3_server):
    s3_server.put_object(Bucket=BUCKET, Key=PREFIX + "charts/old_chart.png", Body=b"stale")
    published = steps.publish(generated_months, bucket=BUCKET)
    keys = {o["Key"] for o in s3_server.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]}
    assert PREFIX + "charts/old_chart.png" not in keys
    expected = {"report.html", "manifest.json", "email/body.html", "email/body.txt", "email/meta.json"}
    expected |= {f"charts/{c}.png" for c in ("revenue_trend", "payer_mix", "denial_rate")}
    expected |= {f"data/{t.short_name}.csv" for t in TABLES}
    assert keys == {PREFIX + k for k in expected}
    manifest = json.loads(s3_server.get_object(Bucket=BUCKET, Key=PREFIX + "manifest.json")["Body"].read())
    assert manifest["edition_id"] == generated_months["edition_id"]
    assert set(manifest["files"]) == expected - {"manifest.json"}
    assert published["subject"].startswith("Financial report October 2026: revenue €")
    assert published["issue"] == 1


def test_an_edition_is_emailed_and_posted_once_however_often_the_task_runs(
    generated_months, smtp_sink, slack_sink
):
    published = steps.publish(generated_months, bucket=BUCKET)
    first = steps.send_email(generated_months, published, route="finance")
    again = steps.send_email(generated_months, published, route="finance")
    assert first["sent"] and not again["sent"] and again["message_id"] == first["message_id"]
    [message] = with_subject(smtp_sink.wait_for(1), "Financial report October 2026")
    mail = parse(message)
    assert message["Message-ID"] == first["message_id"]
    assert mail.cid_references == set(mail.images)
    assert all(png_size(data)[0] >= 800 for data in mail.images.values())
    assert set(mail.attachments) == {f"{t.short_name}_2026-10.csv" for t in TABLES}
    assert "Revenue by ward" in mail.text or "Revenue by ward:" in mail.text

    posted = steps.post_slack(generated_months, published, route="finance")
    assert posted["sent"] and not steps.post_slack(generated_months, published, route="finance")["sent"]
    [summary] = slack_sink.wait_for(1)
    assert summary["blocks"][0]["text"]["text"] == "Financial report October 2026"
    assert len(smtp_sink.messages) == 1 and len(slack_sink.messages) == 1


def test_a_rebuilt_month_goes_out_as_a_reissue_naming_what_it_replaces(generated_months, smtp_sink):
    first = steps.publish(generated_months, bucket=BUCKET)
    steps.send_email(generated_months, first, route="finance")  # issue 1 (sent before, or now)
    rebuilt = build_financial("2026-10", run_id="manual__rerun")
    assert rebuilt["content_sha256"] == generated_months["content_sha256"]
    published = steps.publish(rebuilt, bucket=BUCKET)
    assert published["issue"] == 2 and published["subject"].endswith(", re-issue 2")
    assert steps.send_email(rebuilt, published, route="finance")["issue"] == 2
    [mail] = [
        parse(m)
        for m in with_subject(smtp_sink.messages, "Financial report October 2026")
        if "re-issue" in m["Subject"]
    ]
    assert "Re-issue 2." in mail.html and "replaces the one sent" in mail.html
    # the older edition's files were replaced: sending it now is refused, not sent stale
    with pytest.raises(ValueError, match="holds edition"):
        steps.send_email(
            {**generated_months, "edition_id": generated_months["edition_id"]}, first, route="finance"
        )


def test_an_unknown_route_fails_without_sending(generated_months, smtp_sink):
    published = steps.publish(generated_months, bucket=BUCKET)
    with pytest.raises(AirflowFailException, match="report route 'nowhere' is not defined"):
        steps.send_email(generated_months, published, route="nowhere")
    assert not smtp_sink.messages
