"""Completeness rules for files landing in S3 or on local disk (no I/O here).

A rule looks at what a probe saw for one file (:class:`FileStat`), the sizes of the companion
files it asked for (markers) and the size seen at the previous poke, and returns ``None`` when
the file is complete or a short human reason when it is not (``"size 0 < min 1"``).

Rules are small frozen dataclasses so they can be written in DAG code, and they round-trip
through plain dicts (``{"kind": "min_size", "min_bytes": 1}``) so a trigger can carry them in
its serialized keyword arguments and a YAML pipeline can spell them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FileStat:
    """What one probe saw at ``path``: whether a regular file is there and its size in bytes."""

    path: str
    exists: bool
    size: int | None = None


class CompletenessRule(ABC):
    """One condition a present file must meet to count as completely landed."""

    #: Name used in the dict form and in string shorthands (``"stable_size"``).
    kind: ClassVar[str]
    #: True when the rule compares with the size seen at the previous poke.
    needs_history: ClassVar[bool] = False

    def companions(self, path: str) -> tuple[str, ...]:
        """Other paths the probe must look at to judge ``path`` (e.g. its marker file)."""
        return ()

    @abstractmethod
    def check(
        self, stat: FileStat, *, previous_size: int | None, stats: Mapping[str, FileStat]
    ) -> str | None:
        """Return ``None`` when ``stat`` (an existing file) is complete, else why it is not."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; :func:`rule_from_spec` turns it back into the rule."""
        params = {k: v for k, v in asdict(self).items() if v is not None}  # type: ignore[call-overload]
        return {"kind": self.kind, **params}


@dataclass(frozen=True)
class MarkerRule(CompletenessRule):
    """A companion marker must exist. Give exactly one of:

    - ``suffix``: a marker per file, ``<file><suffix>`` (``data.csv`` → ``data.csv.done``);
    - ``name``: a marker beside each file in the same folder (``_SUCCESS``);
    - ``path``: one fixed marker for the whole set (``s3://landing/billing/2026-10/_SUCCESS``).

    With none given, ``suffix=".done"``.
    """

    kind: ClassVar[str] = "marker"

    suffix: str | None = None
    name: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        given = [k for k in ("suffix", "name", "path") if getattr(self, k)]
        if not given:
            object.__setattr__(self, "suffix", ".done")
        elif len(given) > 1:
            raise ValueError(f"MarkerRule takes one of suffix, name or path; got {', '.join(given)}")
        if self.name and "/" in self.name:
            raise ValueError(f"MarkerRule name must be a bare file name, got {self.name!r}")

    def marker_for(self, path: str) -> str:
        if self.suffix:
            return f"{path}{self.suffix}"
        if self.name:
            folder = path.rsplit("/", 1)[0]
            return f"{folder}/{self.name}"
        return str(self.path)

    def companions(self, path: str) -> tuple[str, ...]:
        return (self.marker_for(path),)

    def check(
        self, stat: FileStat, *, previous_size: int | None, stats: Mapping[str, FileStat]
    ) -> str | None:
        marker = self.marker_for(stat.path)
        seen = stats.get(marker)
        if seen is None or not seen.exists:
            return f"marker {marker} missing"
        return None


@dataclass(frozen=True)
class MinSizeRule(CompletenessRule):
    """The file holds at least ``min_bytes`` bytes."""

    kind: ClassVar[str] = "min_size"

    min_bytes: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.min_bytes, bool) or not isinstance(self.min_bytes, int) or self.min_bytes < 0:
            raise ValueError(f"MinSizeRule min_bytes must be a non-negative integer, got {self.min_bytes!r}")

    def check(
        self, stat: FileStat, *, previous_size: int | None, stats: Mapping[str, FileStat]
    ) -> str | None:
        size = stat.size or 0
        if size < self.min_bytes:
            return f"size {size} < min {self.min_bytes}"
        return None


@dataclass(frozen=True)
class StableSizeRule(CompletenessRule):
    """The size is above zero and unchanged since the previous poke (so the writer has finished).

    The first poke that sees a file can never pass: it only records the size. The sensor keeps
    the sizes between pokes in memory (poke mode), in the task state store (reschedule mode) and
    in the trigger's serialized arguments (deferrable mode).
    """

    kind: ClassVar[str] = "stable_size"
    needs_history: ClassVar[bool] = True

    def check(
        self, stat: FileStat, *, previous_size: int | None, stats: Mapping[str, FileStat]
    ) -> str | None:
        size = stat.size or 0
        if size <= 0:
            return "size 0 (empty)"
        if previous_size is None:
            return f"size {size} seen for the first time, not yet confirmed stable"
        if previous_size != size:
            return f"size changed {previous_size} -> {size} since the previous poke"
        return None


RULE_TYPES: dict[str, type[CompletenessRule]] = {
    cls.kind: cls for cls in (MarkerRule, MinSizeRule, StableSizeRule)
}

RuleSpec = CompletenessRule | str | Mapping[str, Any]

#: The rule used when a sensor is given none: the file exists and is not empty.
DEFAULT_RULES: tuple[CompletenessRule, ...] = (MinSizeRule(1),)


