"""The report email's MIME structure: what mail clients need to show inline charts and attachments."""

from __future__ import annotations

import email
import email.policy

import pytest

from dataplatform.reports.email import report_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_html_with_inline_images_a_text_alternative_and_attachments():
    msg = report_message(
        subject="Financial report October 2026",
        to=["a@x.example", "b@x.example"],
        html='<p>hi <img src="cid:chart"></p>',
        text="hi",
        images={"chart": PNG},
        attachments={"by_ward_2026-10.csv": b"ward,revenue\nicu,1\n"},
        message_id="<financial.20261001.e7.email@dataplatform>",
        headers={"X-Report-Edition": "7"},
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    text, related = alternative.get_payload()
    assert (alternative.get_content_type(), text.get_content_type(), related.get_content_type()) == (
        "multipart/alternative",
        "text/plain",
        "multipart/related",
    )
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html" and 'src="cid:chart"' in html.get_content()
    assert image["Content-ID"] == "<chart>" and image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == PNG
    assert (
        attachment.get_content_disposition() == "attachment"
        and attachment.get_filename() == "by_ward_2026-10.csv"
    )
    assert attachment.get_content_type() == "text/csv"
    assert parsed["To"] == "a@x.example, b@x.example" and parsed["X-Report-Edition"] == "7"
    assert parsed["Message-ID"] == "<financial.20261001.e7.email@dataplatform>"


def test_no_recipients_is_an_error():
    with pytest.raises(ValueError, match="needs recipients"):
        report_message(subject="s", to=[], html="<p/>", text="")
