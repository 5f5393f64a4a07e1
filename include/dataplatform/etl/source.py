"""Open a landing file (local path or ``s3://`` URI) as a stream of raw byte lines, never whole."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dataplatform.conn_ids import AWS_CONN_ID
from dataplatform.etl.errors import FatalInputError

CHUNK = 1 << 20


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return bucket, key


class _RawReader(io.RawIOBase):
    """Adapts a ``read(n)`` stream (botocore's StreamingBody) to ``io.BufferedReader``."""

    def __init__(self, body) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


@contextmanager
def open_binary(uri: str, aws_conn_id: str = AWS_CONN_ID) -> Iterator[io.BufferedIOBase]:
    """Open ``uri`` for streaming binary reads; a missing file is a :class:`FatalInputError`."""
    if uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from botocore.exceptions import ClientError

        bucket, key = split_s3_uri(uri)
        try:
            body = S3Hook(aws_conn_id=aws_conn_id).get_key(key, bucket).get()["Body"]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in {"404", "NoSuchKey", "NoSuchBucket"}:
                raise FatalInputError(uri, "file not found") from err
            raise
        reader = io.BufferedReader(_RawReader(body), buffer_size=CHUNK)
        try:
            yield reader
        finally:
            reader.close()
    else:
        path = Path(uri.removeprefix("file://"))
        if not path.is_file():
            raise FatalInputError(uri, "file not found")
        with open(path, "rb", buffering=CHUNK) as f:
            yield f
