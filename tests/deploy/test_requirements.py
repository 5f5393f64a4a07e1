"""requirements.txt lists exactly the distributions the runtime code (package, DAGs, plugins) imports."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("include/dataplatform", "dags", "plugins")
#: Only imported under pytest: the integrity policy's pytest entry point (pytest is a dev tool).
PYTEST_ONLY = {"include/dataplatform/testing/pytest_params.py"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Dotted names imported anywhere in the runtime code (inside functions too)."""
    found: set[str] = set()
    for folder in RUNTIME:
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() in PYTEST_ONLY:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
    return found


def distribution(module: str, index: dict[str, list[str]]) -> str | None:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top in ("dataplatform", "__future__"):
        return None
    if module.startswith("airflow.providers.common."):  # common-sql, common-compat, ...
        return "apache-airflow-providers-common-" + module.split(".")[3].replace("_", "-")
    if module.startswith("airflow.providers."):
        return "apache-airflow-providers-" + module.split(".")[2].replace("_", "-")
    if top == "airflow":
        return "apache-airflow"
    return _norm(index[top][0])


#: Not imported by our code: pinned because a provider breaks with a newer release (celery 5.7.0
#: breaks the celery provider 3.26.0's workers).
PINNED_FOR_PROVIDERS = {"celery"}


def test_requirements_are_exactly_the_runtime_imports():
    index = packages_distributions()
    needed = {d for m in imported_modules() if (d := distribution(m, index))}
    listed = {
        _norm(re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0])
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    providers = {d for d in listed if d.startswith("apache-airflow-providers-")}
    # listed only to pin what a provider runs on (requirements.txt says why)
    providers |= PINNED_FOR_PROVIDERS & listed
    assert needed - listed == set(), f"imported but not listed: {sorted(needed - listed)}"
    # every other requirement is imported; providers are the platform's whether named or not
    assert listed - providers == needed - providers, (
        f"listed but not imported: {sorted(listed - needed - providers)}"
    )
