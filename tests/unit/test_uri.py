"""The one location parser: s3://bucket/key, file:///abs/path and /abs/path."""

from __future__ import annotations

import pytest

from dataplatform.uri import parse_location


def test_parse_s3_and_local_locations():
    s3 = parse_location("s3://landing/billing/2026-10/billing.csv")
    assert (s3.scheme, s3.bucket, s3.key) == ("s3", "landing", "billing/2026-10/billing.csv")
    local = parse_location("/data/in/a.csv")
    assert (local.scheme, local.path) == ("file", "/data/in/a.csv")
    uri = parse_location("file:///data/in/a%20b.csv")
    assert (uri.scheme, uri.path, uri.raw) == ("file", "/data/in/a b.csv", "file:///data/in/a%20b.csv")


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("relative/a.csv", "relative/a.csv: local files need an absolute path"),
        ("s3://landing", "s3://landing: an S3 file needs s3://bucket/key"),
        ("s3://landing/folder/", "needs s3://bucket/key"),
        ("gs://bucket/key", "gs://bucket/key: unsupported scheme"),
        ("file://host/a.csv", "file:// URIs must be local"),
        ("", "non-empty string"),
    ],
)
def test_bad_locations_name_the_path(path, error):
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        parse_location(path)
