"""Sample data for the local stack: landing files the repo's DAGs can run on right away."""

from __future__ import annotations

from devstack.config import StackConfig


def seed_sample_data(cfg: StackConfig) -> list[str]:
    """Upload the sample landing files; return their S3 URIs."""
    return []
