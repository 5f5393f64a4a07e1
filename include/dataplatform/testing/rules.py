"""Rules checked on the parsed DAG objects (``DagBag.dags`` values are Task SDK ``DAG`` objects in 3.3)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from dataplatform.testing.policy import Policy, Rule

#: A finding of a DAG rule: (rule, message).
DagFinding = tuple[Rule, str]


def check_dag(dag: Any, policy: Policy) -> list[DagFinding]:
    """Every enabled runtime rule's findings for one DAG."""
    findings: list[DagFinding] = []
    for rule, check in DAG_RULES.items():
        if policy.enabled(rule):
            findings.extend((rule, message) for message in check(dag, policy))
    return findings


def names(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` — at most ``limit`` names, then ``and N more``."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def _owner(dag: Any, policy: Policy) -> Iterator[str]:
    forbidden = {o.lower() for o in policy.forbidden_owners}
    by_owner: dict[str, list[str]] = {}
    for task in dag.tasks:
        owner = (task.owner or "").strip()
        if owner.lower() in forbidden:
            by_owner.setdefault(owner, []).append(task.task_id)
    for owner, task_ids in by_owner.items():
        label = f"default owner {owner!r}" if owner else "empty owner"
        yield f"{label} on task(s) {names(task_ids)} — set default_args(owner=...)"


def _tags(dag: Any, policy: Policy) -> Iterator[str]:
    if not dag.tags:
        yield "no tags — set tags=[...] (team, domain) so the DAG can be found in the UI"


def _retries(dag: Any, policy: Policy) -> Iterator[str]:
    low = [f"{t.task_id} ({t.retries or 0})" for t in dag.tasks if (t.retries or 0) < policy.min_retries]
    if low:
        yield f"retries < {policy.min_retries} on task(s) {names(low)} — keep default_args() retries"


def _backoff(dag: Any, policy: Policy) -> Iterator[str]:
    flat = [t.task_id for t in dag.tasks if not t.retry_exponential_backoff]
    if flat:
        yield f"no retry_exponential_backoff on task(s) {names(flat)} — keep default_args() backoff"


def _failure_callback(dag: Any, policy: Policy) -> Iterator[str]:
    prefixes = (policy.callback_prefix, policy.notifier_prefix)
    missing = [t.task_id for t in dag.tasks if not has_platform_callback(t.on_failure_callback, prefixes)]
    if missing:
        yield (
            f"task(s) {names(missing)} have no {policy.callback_prefix} on_failure_callback"
            " — use default_args(owner=...)"
        )
    if not has_platform_callback(dag.on_failure_callback, prefixes):
        yield f"the DAG's on_failure_callback has no {policy.callback_prefix} callable — pass **dag_callbacks()"


def _doc_md(dag: Any, policy: Policy) -> Iterator[str]:
    if not (dag.doc_md or "").strip():
        yield "doc_md is empty — describe what the DAG does, its inputs and how to re-run it"


def _start_date(dag: Any, policy: Policy) -> Iterator[str]:
    if dag.start_date is None:
        yield "no start_date — set a fixed one, e.g. start_date=pendulum.datetime(2026, 1, 1, tz='UTC')"


DAG_RULES: dict[Rule, Callable[[Any, Policy], Iterable[str]]] = {
    Rule.OWNER: _owner,
    Rule.TAGS: _tags,
    Rule.RETRIES: _retries,
    Rule.BACKOFF: _backoff,
    Rule.FAILURE_CALLBACK: _failure_callback,
    Rule.DOC_MD: _doc_md,
    Rule.START_DATE: _start_date,
}


def has_platform_callback(callbacks: Any, prefixes: Iterable[str]) -> bool:
    """Whether ``callbacks`` (None, one callable or a list) holds one from a package in ``prefixes``.

    Functions are judged by ``__module__``; notifier instances by their class's module (an instance's
    ``__module__`` attribute is its class's); ``functools.partial`` by the wrapped function.
    """
    if callbacks is None:
        return False
    items = callbacks if isinstance(callbacks, list | tuple) else [callbacks]
    return any(_in_packages(_module_of(cb), prefixes) for cb in items)


def _module_of(callback: Any) -> str:
    while isinstance(callback, functools.partial):
        callback = callback.func
    return getattr(callback, "__module__", None) or type(callback).__module__


def _in_packages(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes if p)
