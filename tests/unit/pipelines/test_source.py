"""Reading YAML with positions, and merging the folders' ``defaults.yaml``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dataplatform.pipelines.compiler import compile_spec
from dataplatform.pipelines.source import Position, defaults_files, merge_defaults, read_yaml

GOOD = Path(__file__).parents[2] / "fixtures" / "pipelines" / "good"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_and_value_keeps_its_position(tmp_path: Path) -> None:
    doc = read_yaml(
        write(tmp_path / "p.yaml", "id: p\nsteps:\n  a:\n    after: [x, y]\nwhen: 2026-01-02\n"), "p.yaml"
    )
    assert doc.errors == []
    assert doc.data == {"id": "p", "steps": {"a": {"after": ["x", "y"]}}, "when": dt.date(2026, 1, 2)}
    assert doc.located.key(("steps", "a", "after")) == Position("p.yaml", 4, 5)
    assert doc.located.value(("steps", "a", "after", 1)) == Position("p.yaml", 4, 16)
    assert doc.located.value(("steps", "a", "missing")) == Position("p.yaml", 4, 5)  # nearest parent


def test_keys_yaml_reads_as_booleans_are_errors(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path / "p.yaml", "on: 1\n"), "p.yaml")
    assert [str(e) for e in doc.errors] == ["p.yaml:1:1: key `on` is not a string (quote it, or use a name)"]


def test_defaults_merge_parent_then_folder_then_spec(tmp_path: Path) -> None:
    write(tmp_path / "defaults.yaml", "owner: team-a\nretries: 4\nparams: {a: 1, b: 2}\ntags: [x]\n")
    write(tmp_path / "p" / "defaults.yaml", "retries: 5\nparams: {b: 3}\n")
    spec = write(tmp_path / "p" / "p.yaml", "id: p\nparams: {c: 4}\ntags: [y]\n")
    assert defaults_files(spec) == [tmp_path / "defaults.yaml", tmp_path / "p" / "defaults.yaml"]
    doc = merge_defaults(read_yaml(spec), [read_yaml(p) for p in defaults_files(spec)])
    assert doc.data == {
        "id": "p",
        "owner": "team-a",
        "retries": 5,
        "params": {"a": 1, "b": 3, "c": 4},
        "tags": ["y"],
    }
    assert doc.located.value(("retries",)).file == str(
        tmp_path / "p" / "defaults.yaml"
    )  # errors name the file
    assert doc.located.value(("tags",)).file == str(spec)


def test_good_fixture_takes_its_defaults() -> None:
    compiled = compile_spec(GOOD / "every_kind" / "every_kind.yaml")
    assert compiled.errors == []
    pipeline = compiled.pipeline
    assert (pipeline.owner, pipeline.retries, pipeline.timeout_minutes) == ("clinical-data", 4, 45)
    assert (pipeline.retry_delay_seconds, pipeline.alert_route, pipeline.tags) == (
        30,
        "finance",
        ["fixtures"],
    )
