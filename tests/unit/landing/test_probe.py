"""Parsing landing paths and probing local files (sync and async)."""

from __future__ import annotations

import asyncio

import pytest

from dataplatform.landing.probe import AsyncProber, normalise_files, parse_location, probe_paths
from dataplatform.landing.rules import FileStat


def test_parse_s3_and_local_locations():
    s3 = parse_location("s3://landing/billing/2026-10/billing.csv")
    assert (s3.scheme, s3.bucket, s3.key) == ("s3", "landing", "billing/2026-10/billing.csv")
    local = parse_location("/data/in/a.csv")
    assert (local.scheme, local.local_path) == ("file", "/data/in/a.csv")
    uri = parse_location("file:///data/in/a%20b.csv")
    assert (uri.scheme, uri.local_path, uri.raw) == ("file", "/data/in/a b.csv", "file:///data/in/a%20b.csv")


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("relative/a.csv", "relative/a.csv: local landing files need an absolute path"),
        ("s3://landing", "s3://landing: an S3 landing file needs s3://bucket/key"),
        ("s3://landing/folder/", "needs s3://bucket/key"),
        ("gs://bucket/key", "gs://bucket/key: unsupported scheme"),
        ("file://host/a.csv", "file:// URIs must be local"),
        ("", "non-empty string"),
    ],
)
def test_bad_locations_name_the_path(path, error):
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        parse_location(path)


@pytest.mark.parametrize(
    "files",
    [
        ["/in/a.csv", "s3://landing/b.csv"],
        '["/in/a.csv", "s3://landing/b.csv"]',  # JSON
        "['/in/a.csv', 's3://landing/b.csv']",  # a list rendered by non-native Jinja
        "/in/a.csv, s3://landing/b.csv",
        "/in/a.csv\ns3://landing/b.csv\n",
        ["/in/a.csv", " ", "s3://landing/b.csv", "/in/a.csv"],  # blanks and duplicates dropped
    ],
)
def test_normalise_files_accepts_lists_and_rendered_strings(files):
    assert normalise_files(files) == ["/in/a.csv", "s3://landing/b.csv"]


def test_normalise_files_rejects_empty_and_non_strings():
    with pytest.raises(ValueError, match="no landing files"):
        normalise_files([])
    with pytest.raises(ValueError, match="must be a string path"):
        normalise_files(["/a", 3])
    with pytest.raises(ValueError, match="not a readable list"):
        normalise_files("[oops")


def test_probe_local_files(tmp_path):
    full = tmp_path / "full.csv"
    full.write_bytes(b"x" * 12)
    empty = tmp_path / "empty.csv"
    empty.touch()
    paths = [str(full), f"file://{empty}", str(tmp_path / "absent.csv"), str(tmp_path)]

    result = probe_paths(paths, aws_conn_id=None)

    assert result == {
        str(full): FileStat(str(full), exists=True, size=12),
        f"file://{empty}": FileStat(f"file://{empty}", exists=True, size=0),
        str(tmp_path / "absent.csv"): FileStat(str(tmp_path / "absent.csv"), exists=False),
        str(tmp_path): FileStat(str(tmp_path), exists=False),  # a folder is not a landed file
    }


def test_async_probe_local_files_matches_sync(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"abc")
    paths = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]

    async def go():
        async with AsyncProber(aws_conn_id=None) as prober:
            return await prober.probe(paths)

    assert asyncio.run(go()) == probe_paths(paths, aws_conn_id=None)
