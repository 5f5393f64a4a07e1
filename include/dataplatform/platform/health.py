"""Connectivity probes used by the ``platform_healthcheck`` DAG."""

from __future__ import annotations

import logging

from dataplatform.conn_ids import AWS_CONN_ID, WAREHOUSE_CONN_ID

log = logging.getLogger(__name__)


def check_warehouse(conn_id: str = WAREHOUSE_CONN_ID) -> str:
    """Run ``SELECT version()`` on the warehouse; return and log the server version."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    version = PostgresHook(postgres_conn_id=conn_id).get_first("SELECT version()")[0]
    log.info("warehouse %s reachable: %s", conn_id, version)
    return version


def check_bucket(bucket: str, conn_id: str = AWS_CONN_ID) -> str:
    """Fail unless ``bucket`` exists on the S3 endpoint of ``conn_id``."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    if not S3Hook(aws_conn_id=conn_id).check_for_bucket(bucket):
        raise RuntimeError(f"landing bucket {bucket!r} not found on connection {conn_id!r}")
    log.info("landing bucket %s reachable on %s", bucket, conn_id)
    return bucket
