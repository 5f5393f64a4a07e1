"""Semantic checks after the models: dependencies, cycles, files and config files.

Every referenced file must exist and stay inside the pipeline folder; config files (JSON, XML,
YAML) must parse, and their content is kept for the steps (:attr:`Checked.configs`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataplatform.pipelines.configs import ConfigError, read_config
from dataplatform.pipelines.errors import SpecError, did_you_mean
from dataplatform.pipelines.source import Document, KeyPath
from dataplatform.pipelines.spec import ParamSpec, PipelineFields
from dataplatform.pipelines.step import FileRef
from dataplatform.pipelines.validate import Validated, error_at

#: Params the platform sets on some steps: a pipeline param may not take these names.
RESERVED_PARAMS = frozenset({"config"})


@dataclass
class Checked:
    """The semantic errors, and the parsed config files by their path as written."""

    errors: list[SpecError] = field(default_factory=list)
    configs: dict[str, Any] = field(default_factory=dict)


def check(doc: Document, validated: Validated, folder: Path, name: str) -> Checked:
    """Every semantic error of the (partly) valid spec, and the parsed config files."""
    out = Checked()
    steps = validated.steps
    out.errors += _dependencies(doc, validated.after, validated.step_ids, name)
    out.errors += _cycles(doc, validated.after, name)
    for step_id, step in steps.items():
        for ref in step.files():
            out.errors += _file(doc, folder, step_id, ref, name, out.configs)
    out.errors += _pipeline(doc, validated, folder, name)
    return out


def _dependencies(
    doc: Document, after: dict[str, list[str]], step_ids: list[str], name: str
) -> list[SpecError]:
    errors = []
    for step_id, targets in after.items():
        for i, target in enumerate(targets):
            path: KeyPath = ("steps", step_id, "after", i)
            if target == step_id:
                errors.append(
                    error_at(
                        doc, path, f"step `{step_id}` depends on itself", name, hint="remove it from `after`"
                    )
                )
            elif target not in step_ids:
                hint = did_you_mean(target, [s for s in step_ids if s != step_id])
                errors.append(
                    error_at(
                        doc,
                        path,
                        f"step `{step_id}` depends on `{target}`, which is not a step",
                        name,
                        hint=hint,
                    )
                )
    return errors


def _cycles(doc: Document, after: dict[str, list[str]], name: str) -> list[SpecError]:
    """One error per cycle, ``a → b → c → a`` in run order, at its first step's ``after``."""
    graph = {s: [t for t in targets if t in after and t != s] for s, targets in after.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for upstream in graph[node]:
            if state.get(upstream) == 1:
                cycle = path[path.index(upstream) :] + [upstream] if upstream in path else [node, upstream]
                cycles.append(cycle)
            elif upstream not in state:
                visit(upstream, [*path, upstream])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    errors = []
    for cycle in cycles:
        # the path runs downstream -> upstream; show it in run order (upstream first)
        shown = list(reversed(cycle))
        start = min(range(len(shown) - 1), key=lambda i: shown[i])
        ring = shown[start:-1] + shown[:start] + [shown[start]]
        errors.append(
            error_at(
                doc,
                ("steps", ring[0], "after"),
                "cycle: " + " → ".join(ring),
                name,
                key="after",
                hint="remove one of these `after:` entries",
            )
        )
    return errors


def _file(
    doc: Document, folder: Path, step_id: str, ref: FileRef, name: str, configs: dict[str, Any]
) -> list[SpecError]:
    path: KeyPath = ("steps", step_id, *ref.key)
    root = folder.resolve()
    target = (root / ref.path).resolve()
    if not target.is_relative_to(root):
        return [
            error_at(
                doc,
                path,
                f"{ref.what} `{ref.path}` is outside the pipeline folder",
                name,
                hint=f"keep it in {folder.name}/ and name it relative to that folder",
            )
        ]
    kind_ok = target.is_dir() if ref.directory else target.is_file()
    if not kind_ok:
        present = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir() == ref.directory]
        hint = did_you_mean(ref.path, present) or f"paths are relative to {folder.name}/"
        return [error_at(doc, path, f"{ref.what} `{ref.path}` not found", name, hint=hint)]
    if ref.executable and not os.access(target, os.X_OK):
        return [
            error_at(
                doc,
                path,
                f"{ref.what} `{ref.path}` is not executable",
                name,
                hint=f"run `chmod +x {ref.path}` and commit the mode",
            )
        ]
    if ref.what == "config file":
        try:
            configs[ref.path] = read_config(target)
        except ConfigError as err:
            if not err.line:  # about the file as a whole: point at the spec's key
                return [error_at(doc, path, f"config file `{ref.path}`: {err.message}", name, hint=err.hint)]
            return [
                SpecError(
                    file=(Path(doc.file).parent / target.relative_to(root)).as_posix(),
                    message=f"config file `{ref.path}`: {err.message}",
                    line=err.line,
                    column=err.column,
                    pipeline=name,
                    step=step_id,
                    key=ref.key[-1],
                    hint=err.hint,
                )
            ]
    return []


def _pipeline(doc: Document, validated: Validated, folder: Path, name: str) -> list[SpecError]:
    """Checks of pipeline fields, on the data as written (so they run when other fields are wrong)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    errors = []
    pipeline_id = data.get("id")
    if isinstance(pipeline_id, str) and pipeline_id != folder.name:
        message = f"id `{pipeline_id}` is not the folder's name `{folder.name}`"
        errors.append(error_at(doc, ("id",), message, name, hint="one folder per pipeline, named by its id"))
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    for param in sorted(RESERVED_PARAMS & params.keys()):
        hint = "`params.config` holds a step's config file; pick another name"
        errors.append(
            error_at(doc, ("params", param), f"param `{param}` is reserved", name, on_key=True, hint=hint)
        )
    if validated.pipeline is not None:
        errors += _param_defaults(doc, validated.pipeline, name)
    after = validated.after
    leaves = [s for s in validated.steps if not any(s in targets for targets in after.values())]
    if data.get("produces"):
        for step_id in leaves:
            if not validated.steps[step_id].emits_assets:
                message = f"the final step `{step_id}` cannot emit `produces`"
                hint = "a load step emits its table's Asset; end with another step"
                errors.append(error_at(doc, ("produces",), message, name, hint=hint))
    return errors


def _param_defaults(doc: Document, pipeline: PipelineFields, name: str) -> list[SpecError]:
    """Each param's default must pass its own schema (Airflow would fail the DAG, unpositioned)."""
    errors = []
    for param, value in pipeline.params.items():
        if not isinstance(value, ParamSpec):
            continue
        schema = value.model_dump(exclude={"default", "description"}, exclude_none=True)
        if not schema:
            continue
        import jsonschema  # Airflow's Param checks with it too (loaded with airflow.sdk)

        problem = jsonschema.exceptions.best_match(
            jsonschema.Draft7Validator(schema).iter_errors(value.default)
        )
        if problem is not None:
            message = f"the default of param `{param}` does not pass its schema: {problem.message}"
            errors.append(error_at(doc, ("params", param, "default"), message, name, key="default"))
    return errors
