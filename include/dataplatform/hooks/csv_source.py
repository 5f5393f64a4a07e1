"""A CSV source (local path, ``s3://bucket/key`` or binary file object) as a stream of raw byte chunks.

Nothing here parses rows: the bytes go to Postgres's COPY as they are, 1 MiB at a time, so client
memory does not depend on the file size. Two things are done to the stream: a leading UTF-8 byte
order mark is dropped (COPY would otherwise keep it as part of the first field), and the first line
can be peeked (to read the header's column names) without being consumed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

CHUNK_SIZE = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"
#: A header line longer than this is not a header.
MAX_HEADER_BYTES = 1 << 20

#: What ``load_csv`` / ``Stage.copy_csv`` accept as a source.
Source = str | os.PathLike | IO[bytes]


def describe(source: Source) -> str:
    """How a source is named in messages: the path or URI, or the file object's name."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", None) or f"<{type(source).__name__}>")


def is_utf8(encoding: str) -> bool:
    """True for the spellings of UTF-8 Postgres and Python accept (``utf-8``, ``UTF8``, ``utf_8``)."""
    return encoding.replace("-", "").replace("_", "").lower() == "utf8"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``("bucket", "key")``."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return bucket, key


@contextmanager
def open_source(source: Source, *, aws_conn_id: str) -> Iterator[Any]:
    """Open ``source`` for streaming reads (``read(n)``); a missing file raises ``FileNotFoundError``.

    S3 objects are read through the official ``S3Hook``: the response body is a stream, never
    downloaded whole. File objects passed in are read as they are and not closed.
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if name.startswith("s3://"):
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook
            from botocore.exceptions import ClientError

            bucket, key = split_s3_uri(name)
            try:
                body = S3Hook(aws_conn_id=aws_conn_id).get_key(key, bucket).get()["Body"]
            except ClientError as err:
                code = str(err.response.get("Error", {}).get("Code", ""))
                if code in {"404", "NoSuchKey", "NoSuchBucket"}:
                    raise FileNotFoundError(f"{name}: no such S3 object ({code})") from err
                raise
            try:
                yield body
            finally:
                body.close()
        else:
            path = Path(name.removeprefix("file://"))
            if not path.is_file():
                raise FileNotFoundError(f"{name}: no such file")
            with open(path, "rb", buffering=0) as f:
                yield f
    elif hasattr(source, "read"):
        yield source
    else:
        raise TypeError(f"source must be a path, an s3:// URI or a binary file object, not {source!r}")


class ByteChunks:
    """Chunks of at most ``chunk_size`` bytes read from ``stream``, a leading UTF-8 BOM removed.

    :meth:`first_line` peeks the first line; iterating still yields the whole stream from byte 0.
    """

    def __init__(self, stream: Any, *, chunk_size: int = CHUNK_SIZE, strip_bom: bool = True) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        self._strip_bom = strip_bom
        self._head = b""  # bytes read ahead by first_line(), not yet yielded
        self._started = False
        self.bytes_read = 0

    def _read(self) -> bytes:
        data = self._stream.read(self._chunk_size)
        if isinstance(data, str):
            raise TypeError("the CSV source must be opened in binary mode ('rb')")
        self.bytes_read += len(data)
        if not self._started:
            self._started = True
            if self._strip_bom:
                # Short reads (pipes, odd file objects) could split the BOM: read its 3 bytes first.
                while data and len(data) < len(UTF8_BOM) and UTF8_BOM.startswith(data):
                    more = self._stream.read(self._chunk_size)
                    if not more:
                        break
                    self.bytes_read += len(more)
                    data += more
                if data.startswith(UTF8_BOM):
                    data = data[len(UTF8_BOM) :] or self._read()  # b"" would read as end of file
        return data

    def first_line(self) -> bytes:
        """The first line (up to and excluding its ``\\n``); the stream is not consumed by it."""
        while b"\n" not in self._head:
            if len(self._head) > MAX_HEADER_BYTES:
                raise ValueError(f"no end of line in the first {MAX_HEADER_BYTES} bytes")
            data = self._read()
            if not data:
                break
            self._head += data
        return self._head.split(b"\n", 1)[0]

    def __iter__(self) -> Iterator[bytes]:
        if self._head:
            head, self._head = self._head, b""
            yield head
        while data := self._read():
            yield data


def parse_header(line: bytes, delimiter: str = ",", quote: str = '"') -> list[str]:
    """Column names from a CSV header line (ASCII; anything else cannot be a valid column name)."""
    text = line.decode("ascii", errors="replace").rstrip("\r")
    if text.count(quote) % 2:
        raise ValueError(f"unterminated quote in the CSV header: {text[:200]!r}")
    rows = list(csv.reader([text], delimiter=delimiter, quotechar=quote))
    return rows[0] if rows else []
