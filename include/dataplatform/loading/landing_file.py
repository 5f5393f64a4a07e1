"""A landing file as a local path the engine can read: local files as they are, S3 objects downloaded.

S3 is read through the official ``S3Hook`` (boto3's managed transfer), into the task's work
directory, which is removed with it. A missing file is a :class:`FatalInputError` naming it; any
other S3 error (throttling, a network problem) is raised as it is, for Airflow to retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dataplatform.conn_ids import AWS_CONN_ID
from dataplatform.loading.errors import FatalInputError
from dataplatform.uri import parse_location


@dataclass(frozen=True)
class LocalFile:
    """``source`` as given (the name in every message), ``path`` where its bytes are on this machine."""

    source: str
    path: Path


@contextmanager
def local_copy(source: str, workdir: Path, *, aws_conn_id: str = AWS_CONN_ID) -> Iterator[LocalFile]:
    """The file at ``source`` (``s3://``, ``file://`` or an absolute path) on local disk."""
    try:
        location = parse_location(source)
    except ValueError as err:
        raise FatalInputError(source, str(err).removeprefix(f"{source}: ")) from err
    if not location.is_s3:
        path = Path(location.path)
        if not path.is_file():
            raise FatalInputError(source, "file not found")
        yield LocalFile(source, path)
        return
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from botocore.exceptions import ClientError

    target = workdir / "landing" / Path(location.key).name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        S3Hook(aws_conn_id=aws_conn_id).get_conn().download_file(location.bucket, location.key, str(target))
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if code in {"404", "NoSuchKey", "NoSuchBucket"}:
            raise FatalInputError(source, "file not found") from err
        raise
    try:
        yield LocalFile(source, target)
    finally:
        target.unlink(missing_ok=True)
