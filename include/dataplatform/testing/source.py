"""Rules checked on a DAG file's source (a parsed DAG does not remember how it was written).

* ``catchup``: every ``DAG(...)`` / ``@dag(...)`` call passes ``catchup=`` explicitly.
* ``start-date``: no ``start_date`` in the file (DAG argument, ``default_args`` entry, keyword of
  any call, or a module-level name one of those refers to) is computed from ``now()``, ``today()``,
  ``utcnow()``, ``days_ago()``…: a moving start date makes runs appear and vanish.

DAGs built by a factory in another module have no DAG call in the file; they are not checked here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dataplatform.testing.policy import Policy, Rule

#: Call names whose result changes with the wall clock.
DYNAMIC_CALLS = frozenset({"now", "utcnow", "today", "days_ago", "yesterday", "tomorrow", "now_utc"})
_DAG_NAMES = frozenset({"DAG", "dag"})

#: A finding of a source rule: (dag_id or None when it cannot be told, rule, message).
SourceFinding = tuple[str | None, Rule, str]


@dataclass
class DagCall:
    """A ``DAG(...)`` / ``@dag(...)`` / bare ``@dag`` in the source."""

    lineno: int
    dag_id: str | None
    keywords: dict[str, ast.expr] = field(default_factory=dict)
    star_kwargs: bool = False


def check_source(path: Path, policy: Policy) -> list[SourceFinding]:
    """Findings of the source rules for one file; a file that does not parse yields none (it is an
    import error already)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return []
    calls = dag_calls(tree)
    findings: list[SourceFinding] = []
    if policy.enabled(Rule.CATCHUP):
        findings.extend(_catchup(calls))
    if policy.enabled(Rule.START_DATE):
        findings.extend(_start_date(tree, calls))
    return findings


def dag_calls(tree: ast.Module) -> list[DagCall]:
    """Every DAG constructor or decorator in ``tree``, in source order."""
    dag_names, module_aliases = _airflow_names(tree)
    by_node: dict[int, DagCall] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if _is_dag_ref(target, dag_names, module_aliases):
                    call = _dag_call(deco) if isinstance(deco, ast.Call) else DagCall(deco.lineno, None)
                    call.dag_id = call.dag_id or node.name
                    by_node[id(deco)] = call
        elif (
            isinstance(node, ast.Call)
            and id(node) not in by_node
            and _is_dag_ref(node.func, dag_names, module_aliases)
        ):
            by_node[id(node)] = _dag_call(node)
    return sorted(by_node.values(), key=lambda c: c.lineno)


def _airflow_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound to ``DAG``/``dag`` and to ``airflow`` modules by the file's imports."""
    dag_names = set(_DAG_NAMES)
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "airflow":
            dag_names.update(a.asname or a.name for a in node.names if a.name in _DAG_NAMES)
            module_aliases.update(a.asname or a.name for a in node.names if a.name not in _DAG_NAMES)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "airflow":
                    module_aliases.add(alias.asname or alias.name.split(".")[0])
    return dag_names, module_aliases


def _is_dag_ref(node: ast.expr, dag_names: set[str], module_aliases: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in dag_names
    if isinstance(node, ast.Attribute) and node.attr in _DAG_NAMES:
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in module_aliases
    return False


def _dag_call(node: ast.Call) -> DagCall:
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    star = any(k.arg is None for k in node.keywords)
    dag_id_node = keywords.get("dag_id") or (node.args[0] if node.args else None)
    dag_id = dag_id_node.value if isinstance(dag_id_node, ast.Constant) else None
    return DagCall(node.lineno, dag_id if isinstance(dag_id, str) else None, keywords, star)


def _catchup(calls: list[DagCall]) -> Iterator[SourceFinding]:
    for call in calls:
        if "catchup" not in call.keywords:
            hint = " (a **kwargs expansion cannot be checked)" if call.star_kwargs else ""
            yield (
                call.dag_id,
                Rule.CATCHUP,
                f"line {call.lineno}: the DAG does not pass catchup= explicitly{hint}"
                " — its meaning would depend on [scheduler] catchup_by_default",
            )


def _start_date(tree: ast.Module, calls: list[DagCall]) -> Iterator[SourceFinding]:
    assignments = _module_assignments(tree)
    owned = {id(c.keywords["start_date"]): c.dag_id for c in calls if "start_date" in c.keywords}
    for value in _start_date_values(tree):
        culprit = _dynamic_call(value, assignments)
        if culprit is not None:
            yield (
                owned.get(id(value)),
                Rule.START_DATE,
                f"line {value.lineno}: start_date is computed from {culprit}()"
                " — use a fixed date, e.g. pendulum.datetime(2026, 1, 1, tz='UTC')",
            )


def _start_date_values(tree: ast.Module) -> Iterator[ast.expr]:
    """Values given to ``start_date=`` keywords and ``"start_date"`` dict keys anywhere in the file."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from (k.value for k in node.keywords if k.arg == "start_date")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "start_date":
                    yield value


def _module_assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` assignments (so ``start_date=START`` can be followed)."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            found.update((t.id, node.value) for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found[node.target.id] = node.value
    return found


def _dynamic_call(value: ast.expr, assignments: dict[str, ast.expr], depth: int = 0) -> str | None:
    """Name of the first clock-dependent call in ``value`` (following module-level names), or None."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in DYNAMIC_CALLS:
                return name
        elif isinstance(node, ast.Name) and node.id in assignments and depth < 3:
            found = _dynamic_call(assignments[node.id], assignments, depth + 1)
            if found:
                return found
    return None


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
