"""A real S3 HTTP endpoint for local work and tests: moto's server, as a process."""

from __future__ import annotations

import sys
from pathlib import Path

from devstack.procs import Background, start, wait_until


def start_s3(port: int, log_path: Path) -> Background:
    """Start ``moto_server`` on 127.0.0.1:``port`` and wait until it answers."""
    import urllib.request

    proc = start(
        "moto-s3",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        {},
        log_path,
    )
    wait_until(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).status == 200,
        30,
        f"moto S3 on port {port}",
    )
    return proc


def s3_client(port: int):
    """A boto3 S3 client for the local endpoint (dev/test tooling only)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_bucket(port: int, bucket: str) -> None:
    """Create ``bucket`` on the local endpoint (no error if it exists)."""
    client = s3_client(port)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
