"""One real Airflow stack for the package, its DAGs delivered by a GitDagBundle from a local repository.

Package-scoped: the stack (own metadata DB, home, bundle storage, API and log-server ports) is
stopped when the package's tests end, before other packages start their own stacks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.config import StackConfig
from devstack.procs import free_port
from tests.bundles import dag_files
from tests.support.bundle_stack import BundleStack, GitRepo, bundle_env, stop_stack

REFRESH_INTERVAL = 2


@pytest.fixture(scope="package")
def bundle_stack(
    postgres_server: StackConfig, test_config: StackConfig, tmp_root: Path
) -> Iterator[BundleStack]:
    """The running stack tracking ``main`` of a fresh repository with ``bundle_probe`` and ``bundle_second``."""
    from devstack import airflow, postgres

    root = tmp_root / "git_bundle"
    repo = GitRepo.create(root / "dag-repo")
    first = repo.commit(
        {dag_files.PROBE_FILE: dag_files.probe("v1"), dag_files.SECOND_FILE: dag_files.second("v1")},
        "Two DAGs",
    )
    empty_dags = root / "dags-folder"  # not parsed: the bundle list names only the git bundle
    empty_dags.mkdir()
    cfg = replace(
        test_config,
        airflow_home=root / "home",
        metadata_db=test_config.metadata_db.replace("_meta", "_bundle"),
        api_port=free_port(),
        # two stacks on one host must not share log-server ports (the defaults are 8793/8794)
        worker_log_server_port=free_port(),
        trigger_log_server_port=free_port(),
        dags_folder=empty_dags,
    )
    storage = root / "bundle-storage"
    extra_env = {
        **bundle_env(repo.url, "main", storage, REFRESH_INTERVAL),
        # an unchanged DAG file shows a new commit only when re-parsed: every 5 s here (default 30 s)
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
    }
    postgres.create_database(cfg.metadata_db, recreate=True)
    airflow.migrate(cfg)
    stack = airflow.AirflowStack(cfg, extra_env=extra_env)
    began = time.monotonic()
    try:
        stack.start()
        bundle = BundleStack(stack, stack.client(), repo, storage, REFRESH_INTERVAL)
        bundle.wait_for_version([dag_files.PROBE_ID, dag_files.SECOND_ID], first, timeout=180)
        print(f"\nbundle stack ready in {time.monotonic() - began:.1f}s")
        yield bundle
    finally:
        stop_stack(stack)
        postgres.drop_database(cfg.metadata_db)
