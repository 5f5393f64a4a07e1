"""The parse worker, run by :class:`~dataplatform.testing.parser.DagParser` as
``python -m dataplatform.testing.worker CONFIG`` (never imported by the caller).

It imports Airflow once (the preload), then answers requests, one JSON line each on stdin
(``{"folders": [...], "policy": {...}}``): it lists each folder's DAG files like the dag-processor
(safe mode, ``.airflowignore``) and parses every file with a ``DagBag`` in its own forked child, a
few at a time. No file sees another's imports, so the modules a child adds are exactly what that
file costs to parse. Answers are JSON lines on the original stdout; whatever the parsed code prints
goes to stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from dataplatform.testing.policy import Policy
from dataplatform.testing.results import FileResult
from dataplatform.testing.rules import check_dag
from dataplatform.testing.source import check_source


def main() -> None:
    """Preload, announce readiness with the baseline modules, then serve requests until EOF."""
    config = json.loads(sys.argv[1])
    sys.path[:] = config["sys_path"]
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints of parsed code must not corrupt the answers
    for name in config["preload"]:
        importlib.import_module(name)
    importlib.import_module("dataplatform.testing.dagbag")
    _share_bytecode(config["workdir"])
    _answer(answers, {"baseline": sorted(top_level_modules())})
    for line in sys.stdin:
        request = json.loads(line)
        policy = Policy.from_json(request["policy"])
        _answer(answers, serve(request["folders"], policy, config))


def top_level_modules() -> set[str]:
    """Top-level names of the loaded modules."""
    return {name.partition(".")[0] for name in list(sys.modules)}


def serve(folders: list[str], policy: Policy, config: dict[str, Any]) -> dict[str, list[dict]]:
    """``{folder: [FileResult JSON, ...]}`` for every DAG file of every folder."""
    jobs = [(folder, path) for folder in folders for path in list_dag_files(folder)]
    results = _run_children(jobs, policy, config)
    answer: dict[str, list[dict]] = {folder: [] for folder in folders}
    for (folder, _path), result in zip(jobs, results, strict=True):
        answer[folder].append(result.to_json())
    return answer


def list_dag_files(folder: str) -> list[str]:
    """The files the dag-processor would parse in ``folder``."""
    from airflow.configuration import conf
    from airflow.dag_processing.importers.base import get_importer_registry

    safe_mode = conf.getboolean("core", "DAG_DISCOVERY_SAFE_MODE")
    return sorted(get_importer_registry().list_dag_files(folder, safe_mode=safe_mode))


def parse_file(path: str, folder: str, policy: Policy) -> FileResult:
    """Parse one file with a fresh ``DagBag`` and apply the per-file rules (runs in a child)."""
    from airflow.configuration import conf

    from dataplatform.testing.dagbag import IntegrityDagBag

    before = top_level_modules()
    sys.path.insert(0, folder)  # as the dag-processor has the DAGs folder on sys.path
    bag = IntegrityDagBag(dag_folder=folder, collect_dags=False)
    bag.process_file(
        path, only_if_updated=False, safe_mode=conf.getboolean("core", "DAG_DISCOVERY_SAFE_MODE")
    )
    new_modules = sorted(top_level_modules() - before)
    findings = [
        (dag_id, str(rule), message)
        for dag_id, dag in sorted(bag.dags.items())
        for rule, message in check_dag(dag, policy)
    ]
    findings += [(dag_id, str(rule), message) for dag_id, rule, message in check_source(Path(path), policy)]
    return FileResult(
        path=path,
        offered=[dag_id for dag_id, locations in bag.offered.items() for _ in locations],
        dags=sorted(bag.dags),
        import_error="\n".join(bag.import_errors.values()) or None,
        findings=findings,
        new_modules=new_modules,
    )


def _run_children(jobs: list[tuple[str, str]], policy: Policy, config: dict[str, Any]) -> list[FileResult]:
    """Fork one child per job, at most ``workers`` at a time; results in job order."""
    results: list[FileResult | None] = [None] * len(jobs)
    running: dict[int, int] = {}  # pid -> job index
    pending = list(range(len(jobs)))
    while pending or running:
        while pending and len(running) < config["workers"]:
            index = pending.pop(0)
            running[_spawn(jobs[index], policy, config, _result_file(config, index))] = index
        pid, status = os.wait()
        if pid in running:
            index = running.pop(pid)
            results[index] = _collect(jobs[index][1], _result_file(config, index), status, config)
    return [r for r in results if r is not None]


def _result_file(config: dict[str, Any], index: int) -> str:
    return os.path.join(config["workdir"], f"result-{index}.json")


def _spawn(job: tuple[str, str], policy: Policy, config: dict[str, Any], out: str) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    try:  # child: parse one file, write the result, never return
        signal.alarm(config["timeout"])
        folder, path = job
        result = parse_file(path, folder, policy)
    except BaseException:
        result = FileResult(path=job[1], crashed=traceback.format_exc(limit=-4)[-3000:])
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(result.to_json(), stream)
    os._exit(0)


def _collect(path: str, out: str, status: int, config: dict[str, Any]) -> FileResult:
    try:
        with open(out, encoding="utf-8") as stream:
            return FileResult.from_json(json.load(stream))
    except (OSError, ValueError):
        pass
    finally:
        if os.path.exists(out):
            os.remove(out)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        return FileResult(path=path, crashed=f"parsing did not finish within {config['timeout']} s")
    return FileResult(path=path, crashed=f"the parse process died (wait status {status})")


def _share_bytecode(workdir: str) -> None:
    """With bytecode writing off (PYTHONDONTWRITEBYTECODE), children would compile the same DAG-side
    modules over and over: let them share a private bytecode cache in the worker's temp dir."""
    if sys.dont_write_bytecode:
        sys.pycache_prefix = os.path.join(workdir, "pycache")
        sys.dont_write_bytecode = False


def _answer(stream: TextIO, payload: dict[str, Any]) -> None:
    stream.write(json.dumps(payload) + "\n")
    stream.flush()


if __name__ == "__main__":
    main()
