"""One cluster-like stack (Celery workers, FAB, CloudWatch logs, Secrets Manager) for this package.

Package-scoped: it is stopped before the next package starts its own stack, so two Airflow stacks
never share the two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.config import REPO_ROOT
from tests.conftest import E2E_DAGS, TEST_CONFIG, TEST_ONLY_ENV
from tests.support.cluster_stack import ClusterStack, start_cluster

CLUSTER_DAGS = Path(__file__).parent / "dags"


@pytest.fixture(scope="package")
def cluster(services, tmp_root: Path) -> Iterator[ClusterStack]:
    """The running cluster stack; ``cluster.client("viewer")`` etc. give role-bound REST clients."""
    dags = tmp_root / "cluster_dags"
    dags.mkdir()
    for name, folder in {"repo": REPO_ROOT / "dags", "e2e": E2E_DAGS, "cluster": CLUSTER_DAGS}.items():
        (dags / name).symlink_to(folder, target_is_directory=True)
    extra = {k: v for k, v in TEST_ONLY_ENV.items() if "HEARTBEAT" not in k}
    stack = start_cluster(TEST_CONFIG, tmp_root / "cluster_home", dags, TEST_CONFIG.s3_port, extra)
    try:
        yield stack
    finally:
        stack.stack.stop()
        from devstack import postgres

        postgres.drop_database(stack.cfg.metadata_db)
