"""The step kinds: one module per kind in this package, found here by name.

Each module defines one :class:`~dataplatform.pipelines.step.Step` subclass whose ``kind`` field is
a ``Literal`` of its name, and exposes it as ``KIND``. Adding a kind is adding a module: nothing in
the compiler's core changes. Only pydantic is imported here; operators load at render time.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import typing

from dataplatform.pipelines.step import Step


@functools.cache
def registry() -> dict[str, type[Step]]:
    """``{kind name: model}`` of every module in this package, in name order."""
    found: dict[str, type[Step]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        model = importlib.import_module(f"{__name__}.{info.name}").KIND
        name = kind_name(model)
        if name in found:
            raise ValueError(f"step kind {name!r} is defined by two modules of {__name__}")
        found[name] = model
    return found


def kind_name(model: type[Step]) -> str:
    """The name a model's ``kind: Literal[...]`` field accepts."""
    (name,) = typing.get_args(model.model_fields["kind"].annotation)
    return name
