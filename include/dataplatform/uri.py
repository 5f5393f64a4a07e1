"""Where a file lives: the one parser of ``s3://bucket/key``, ``file:///abs/path`` and ``/abs/path``.

Used by the landing sensor (to probe), the loading stack (to open) and anything else that takes a
file location. Paths are kept exactly as the user wrote them (``raw``): that is the name every
message uses. No I/O here, no Airflow import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Location:
    """A parsed location: ``scheme`` is ``"s3"`` (``bucket`` + ``key``) or ``"file"`` (``path``)."""

    raw: str
    scheme: str
    bucket: str = ""
    key: str = ""
    path: str = ""

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"


def parse_location(location: str) -> Location:
    """Parse ``s3://bucket/key``, ``/abs/path`` or ``file:///abs/path``; ValueError names the bad one."""
    if not isinstance(location, str) or not location.strip():
        raise ValueError(f"a file location must be a non-empty string, got {location!r}")
    if location.startswith("s3://"):
        parts = urlsplit(location)
        key = parts.path.lstrip("/")
        if not parts.netloc or not key or key.endswith("/"):
            raise ValueError(f"{location}: an S3 file needs s3://bucket/key (with a key, not a folder)")
        return Location(raw=location, scheme="s3", bucket=parts.netloc, key=key)
    if location.startswith("file://"):
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{location}: file:// URIs must be local (file:///abs/path)")
        local = unquote(parts.path)
        if not os.path.isabs(local):
            raise ValueError(f"{location}: file:// URIs need an absolute path (file:///abs/path)")
        return Location(raw=location, scheme="file", path=local)
    if "://" in location:
        raise ValueError(
            f"{location}: unsupported scheme; use s3://bucket/key, /abs/path or file:///abs/path"
        )
    if not os.path.isabs(location):
        raise ValueError(f"{location}: local files need an absolute path")
    return Location(raw=location, scheme="file", path=location)
