"""Read a pipeline's YAML with every key's and value's position, and merge the folder defaults.

The C loader (``yaml.CSafeLoader``) composes the document into nodes, which keep their line and
column; :func:`read_yaml` turns them into plain values plus a :class:`Located` map from key path
(``("steps", "build", "sql")``) to position. Duplicate keys, non-string keys and YAML syntax
errors become :class:`~dataplatform.pipelines.errors.SpecError` with their position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataplatform.pipelines.errors import SpecError

#: Key path inside a document: mapping keys (str) and sequence indexes (int).
KeyPath = tuple[str | int, ...]
#: The files every pipeline folder's spec is merged with, nearest last (see :func:`defaults_files`).
DEFAULTS_FILE = "defaults.yaml"
#: Keys a ``defaults.yaml`` may not set: they belong to one pipeline.
PIPELINE_ONLY_KEYS = frozenset({"id", "steps"})


@dataclass(frozen=True)
class Position:
    """Where a key or value is: file, 1-based line and column."""

    file: str
    line: int
    column: int


@dataclass
class Located:
    """Positions of a document's keys (``keys``) and values (``values``) by key path."""

    keys: dict[KeyPath, Position] = field(default_factory=dict)
    values: dict[KeyPath, Position] = field(default_factory=dict)

    def key(self, path: KeyPath) -> Position | None:
        """Position of the key at ``path`` (else of its value, else of the nearest parent)."""
        return self._find(path, prefer_key=True)

    def value(self, path: KeyPath) -> Position | None:
        """Position of the value at ``path`` (else of its key, else of the nearest parent)."""
        return self._find(path, prefer_key=False)

    def _find(self, path: KeyPath, *, prefer_key: bool) -> Position | None:
        first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
        for end in range(len(path), -1, -1):
            sub = path[:end]
            found = first.get(sub) or second.get(sub)
            if found:
                return found
        return None

    def update(self, other: Located) -> None:
        """Take ``other``'s positions where it has them."""
        self.keys.update(other.keys)
        self.values.update(other.values)


@dataclass
class Document:
    """A YAML file read: its data (None when unreadable), positions and errors."""

    file: str
    data: Any
    located: Located
    errors: list[SpecError]


def read_yaml(path: Path, shown_as: str | None = None) -> Document:
    """Parse ``path`` with the C loader, keeping positions; ``shown_as`` names the file in errors."""
    file = shown_as or str(path)
    located = Located()
    errors: list[SpecError] = []
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(p for p in (err.context, err.problem) if p)
        return Document(file, None, located, [SpecError(file, f"YAML syntax error: {problem}", line, col)])
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        return Document(file, None, located, [SpecError(file, f"cannot read the file: {err}")])
    data = None if node is None else _Builder(file, located, errors).value(node, ())
    return Document(file, data, located, errors)


class _Builder:
    """Turns composed nodes into plain values, recording positions and key errors."""

    def __init__(self, file: str, located: Located, errors: list[SpecError]) -> None:
        self.file, self.located, self.errors = file, located, errors
        self.loader = yaml.CSafeLoader("")  # constructs scalars exactly as safe_load would

    def pos(self, node: yaml.Node) -> Position:
        return Position(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def value(self, node: yaml.Node, path: KeyPath) -> Any:
        self.located.values[path] = self.pos(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            pos = self.pos(key_node)
            key, problem = self.key(key_node, path, out)
            if problem:
                step = str(key) if path == ("steps",) else None
                self.errors.append(
                    SpecError(
                        self.file, problem[0], pos.line, pos.column, step=step, key=str(key), hint=problem[1]
                    )
                )
                continue
            self.located.keys[(*path, key)] = pos
            out[key] = self.value(value_node, (*path, key))
        return out

    def key(
        self, node: yaml.Node, path: KeyPath, seen: dict[str, Any]
    ) -> tuple[Any, tuple[str, str | None] | None]:
        """The key's value, and (message, hint) when it cannot be used."""
        if node.tag == "tag:yaml.org,2002:merge":
            return "<<", ("YAML merge keys (`<<`) are not supported", "repeat the keys, or use defaults.yaml")
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            shown = node.value if isinstance(node, yaml.ScalarNode) else "a collection"
            return shown, (f"key `{shown}` is not a string", "quote it, or use a name")
        key = node.value
        if key in seen:
            first = self.located.keys[(*path, key)]
            return key, (f"duplicate key `{key}`, first at line {first.line}", "remove one of them")
        return key, None

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError:
            pos = self.pos(node)
            self.errors.append(
                SpecError(
                    self.file,
                    f"unsupported YAML tag `{node.tag}`",
                    pos.line,
                    pos.column,
                    hint="remove the tag",
                )
            )
            return node.value


def defaults_files(spec: Path) -> list[Path]:
    """The ``defaults.yaml`` files merged under ``spec``: the parent folder's (shared by every
    pipeline folder beside it), then the pipeline folder's own. Missing ones are skipped."""
    folder = spec.parent
    return [p for p in (folder.parent / DEFAULTS_FILE, folder / DEFAULTS_FILE) if p.is_file()]


def merge_defaults(spec: Document, defaults: list[Document]) -> Document:
    """``spec`` over ``defaults`` (first is lowest): mappings merge key by key, other values are
    replaced. A defaults file setting ``id`` or ``steps`` or not holding a mapping is an error."""
    errors = [e for d in defaults for e in d.errors] + list(spec.errors)
    located = Located()
    merged: dict[str, Any] = {}
    for doc in defaults:
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            pos = doc.located.value(())
            errors.append(
                SpecError(doc.file, "a defaults file must be a mapping of pipeline fields", *_lc(pos))
            )
            continue
        for key in sorted(PIPELINE_ONLY_KEYS & doc.data.keys()):
            pos = doc.located.key((key,))
            errors.append(
                SpecError(
                    doc.file,
                    f"`{key}` cannot be a default",
                    *_lc(pos),
                    key=key,
                    hint="set it in the pipeline's own file",
                )
            )
        data = {k: v for k, v in doc.data.items() if k not in PIPELINE_ONLY_KEYS}
        merged = _deep_merge(merged, data)
        located.update(doc.located)
    if isinstance(spec.data, dict):
        located.update(spec.located)
        return Document(spec.file, _deep_merge(merged, spec.data), located, errors)
    return Document(spec.file, spec.data, spec.located, errors)


def _deep_merge(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    out = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _lc(pos: Position | None) -> tuple[int, int]:
    return (pos.line, pos.column) if pos else (0, 0)
