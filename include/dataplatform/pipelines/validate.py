"""Spec data -> models, every pydantic error turned into a :class:`SpecError` with its position.

Steps are validated one by one too, so a pipeline with a bad field still has its good steps
checked by :mod:`dataplatform.pipelines.check` (all errors of a file, not the first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from dataplatform.pipelines.errors import SpecError, did_you_mean, one_of
from dataplatform.pipelines.kinds import registry
from dataplatform.pipelines.source import Document, KeyPath
from dataplatform.pipelines.spec import UNION_TAGS, AssetSchedule, ParamSpec, PipelineFields, pipeline_model
from dataplatform.pipelines.step import SpecValueError, Step


@dataclass
class Validated:
    """The model when the whole spec is valid; the steps that are valid either way; the errors."""

    pipeline: PipelineFields | None
    steps: dict[str, Step] = field(default_factory=dict)
    step_ids: list[str] = field(default_factory=list)
    #: ``after`` of every step as written (strings only), valid step or not.
    after: dict[str, list[str]] = field(default_factory=dict)
    errors: list[SpecError] = field(default_factory=list)


def validate(doc: Document, name: str) -> Validated:
    """Validate ``doc`` (merged with its defaults); ``name`` names the pipeline in errors."""
    data = doc.data
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        hint = "start with `id:`, `owner:` and `steps:`; see docs/pipelines.md"
        return Validated(
            None,
            errors=[
                error_at(doc, (), f"the file is {what}, not a mapping of pipeline fields", name, hint=hint)
            ],
        )
    raw_steps = data.get("steps")
    step_ids = [k for k in raw_steps if isinstance(k, str)] if isinstance(raw_steps, dict) else []
    after = _raw_after(raw_steps)
    try:
        pipeline = pipeline_model().model_validate(data)
    except ValidationError as err:
        errors = _drop_suggested_missing([_convert(doc, e, name) for e in err.errors()])
        return Validated(None, _valid_steps(raw_steps), step_ids, after, _dedupe(errors))
    return Validated(pipeline, dict(pipeline.steps), step_ids, after)  # type: ignore[attr-defined]


def _raw_after(raw_steps: Any) -> dict[str, list[str]]:
    if not isinstance(raw_steps, dict):
        return {}
    out = {}
    for step_id, raw in raw_steps.items():
        after = raw.get("after", []) if isinstance(raw, dict) else []
        after = [after] if isinstance(after, str) else after
        out[step_id] = [a for a in after if isinstance(a, str)] if isinstance(after, list) else []
    return out


def _drop_suggested_missing(errors: list[SpecError]) -> list[SpecError]:
    """A missing key that an unknown key's hint already names is one mistake, reported once."""
    suggested = {(e.pipeline, e.step, e.hint) for e in errors if e.message.startswith("unknown key")}
    return [
        e
        for e in errors
        if not (
            e.message.startswith("missing required key")
            and (e.pipeline, e.step, f"did you mean `{e.key}`?") in suggested
        )
    ]


def _valid_steps(raw_steps: Any) -> dict[str, Step]:
    if not isinstance(raw_steps, dict):
        return {}
    kinds = registry()
    valid = {}
    for step_id, raw in raw_steps.items():
        model = (
            kinds.get(raw.get("kind")) if isinstance(raw, dict) and isinstance(raw.get("kind"), str) else None
        )
        if model is None:
            continue
        try:
            valid[step_id] = TypeAdapter(model).validate_python(raw)
        except ValidationError:
            continue
    return valid


def _clean_loc(loc: tuple[Any, ...]) -> KeyPath:
    """The error's location as a key path of the document: union tags removed."""
    path = list(loc)
    if len(path) > 2 and path[0] == "steps" and path[2] in registry():
        del path[2]
    elif len(path) > 1 and path[0] == "schedule" and path[1] in UNION_TAGS:
        del path[1]
    elif len(path) > 2 and path[0] == "params" and path[2] in UNION_TAGS:
        del path[2]
    return tuple(path)


def _convert(doc: Document, error: dict[str, Any], name: str) -> SpecError:
    path = _clean_loc(error["loc"])
    kind, ctx = error["type"], error.get("ctx") or {}
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), None)
    if path and path[-1] == "[key]":
        path = path[:-1]
        what = "step id" if len(path) == 2 and path[0] == "steps" else "key"
        hint = "a letter, then letters, digits and `_`: it becomes the task id" if what == "step id" else None
        return error_at(doc, path, f"{what} `{path[-1]}` is not valid", name, hint=hint, on_key=True)
    if kind == "extra_forbidden":
        fields = _fields_at(doc.data, path[:-1])
        hint = did_you_mean(key or "", fields) or (one_of(fields) if fields else None)
        return error_at(doc, path, f"unknown key `{key}`", name, hint=hint, on_key=True)
    if kind == "missing":
        where = f" in step `{path[1]}`" if len(path) > 2 and path[0] == "steps" else ""
        return error_at(doc, path[:-1], f"missing required key `{key}`{where}", name, key=key, on_key=True)
    if kind == "union_tag_invalid":
        kinds = registry()
        hint = did_you_mean(ctx.get("tag", ""), kinds) or one_of(kinds)
        return error_at(doc, (*path, "kind"), f"unknown step kind `{ctx.get('tag')}`", name, hint=hint)
    if kind == "union_tag_not_found":
        return error_at(
            doc, path, "the step has no `kind`", name, key="kind", hint=one_of(registry()), on_key=True
        )
    if kind == "value_error" and isinstance(ctx.get("error"), SpecValueError):
        return error_at(doc, path, str(ctx["error"]), name, key=key, hint=ctx["error"].hint)
    message = error["msg"].removeprefix("Value error, ")
    return error_at(
        doc, path, f"`{key}`: {message[:1].lower()}{message[1:]}", name, key=key, hint=_got(error)
    )


def _got(error: dict[str, Any]) -> str | None:
    value = error.get("input")
    if isinstance(value, dict | list) or value is None:
        return None
    return f"got `{value}`"


def _fields_at(data: Any, parent: KeyPath) -> list[str]:
    """Field names allowed in the mapping at ``parent``."""
    model: type[BaseModel] | None = None
    if parent == ():
        model = pipeline_model()
    elif parent == ("schedule",):
        model = AssetSchedule
    elif len(parent) == 2 and parent[0] == "params":
        model = ParamSpec
    elif len(parent) == 2 and parent[0] == "steps":
        raw = data.get("steps", {}).get(parent[1], {})
        model = registry().get(raw.get("kind")) if isinstance(raw, dict) else None
    return sorted(model.model_fields) if model else []


def error_at(
    doc: Document,
    path: KeyPath,
    message: str,
    name: str,
    *,
    key: str | None = None,
    hint: str | None = None,
    on_key: bool = False,
) -> SpecError:
    """A :class:`SpecError` positioned at ``path`` of ``doc`` (its key, or its value)."""
    pos = doc.located.key(path) if on_key else doc.located.value(path)
    step = str(path[1]) if len(path) > 1 and path[0] == "steps" else None
    if key is None:
        key = next((str(p) for p in reversed(path) if isinstance(p, str)), None)
    return SpecError(
        file=pos.file if pos else doc.file,
        message=message,
        line=pos.line if pos else 0,
        column=pos.column if pos else 0,
        pipeline=name,
        step=step,
        key=key,
        hint=hint,
    )


def _dedupe(errors: list[SpecError]) -> list[SpecError]:
    seen: dict[tuple[Any, ...], SpecError] = {}
    for e in errors:
        seen.setdefault((e.file, e.line, e.column, e.message), e)
    return list(seen.values())
