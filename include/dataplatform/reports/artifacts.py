"""A report's folder of files in S3 (``s3://<bucket>/reports/<report>/<period>/``), through ``S3Hook``.

:func:`publish` replaces the folder: every file is written, then files of an earlier build that
this one no longer has are deleted, then ``manifest.json`` (edition, SHA-256 and size of each
file) is written last, so a reader that finds a manifest finds its files. :func:`fetch` reads the
files back as the manifest lists them, checking each one's digest.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataplatform.conn_ids import AWS_CONN_ID

MANIFEST = "manifest.json"
#: How long a presigned link to the report stays valid (SigV4's maximum: 7 days).
LINK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Folder:
    """Where one period's report lives."""

    bucket: str
    prefix: str  # "reports/financial/2026-11/"

    @classmethod
    def of(cls, bucket: str, report: str, period_label: str) -> Folder:
        return cls(bucket, f"reports/{report}/{period_label}/")

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, path: str) -> str:
        return self.prefix + path


def _hook(aws_conn_id: str) -> Any:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id)


def publish(
    folder: Folder, files: Mapping[str, bytes], *, edition_id: int, aws_conn_id: str = AWS_CONN_ID
) -> dict[str, Any]:
    """Replace the folder's files with ``files`` (paths relative to it); return the manifest."""
    hook = _hook(aws_conn_id)
    entries = {}
    for path, data in sorted(files.items()):
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        hook.get_conn().put_object(
            Bucket=folder.bucket, Key=folder.key(path), Body=data, ContentType=content_type
        )
        entries[path] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    keep = {folder.key(p) for p in files} | {folder.key(MANIFEST)}
    stale = [
        k for k in hook.list_keys(bucket_name=folder.bucket, prefix=folder.prefix) or [] if k not in keep
    ]
    if stale:
        hook.delete_objects(bucket=folder.bucket, keys=stale)
    manifest = {"edition_id": edition_id, "folder": folder.uri, "files": entries}
    hook.load_bytes(
        json.dumps(manifest, indent=2).encode(),
        key=folder.key(MANIFEST),
        bucket_name=folder.bucket,
        replace=True,
    )
    return manifest


def fetch(folder: Folder, *, edition_id: int, aws_conn_id: str = AWS_CONN_ID) -> dict[str, bytes]:
    """Every file the manifest lists, checked against its digest; the manifest must be of
    ``edition_id`` (a later build replaced the folder otherwise, and its files are not this edition's)."""
    hook = _hook(aws_conn_id)
    manifest = json.loads(_read(hook, folder, MANIFEST))
    if manifest["edition_id"] != edition_id:
        raise ValueError(
            f"{folder.uri} holds edition {manifest['edition_id']}, not {edition_id}: a later build replaced it"
        )
    files = {}
    for path, entry in manifest["files"].items():
        data = _read(hook, folder, path)
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ValueError(f"{folder.uri}{path} does not match its manifest digest")
        files[path] = data
    return files


def link(folder: Folder, path: str, *, base_url: str | None = None, aws_conn_id: str = AWS_CONN_ID) -> str:
    """A link to a file: ``base_url`` + key when the deployment serves the bucket (``[dataplatform]
    reports_base_url``), else a presigned GET URL valid for :data:`LINK_SECONDS`."""
    if base_url:
        return f"{base_url.rstrip('/')}/{folder.key(path)}"
    return _hook(aws_conn_id).generate_presigned_url(
        "get_object",
        params={"Bucket": folder.bucket, "Key": folder.key(path)},
        expires_in=LINK_SECONDS,
    )


def _read(hook: Any, folder: Folder, path: str) -> bytes:
    return hook.get_conn().get_object(Bucket=folder.bucket, Key=folder.key(path))["Body"].read()
