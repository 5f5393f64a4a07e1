"""``python -m dataplatform.pipelines validate [PATH...]`` and ``... schema [--check] [--output FILE]``.

``validate`` prints every error of every pipeline under the paths (a spec file, a pipeline folder,
or a folder of pipeline folders) as ``file:line:col: pipeline/step: message (hint)`` and exits 1
when there is any; pipeline ids must be unique across the files given. ``schema`` writes the
JSON Schema of a pipeline file (default ``dags/pipelines/pipeline.schema.json``); with ``--check``
it only says whether that file is up to date (exit 1 when stale).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from dataplatform.pipelines.compiler import SPEC_SUFFIX, compile_spec, shown, spec_file_of
from dataplatform.pipelines.errors import SpecError
from dataplatform.pipelines.source import DEFAULTS_FILE

DEFAULT_FOLDER = Path("dags/pipelines")
SCHEMA_FILE = "pipeline.schema.json"


def spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[SpecError]]:
    """The spec files under ``paths``, and an error for each path holding none."""
    found: list[Path] = []
    errors: list[SpecError] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir() and spec_file_of(path).is_file():
            found.append(spec_file_of(path))
        elif path.is_dir():
            inside = sorted(
                p
                for p in path.rglob(f"*{SPEC_SUFFIX}")
                if p.name != DEFAULTS_FILE and p == spec_file_of(p.parent)
            )
            found += inside
            for stub in sorted(path.rglob("dag.py")):
                if not spec_file_of(stub.parent).is_file() and any(
                    p.suffix == SPEC_SUFFIX for p in stub.parent.iterdir()
                ):
                    message = (
                        f"dag.py has no {spec_file_of(stub.parent).name} beside it: its DAG fails to import"
                    )
                    errors.append(SpecError(shown(stub), message, hint="name the spec after its folder"))
            if not inside:
                errors.append(
                    SpecError(shown(path), "no pipeline found", hint="a pipeline is <name>/<name>.yaml")
                )
        else:
            errors.append(SpecError(shown(path), "no such file or folder"))
    return list(dict.fromkeys(found)), errors


def validate_paths(paths: Sequence[Path]) -> tuple[int, list[SpecError]]:
    """How many pipelines were checked, and every error (with duplicate ids across files)."""
    files, errors = spec_files(paths)
    owners: dict[str, Path] = {}
    for spec in files:
        compiled = compile_spec(spec)
        errors += compiled.errors
        if compiled.pipeline is not None:
            first = owners.setdefault(compiled.pipeline.id, spec)
            if first != spec:
                errors.append(
                    SpecError(
                        shown(spec),
                        f"pipeline id `{compiled.pipeline.id}` is also used by {shown(first)}",
                        pipeline=compiled.pipeline.id,
                        key="id",
                        hint="ids are DAG ids: make them unique",
                    )
                )
        if not (spec.parent / "dag.py").is_file():
            errors.append(
                SpecError(
                    shown(spec),
                    "the pipeline folder has no dag.py: Airflow will not see it",
                    hint="add the two-line stub (see docs/pipelines.md)",
                )
            )
    return len(files), errors


def write_schema(target: Path) -> None:
    """Write the JSON Schema to ``target``."""
    target.write_text(schema_text(), encoding="utf-8")


def schema_text() -> str:
    """The JSON Schema as committed (sorted keys, 2-space indent, final newline)."""
    from dataplatform.pipelines.spec import json_schema

    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m dataplatform.pipelines", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "validate", help="print every error of the pipelines under PATH (default dags/pipelines)"
    )
    check.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_FOLDER])
    schema = sub.add_parser("schema", help="write the JSON Schema of a pipeline file")
    schema.add_argument("--output", type=Path, default=DEFAULT_FOLDER / SCHEMA_FILE)
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    if args.command == "validate":
        count, errors = validate_paths(args.paths)
        for error in sorted(errors, key=SpecError.sort_key):
            print(error)
        status = f"{len(errors)} error(s) in" if errors else "no errors in"
        print(f"{status} {count} pipeline(s)", file=sys.stderr)
        return 1 if errors else 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != schema_text():
            print(f"{args.output} is stale: run python -m dataplatform.pipelines schema", file=sys.stderr)
            return 1
        return 0
    write_schema(args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
