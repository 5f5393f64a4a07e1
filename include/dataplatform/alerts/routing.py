"""Who gets an alert: owner / tag / per-DAG override → Slack connection id and email recipients.

The one place routing is decided. Precedence, highest first:

1. the DAG's ``default_args["alert_route"]``: a route name (``"finance"``) or a dict of overrides
   (``{"route": "finance", "retry_notices": True, "runbook_url": "https://…"}``);
2. a DAG tag ``alerts:<route>`` (e.g. ``alerts:finance``);
3. the first route whose ``owners`` lists the task's (or DAG's) owner;
4. the default route: Slack connection ``slack_alerts`` + ``[dataplatform] alert_email``.

Routes besides ``default`` come from ``[dataplatform] alert_routes`` (JSON), e.g.
``{"finance": {"slack_conn_id": "slack_finance", "email": ["fin@x.com"], "owners": ["finance"]}}``.
An unknown route name falls back to the default route (with its name kept for the log).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dataplatform.alerts.settings import AlertSettings, load_settings, split_emails
from dataplatform.conn_ids import SLACK_ALERTS_CONN_ID

ROUTE_TAG_PREFIX = "alerts:"
ROUTE_ARG = "alert_route"
DEFAULT_ROUTE_NAME = "default"


@dataclass(frozen=True)
class Route:
    """Where and how one DAG's alerts go."""

    name: str = DEFAULT_ROUTE_NAME
    slack_conn_id: str | None = SLACK_ALERTS_CONN_ID
    email: tuple[str, ...] = ()
    #: Send a notice for each failed try that will be retried (off by default: retries are normal).
    retry_notices: bool = False
    #: Send a "recovered" message when a run succeeds after the DAG's previous run failed.
    recovery_notices: bool = True
    #: Also email when Slack succeeded (email is otherwise only the fallback).
    always_email: bool = False
    owners: tuple[str, ...] = ()
    runbook_url: str | None = None


def route_from_spec(name: str, spec: Mapping[str, Any], base: Route) -> Route:
    """A route from its config / override dict, on top of ``base``."""
    changes: dict[str, Any] = {"name": name}
    if "slack_conn_id" in spec:
        changes["slack_conn_id"] = spec["slack_conn_id"] or None
    if "email" in spec:
        changes["email"] = split_emails(spec["email"])
    for flag in ("retry_notices", "recovery_notices", "always_email"):
        if flag in spec:
            changes[flag] = _to_bool(spec[flag])
    if "owners" in spec:
        owners = spec["owners"]
        changes["owners"] = tuple([owners] if isinstance(owners, str) else owners or ())
    if "runbook_url" in spec:
        changes["runbook_url"] = spec["runbook_url"] or None
    return replace(base, **changes)


def known_routes(settings: AlertSettings | None = None) -> dict[str, Route]:
    """The route table: ``default`` plus ``[dataplatform] alert_routes``."""
    settings = settings or load_settings()
    default = Route(email=settings.alert_email)
    routes = {DEFAULT_ROUTE_NAME: default}
    for name, spec in (settings.routes or {}).items():
        if isinstance(spec, Mapping):
            routes[name] = route_from_spec(name, spec, routes.get(name, default))
    return routes


def resolve_route(
    *,
    default_args: Mapping[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    owner: str | None = None,
    settings: AlertSettings | None = None,
) -> Route:
    """The route for a DAG (and task owner), following the precedence in the module docstring."""
    routes = known_routes(settings)
    default = routes[DEFAULT_ROUTE_NAME]
    override = (default_args or {}).get(ROUTE_ARG)
    if isinstance(override, str) and override:
        return routes.get(override, replace(default, name=override))
    if isinstance(override, Mapping):
        name = override.get("route") or _route_from_tags(tags) or _route_for_owner(routes, owner)
        base = routes.get(name, default) if name else default
        return route_from_spec(name or base.name, override, base)
    if tag_route := _route_from_tags(tags):
        return routes.get(tag_route, replace(default, name=tag_route))
    if owner_route := _route_for_owner(routes, owner):
        return routes[owner_route]
    return default


def route_for_dag(dag: Any, task: Any = None, settings: AlertSettings | None = None) -> Route:
    """:func:`resolve_route` from a DAG object (SDK, serialized or a simple stand-in) and optional task."""
    owner = getattr(task, "owner", None) or getattr(dag, "owner", None)
    return resolve_route(
        default_args=getattr(dag, "default_args", None) or {},
        tags=getattr(dag, "tags", None) or (),
        owner=owner,
        settings=settings,
    )


def _route_from_tags(tags: Iterable[str] | None) -> str | None:
    for tag in sorted(tags or ()):
        if isinstance(tag, str) and tag.startswith(ROUTE_TAG_PREFIX) and tag[len(ROUTE_TAG_PREFIX) :]:
            return tag[len(ROUTE_TAG_PREFIX) :]
    return None


def _route_for_owner(routes: Mapping[str, Route], owner: str | None) -> str | None:
    if not owner:
        return None
    owners = {o.strip() for o in owner.split(",")}
    for name, route in routes.items():
        if owners & set(route.owners):
            return name
    return None


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
