"""parse -> check for one pipeline folder, and the DAG file's entry point :func:`pipeline_dag`.

A pipeline folder ``dags/pipelines/<name>/`` holds ``<name>.yaml`` (its spec), its SQL, scripts
and config files, and a two-line ``dag.py`` calling :func:`pipeline_dag`. Each pipeline is its own
DAG file, so a broken one is its own import error and never hides another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dataplatform.pipelines.check import check
from dataplatform.pipelines.errors import PipelineSpecError, SpecError
from dataplatform.pipelines.source import defaults_files, merge_defaults, read_yaml
from dataplatform.pipelines.spec import PipelineFields
from dataplatform.pipelines.validate import validate

SPEC_SUFFIX = ".yaml"


@dataclass
class Compiled:
    """A pipeline folder, checked: the model when valid, the parsed configs, every error."""

    spec_file: Path
    pipeline: PipelineFields | None
    configs: dict[str, Any] = field(default_factory=dict)
    errors: list[SpecError] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.spec_file.parent


def spec_file_of(folder: Path) -> Path:
    """The spec of a pipeline folder: ``<folder>/<folder name>.yaml``."""
    return folder / f"{folder.name}{SPEC_SUFFIX}"


def shown(path: Path, base: Path | None = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) when inside it, else absolute
    (a dag-processor running in ``/`` shows absolute paths)."""
    base = (base or Path.cwd()).resolve()
    resolved = path.resolve()
    inside = resolved.is_relative_to(base) and base != Path(base.anchor)
    return resolved.relative_to(base).as_posix() if inside else str(resolved)


def compile_spec(spec_file: Path, base: Path | None = None) -> Compiled:
    """Parse, validate and check one spec file; file names in errors are relative to ``base``."""
    spec = read_yaml(spec_file, shown(spec_file, base))
    defaults = [read_yaml(p, shown(p, base)) for p in defaults_files(spec_file)]
    doc = merge_defaults(spec, defaults)
    data = doc.data if isinstance(doc.data, dict) else {}
    name = data.get("id") if isinstance(data.get("id"), str) else spec_file.parent.name
    if spec.data is None and spec.errors:  # unreadable: nothing to validate
        errors = [replace(e, pipeline=name) for e in doc.errors]
        return Compiled(spec_file, None, errors=sorted(errors, key=SpecError.sort_key))
    validated = validate(doc, name)
    checked = check(doc, validated, spec_file.parent, name)
    errors = [e if e.pipeline else replace(e, pipeline=name) for e in doc.errors]
    errors += validated.errors + checked.errors
    pipeline = validated.pipeline if not errors else None
    return Compiled(spec_file, pipeline, checked.configs, sorted(errors, key=SpecError.sort_key))


def pipeline_dag(dag_file: str | Path) -> Any:
    """The DAG of the pipeline folder holding ``dag_file`` (call it with ``__file__``).

    Raises :class:`PipelineSpecError` listing every error of the folder's spec: the dag-processor
    shows it as this file's import error.
    """
    dag_path = Path(dag_file).resolve()
    spec_file = spec_file_of(dag_path.parent)
    if not spec_file.is_file():
        raise PipelineSpecError(
            [
                SpecError(
                    shown(spec_file), "the pipeline's spec file is missing", hint=f"create {spec_file.name}"
                )
            ]
        )
    compiled = compile_spec(spec_file)
    if compiled.errors:
        raise PipelineSpecError(compiled.errors)
    from dataplatform.pipelines.render import render

    return render(compiled, dag_file=dag_path)
