"""The reports' Jinja environment: package templates, autoescaping, the formatting filters."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

import jinja2

from dataplatform.reports import formatting


def trend_class(value: Any, inverse: bool = False) -> str:
    """CSS class of a change: ``up`` (good) or ``down`` (bad); ``inverse`` when a rise is bad."""
    if value is None or float(value) == 0:
        return ""
    rising = float(value) > 0
    return "up" if rising != inverse else "down"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dataplatform.reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=formatting.money,
        pct=formatting.pct,
        change=formatting.change,
        points=formatting.points,
        integer=formatting.integer,
        month=formatting.month,
        duration=formatting.duration,
        cell=formatting.value,
        numeric=formatting.is_number,
        trend=trend_class,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render a template of ``dataplatform/reports/templates``."""
    return environment().get_template(template).render(**context)


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI (a self-contained HTML file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode()
