"""Config files handed to steps: JSON, XML and YAML as plain data, errors with their position."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataplatform.pipelines.configs import ConfigError, read_config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_xml_becomes_attributes_children_and_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules.xml",
        '<rules version="2"><rule name="age">65</rule><rule name="ward">ICU</rule><owner>clinical</owner>'
        '<note lang="en">check <b>twice</b></note></rules>',
    )
    assert read_config(path) == {
        "@version": "2",
        "rule": [{"@name": "age", "#text": "65"}, {"@name": "ward", "#text": "ICU"}],
        "owner": "clinical",
        "note": {"@lang": "en", "b": "twice", "#text": "check"},
    }


def test_yaml_dates_become_iso_text(tmp_path: Path) -> None:
    assert read_config(write(tmp_path, "c.yaml", "since: 2026-01-31\nn: [1, 2]\n")) == {
        "since": "2026-01-31",
        "n": [1, 2],
    }


@pytest.mark.parametrize(
    ("name", "text", "message", "line", "column"),
    [
        ("c.json", '{"a": 1,\n "b": }', "invalid JSON: Expecting value", 2, 7),
        ("c.xml", "<a>\n<b></a>", "invalid XML: mismatched tag", 2, 6),
        ("c.yaml", "a: [1, 2\nb: 3\n", "invalid YAML: did not find expected ',' or ']'", 2, 2),
        ("c.toml", "a = 1", "unsupported type `.toml`", 0, 0),
    ],
)
def test_errors_give_the_position_in_the_config_file(
    tmp_path: Path, name: str, text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(ConfigError) as raised:
        read_config(write(tmp_path, name, text))
    assert (raised.value.message, raised.value.line, raised.value.column) == (message, line, column)
