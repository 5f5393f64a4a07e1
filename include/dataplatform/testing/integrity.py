"""Run the DAG integrity policy over a DAGs folder and list the violations.

Rules: ``import-error``, ``no-dags``, ``duplicate-dag-id`` and ``heavy-import`` (from the isolated
parse of each file, assembled here); ``owner``, ``tags``, ``retries``, ``backoff``,
``failure-callback``, ``doc-md``, ``start-date`` (on each parsed DAG,
:mod:`~dataplatform.testing.rules`); ``catchup`` and static ``start-date`` (on the source,
:mod:`~dataplatform.testing.source`). Parsing happens in :class:`~dataplatform.testing.parser.DagParser`
children: this module never imports Airflow or DAG code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dataplatform.testing.parser import DagParser, shared_parser
from dataplatform.testing.policy import Policy, Rule, Violation
from dataplatform.testing.results import FileResult
from dataplatform.testing.rules import names


@dataclass
class IntegrityReport:
    """A checked folder: the violations, and which DAGs were found where."""

    dags_folder: Path
    violations: list[Violation] = field(default_factory=list)
    #: ``{dag_id: file}`` of every DAG Airflow keeps (files shown as in violations).
    dags: dict[str, str] = field(default_factory=dict)
    #: The DAG files (as shown in violations) the dag-processor would parse.
    files: list[str] = field(default_factory=list)

    def for_file(self, file: str) -> list[Violation]:
        """Violations of one file (``file`` as shown in violations, e.g. ``dags/foo.py``)."""
        return [v for v in self.violations if v.file == file]


def run_integrity(
    dags_folder: Path | str, policy: Policy | None = None, *, parser: DagParser | None = None
) -> IntegrityReport:
    """Every violation of ``policy`` (default :class:`Policy`) in ``dags_folder``, and the DAGs found.

    ``parser``: where files are parsed (default: the process-wide :func:`shared_parser`).
    """
    return next(iter(run_integrity_many([dags_folder], policy, parser=parser).values()))


def run_integrity_many(
    dags_folders: Iterable[Path | str], policy: Policy | None = None, *, parser: DagParser | None = None
) -> dict[Path, IntegrityReport]:
    """:func:`run_integrity` for several folders in one parallel batch; keys are the resolved folders."""
    folders = [Path(f).resolve() for f in dags_folders]
    policy = policy or Policy()
    parser = parser or shared_parser()
    parsed = parser.parse(folders, policy)
    return {folder: build_report(folder, parsed[folder], policy) for folder in folders}


def build_report(folder: Path, results: list[FileResult], policy: Policy) -> IntegrityReport:
    """Turn the isolated parse results of a folder's files into its report."""
    violations = [v for result in results for v in _file_violations(folder, result, policy)]
    if policy.enabled(Rule.NO_DAGS) and not results:
        violations.append(Violation(f"{folder.name}/", None, Rule.NO_DAGS, f"no DAG files found in {folder}"))
    if policy.enabled(Rule.DUPLICATE_DAG_ID):
        violations += _duplicates(folder, results)
    return IntegrityReport(
        dags_folder=folder,
        violations=sorted(violations, key=Violation.sort_key),
        dags={dag_id: display_path(folder, r.path) for r in results for dag_id in r.dags},
        files=[display_path(folder, r.path) for r in results],
    )


def _file_violations(folder: Path, result: FileResult, policy: Policy) -> list[Violation]:
    file = display_path(folder, result.path)
    if result.crashed:
        message = f"the file could not be parsed in isolation: {_last_line(result.crashed)}"
        return (
            [Violation(file, None, Rule.IMPORT_ERROR, message)] if policy.enabled(Rule.IMPORT_ERROR) else []
        )
    found = [Violation(file, dag_id, rule, message) for dag_id, rule, message in result.findings]
    if result.import_error and policy.enabled(Rule.IMPORT_ERROR):
        found.append(Violation(file, None, Rule.IMPORT_ERROR, _summarise(result.import_error, result.path)))
    if not result.offered and not result.import_error and policy.enabled(Rule.NO_DAGS):
        message = (
            "no DAG found in this file — call the @dag function (or assign the DAG at module level);"
            " list helper modules in .airflowignore"
        )
        found.append(Violation(file, None, Rule.NO_DAGS, message))
    heavy = sorted(set(result.new_modules) & policy.heavy_modules)
    if heavy and policy.enabled(Rule.HEAVY_IMPORT):
        message = f"parsing the file imports {', '.join(heavy)} — import inside the task callable instead"
        found.append(Violation(file, None, Rule.HEAVY_IMPORT, message))
    return found


def _summarise(trace: str, path: str) -> str:
    """``ModuleNotFoundError: No module named 'x' (line 3)`` from a DagBag traceback."""
    lines = re.findall(rf'File "{re.escape(path)}", line (\d+)', trace)
    where = f" (line {lines[-1]})" if lines else ""
    return f"{_last_line(trace)}{where} — the file's DAGs are missing from Airflow"


def _last_line(trace: str) -> str:
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


def _duplicates(folder: Path, results: list[FileResult]) -> list[Violation]:
    """A dag_id offered more than once: in two files (Airflow then fails the second file to import
    with ``AirflowDagDuplicatedIdException``) or twice in one file (Airflow silently keeps one)."""
    where: dict[str, list[str]] = {}
    for result in results:
        for dag_id in result.offered:
            where.setdefault(dag_id, []).append(display_path(folder, result.path))
    found = []
    for dag_id, files in sorted(where.items()):
        if len(files) < 2:
            continue
        for file in sorted(set(files)):
            others = sorted(set(files) - {file})
            place = (
                f"also defined in {names(others)}" if others else f"defined {len(files)} times in this file"
            )
            message = f"dag_id {dag_id!r} is {place} — Airflow keeps only one of them"
            found.append(Violation(file, dag_id, Rule.DUPLICATE_DAG_ID, message))
    return found


def display_path(folder: Path, path: Path | str) -> str:
    """``path`` relative to the DAGs folder's parent (``dags/foo.py``); as given if outside it."""
    try:
        return (Path(folder.name) / Path(path).relative_to(folder)).as_posix()
    except ValueError:
        return str(path)


def dag_files(dags_folder: Path | str) -> list[str]:
    """DAG file candidates under ``dags_folder`` as shown in violations (``dags/foo.py``), without
    importing Airflow: ``.py`` files mentioning both "airflow" and "dag" (the safe-mode heuristic;
    ``.airflowignore`` is not applied)."""
    folder = Path(dags_folder).resolve()
    found = []
    for path in sorted(folder.rglob("*.py")):
        text = path.read_bytes().lower()
        if b"airflow" in text and b"dag" in text and "__pycache__" not in path.parts:
            found.append(display_path(folder, path))
    return found
