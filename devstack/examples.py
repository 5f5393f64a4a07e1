"""``make examples``: pictures of what arrives, from the running local stack, into docs/examples/.

After ``make run`` the mail catcher (``.local/mail``) holds the monthly financial report and the
daily report, and S3 holds the report's folder: this renders the newest of each with headless
Chromium (:mod:`devstack.render`) so a reader of the README sees them without running anything.
"""

from __future__ import annotations

import email
import email.policy
import tempfile
from email.message import EmailMessage
from pathlib import Path

from devstack import render
from devstack.config import REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples"
MAIL = REPO_ROOT / ".local" / "mail"


def newest_mail(subject_prefix: str, mail_dir: Path = MAIL) -> EmailMessage:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(message["Subject"]).startswith(subject_prefix):
            found.append(message)
    if not found:
        raise SystemExit(f"no email '{subject_prefix}…' in {mail_dir}: run `make run` first")
    return found[-1]  # type: ignore[return-value]


def _shrink(png: Path) -> Path:
    """A 256-colour palette: the pictures stay sharp at a third of the size in the repository."""
    from PIL import Image

    Image.open(png).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        png, optimize=True
    )
    return png


def render_examples(s3_port: int, reports_bucket: str = "reports") -> list[Path]:
    """Render the newest monthly and daily report emails and the HTML report; return the PNGs."""
    from devstack.s3 import s3_client

    render.ensure_chromium()
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, name in (
            ("Financial report", "monthly_financial_report_email"),
            ("Daily report", "daily_report_email"),
        ):
            page = render.email_page(newest_mail(prefix), Path(tmp, name))
            written.append(_shrink(render.screenshot(page, EXAMPLES / f"{name}.png")))
        client = s3_client(s3_port)
        keys = [
            o["Key"]
            for o in client.list_objects_v2(Bucket=reports_bucket, Prefix="reports/financial/").get(
                "Contents", []
            )
            if o["Key"].endswith("/report.html")
        ]
        if keys:
            page = Path(tmp, "report.html")
            page.write_bytes(client.get_object(Bucket=reports_bucket, Key=sorted(keys)[-1])["Body"].read())
            written.append(_shrink(render.screenshot(page, EXAMPLES / "monthly_financial_report.png")))
    return written
