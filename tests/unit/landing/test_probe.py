"""Landing paths from templates, and probing local files (sync and async)."""

from __future__ import annotations

import asyncio

import pytest

from dataplatform.landing.probe import AsyncProber, normalise_files, probe_paths
from dataplatform.landing.rules import FileStat


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