def rule_from_spec(spec: RuleSpec) -> CompletenessRule:
    """A rule from a rule object, its dict form or a shorthand string.

    Strings: ``"stable_size"``, ``"marker"`` (``.done`` suffix), ``"marker:_SUCCESS"`` (a marker
    name beside each file), ``"marker:.ok"`` (a suffix), ``"min_size"`` (1 byte) or
    ``"min_size:1024"``.
    """
    if isinstance(spec, CompletenessRule):
        return spec
    if isinstance(spec, str):
        kind, _, arg = spec.partition(":")
        kind = kind.strip()
        arg = arg.strip()
        if kind == "min_size" and arg:
            if not arg.isdigit():
                raise ValueError(f"min_size needs a byte count, got {spec!r}")
            return MinSizeRule(int(arg))
        if kind == "marker" and arg:
            return MarkerRule(suffix=arg) if arg.startswith(".") else MarkerRule(name=arg)
        spec = {"kind": kind}
    if isinstance(spec, Mapping):
        params = dict(spec)
        kind = params.pop("kind", None)
        if kind not in RULE_TYPES:
            raise ValueError(f"unknown completeness rule {kind!r}; known: {', '.join(sorted(RULE_TYPES))}")
        try:
            return RULE_TYPES[kind](**params)
        except TypeError as err:
            raise ValueError(f"bad arguments for completeness rule {kind!r}: {err}") from err
    raise TypeError(f"a completeness rule must be a rule object, dict or string, got {type(spec).__name__}")


def rules_from_spec(spec: RuleSpec | Sequence[RuleSpec] | None) -> tuple[CompletenessRule, ...]:
    """Normalise what a sensor was given as ``rules`` (None → :data:`DEFAULT_RULES`)."""
    if spec is None:
        return DEFAULT_RULES
    if isinstance(spec, (CompletenessRule, str, Mapping)):
        return (rule_from_spec(spec),)
    return tuple(rule_from_spec(s) for s in spec)


def paths_to_probe(files: Iterable[str], rules: Iterable[CompletenessRule]) -> list[str]:
    """The files plus every companion path the rules need, each once, in a stable order."""
    rules = tuple(rules)
    seen: dict[str, None] = {}
    for path in files:
        seen.setdefault(path, None)
        for rule in rules:
            for extra in rule.companions(path):
                seen.setdefault(extra, None)
    return list(seen)


@dataclass
class LandingReport:
    """The verdict of one poke over the whole set of files."""

    files: list[str]
    #: Sizes of the files that exist (the "previous sizes" of the next poke).
    sizes: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    #: path → reasons it is present but not complete.
    incomplete: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.incomplete

    @property
    def not_ready(self) -> list[str]:
        """Files that are missing or incomplete, in the order they were given."""
        return [p for p in self.files if p in self.incomplete or p in self.missing]

    def message(self) -> str:
        """One clause per file that is not ready: ``"<path>: missing; <path>: size 0 < min 1"``."""
        missing = set(self.missing)
        parts = []
        for path in self.files:
            if path in missing:
                parts.append(f"{path}: missing")
            elif path in self.incomplete:
                parts.append(f"{path}: {', '.join(self.incomplete[path])}")
        return "; ".join(parts)

    def summary(self) -> str:
        """``"2 of 3 files not ready (1 missing, 1 incomplete): <message>"`` or ``"all 3 files ready"``."""
        if self.complete:
            return f"all {len(self.files)} files ready"
        return (
            f"{len(self.not_ready)} of {len(self.files)} files not ready "
            f"({len(self.missing)} missing, {len(self.incomplete)} incomplete): {self.message()}"
        )

    def ready_files(self) -> list[dict[str, Any]]:
        """``[{"path": ..., "size": ...}]`` for every file, the value a successful sensor returns."""
        return [{"path": p, "size": self.sizes.get(p)} for p in self.files]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "sizes": dict(self.sizes),
            "missing": list(self.missing),
            "incomplete": {k: list(v) for k, v in self.incomplete.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LandingReport:
        return cls(
            files=list(data.get("files", [])),
            sizes={k: int(v) for k, v in (data.get("sizes") or {}).items()},
            missing=list(data.get("missing", [])),
            incomplete={k: list(v) for k, v in (data.get("incomplete") or {}).items()},
        )


def evaluate(
    files: Sequence[str],
    rules: Sequence[CompletenessRule],
    stats: Mapping[str, FileStat],
    previous_sizes: Mapping[str, int] | None = None,
) -> LandingReport:
    """Judge every file: missing, incomplete (with every failing rule's reason) or ready."""
    previous_sizes = previous_sizes or {}
    report = LandingReport(files=list(files))
    for path in report.files:
        stat = stats.get(path) or FileStat(path, exists=False)
        if not stat.exists:
            report.missing.append(path)
            continue
        size = int(stat.size or 0)
        report.sizes[path] = size
        seen = FileStat(path, exists=True, size=size)
        reasons = [
            reason
            for rule in rules
            if (reason := rule.check(seen, previous_size=previous_sizes.get(path), stats=stats)) is not None
        ]
        if reasons:
            report.incomplete[path] = reasons
    return report


def needs_history(rules: Iterable[CompletenessRule]) -> bool:
    """True when some rule compares with the previous poke (the sizes must then be kept)."""
    return any(rule.needs_history for rule in rules)
