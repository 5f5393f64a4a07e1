"""Config files handed to steps: JSON, XML or YAML, parsed at parse time with the error's position."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".json", ".xml", ".yaml", ".yml")


class ConfigError(Exception):
    """A config file that cannot be used: message, 1-based position (0: unknown), hint."""

    def __init__(self, message: str, line: int = 0, column: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.hint = message, line, column, hint


def read_config(path: Path) -> Any:
    """The file's content: JSON and YAML as they are, XML as :func:`xml_to_data`."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"unsupported type `{suffix or path.name}`", hint="use .json, .xml, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot be read: {err}") from err
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"invalid JSON: {err.msg}", err.lineno, err.colno) from err
    if suffix == ".xml":
        try:
            return xml_to_data(ET.fromstring(text))
        except ET.ParseError as err:
            line, col = err.position
            message = str(err).split(":")[0]
            raise ConfigError(f"invalid XML: {message}", line, col + 1) from err
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise ConfigError(
            f"invalid YAML: {err.problem}", mark.line + 1 if mark else 0, mark.column + 1 if mark else 0
        ) from err
    # JSON-compatible like the other formats (dates as ISO text): it is serialized with the DAG's params
    return json.loads(
        json.dumps(data, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
    )


def xml_to_data(element: ET.Element) -> Any:
    """An element as plain data: its text when it has no attributes or children, else a dict of
    ``@attribute`` values, child tags (a list when repeated) and ``#text``."""
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    out: dict[str, Any] = {f"@{k}": v for k, v in element.attrib.items()}
    for child in children:
        value = xml_to_data(child)
        if child.tag in out:
            existing = out[child.tag]
            out[child.tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[child.tag] = value
    if text:
        out["#text"] = text
    return out
