"""The CSV byte stream: raw chunks, BOM removal, header peeking, sources."""

from __future__ import annotations

import io

import pytest

from dataplatform.hooks.csv_source import (
    ByteChunks,
    describe,
    is_utf8,
    open_source,
    parse_header,
    split_s3_uri,
)


class Trickle(io.RawIOBase):
    """A stream that returns at most ``n`` bytes per read (pipes, sockets do this)."""

    def __init__(self, data: bytes, n: int) -> None:
        self._data, self._n = data, n

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out, self._data = self._data[: min(self._n, size)], self._data[min(self._n, size) :]
        return out


def test_chunks_are_raw_bytes_of_bounded_size():
    data = b"id,name\n" + b"1,x\n" * 10_000
    chunks = list(ByteChunks(io.BytesIO(data), chunk_size=1000))
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) == 1000


def test_bom_is_removed_even_when_split_over_reads():
    data = b"\xef\xbb\xbfid,name\r\n1,x\r\n"
    assert b"".join(ByteChunks(io.BytesIO(data))) == b"id,name\r\n1,x\r\n"
    assert b"".join(ByteChunks(Trickle(data, 1))) == b"id,name\r\n1,x\r\n"
    assert b"".join(ByteChunks(io.BytesIO(data), strip_bom=False)) == data
    assert b"".join(ByteChunks(io.BytesIO(b"\xef\xbb"))) == b"\xef\xbb"  # not a BOM: kept


def test_first_line_is_peeked_not_consumed():
    data = b"\xef\xbb\xbfid,name\r\n1,x\n2,y\n"
    chunks = ByteChunks(Trickle(data, 3), chunk_size=3)
    assert chunks.first_line() == b"id,name\r"
    assert b"".join(chunks) == data[3:]


def test_first_line_of_a_file_without_newline():
    chunks = ByteChunks(io.BytesIO(b"id,name"))
    assert chunks.first_line() == b"id,name"
    assert b"".join(chunks) == b"id,name"


def test_text_streams_are_refused():
    with pytest.raises(TypeError, match="binary mode"):
        list(ByteChunks(io.StringIO("id\n1\n")))


def test_parse_header():
    assert parse_header(b"id,name,birth_date\r") == ["id", "name", "birth_date"]
    assert parse_header(b'"id";"full name"', delimiter=";") == ["id", "full name"]
    with pytest.raises(ValueError, match="unterminated quote"):
        parse_header(b'id,"name')


def test_helpers():
    assert is_utf8("utf-8") and is_utf8("UTF8") and is_utf8("utf_8") and not is_utf8("latin1")
    assert split_s3_uri("s3://landing/a/b.csv") == ("landing", "a/b.csv")
    with pytest.raises(ValueError):
        split_s3_uri("s3://landing")
    assert describe("s3://landing/a.csv") == "s3://landing/a.csv"
    assert describe(io.BytesIO()) == "<BytesIO>"


def test_open_source_missing_file(tmp_path):
    with (
        pytest.raises(FileNotFoundError, match="no such file"),
        open_source(tmp_path / "nope.csv", aws_conn_id="x"),
    ):
        pass
    path = tmp_path / "a.csv"
    path.write_bytes(b"id\n1\n")
    with open_source(f"file://{path}", aws_conn_id="x") as f:
        assert f.read() == b"id\n1\n"
