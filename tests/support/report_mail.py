"""Take a received report email apart: its HTML and text, inline images by Content-ID, attachments."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from PIL import Image


@dataclass
class ReportMail:
    subject: str
    to: str
    html: str = ""
    text: str = ""
    images: dict[str, bytes] = field(default_factory=dict)
    attachments: dict[str, bytes] = field(default_factory=dict)
    content_types: list[str] = field(default_factory=list)

    @property
    def cid_references(self) -> set[str]:
        return set(re.findall(r'src="cid:([^"]+)"', self.html))


def parse(message: EmailMessage) -> ReportMail:
    mail = ReportMail(subject=str(message["Subject"]), to=str(message["To"]))
    for part in message.walk():
        mail.content_types.append(part.get_content_type())
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        if disposition == "attachment":
            mail.attachments[part.get_filename()] = part.get_payload(decode=True)
        elif part.get("Content-ID"):
            mail.images[part["Content-ID"].strip("<>")] = part.get_payload(decode=True)
        elif part.get_content_type() == "text/html":
            mail.html = part.get_content()
        elif part.get_content_type() == "text/plain":
            mail.text = part.get_content()
    return mail


def png_size(data: bytes) -> tuple[int, int]:
    """The size of a valid PNG (raises if it is not one)."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG", image.format
    image.verify()
    return Image.open(io.BytesIO(data)).size


def with_subject(messages: list[EmailMessage], prefix: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["Subject"]).startswith(prefix)]
