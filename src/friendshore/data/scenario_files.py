"""Scenario files: read YAML keeping each field's line, and find the shipped library.

The scenarios layer validates the content (:mod:`friendshore.scenarios.model`);
this module only reads text, so that a validation error can name the line of the
field at fault. Lines come from the YAML node marks of the composed document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ScenarioDocument:
    """A scenario file as read: its content and the 1-based line of every field.

    Attributes
    ----------
    path
        The file read (as given, for messages).
    data
        The YAML document as Python objects (dates stay ``datetime.date``).
    lines
        Line of each node by its location: ``()`` is the document,
        ``("shocks", 0, "share")`` the line of that key.
    """

    path: Path
    data: Any
    lines: dict[Loc, int]

    def locate(self, loc: tuple[str | int, ...]) -> tuple[int | None, str]:
        """Return the line and the dotted field name of a validation error location.

        Components of ``loc`` that are not in the document (the tag pydantic adds
        for a discriminated union, e.g. ``"export_restriction"``) are skipped; a
        missing key (the last component) takes the line of its parent.
        """
        found: list[str | int] = []
        for i, part in enumerate(loc):
            candidate = (*found, part)
            if candidate in self.lines or i == len(loc) - 1:
                found.append(part)
        line = None
        for end in range(len(found), -1, -1):
            line = self.lines.get(tuple(found[:end]))
            if line is not None:
                break
        return line, _dotted(found)


def _dotted(loc: list[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Loader(yaml.SafeLoader):
    """The safe loader, with a bad date (``2023-13-01``) reported at its line."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date: {exc}", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:")


def _key_near(text: str, line: int | None) -> str | None:
    """The key written on ``line`` or the nearest line above (for YAML syntax errors)."""
    if line is None:
        return None
    rows = text.splitlines()
    for row in reversed(rows[: min(line, len(rows))]):
        match = _KEY.match(row)
        if match:
            return match.group(1)
    return None


def _index_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DataError(f"duplicate key {key!r}", file=path, line=line, field=key)
            seen.add(key)
            lines[(*loc, key)] = line
            _index_lines(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _index_lines(item, (*loc, i), lines, path)


def read_scenario_file(path: str | Path) -> ScenarioDocument:
    """Read a scenario file (YAML) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid YAML (the message names the
        line), empty, not a mapping, or repeats a key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError("no such scenario file", file=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a scenario file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc}", file=path) from exc
    loader = _Loader(text)
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError("empty scenario file", file=path, line=1)
        lines[()] = node.start_mark.line + 1
        _index_lines(node, (), lines, path)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            problem = f"{problem} ({exc.context} that starts at line {exc.context_mark.line + 1})"
        at_line = [loc for loc, n in lines.items() if n == line and loc] if line else []
        # the deepest node on that line was indexed last
        field = _dotted(list(at_line[-1])) if at_line else _key_near(text, line)
        raise DataError(f"not valid YAML: {problem}", file=path, line=line, field=field) from exc
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML: {exc}", file=path) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise DataError(
            "a scenario file is a mapping of fields (id, name, date, shocks…)", file=path, line=1
        )
    return ScenarioDocument(path=path, data=data, lines=lines)


def scenarios_dir() -> Path:
    """Return the folder of the scenario library shipped with the package."""
    return package_data_dir() / "scenarios"


def shipped_scenario_paths() -> dict[str, Path]:
    """Return the shipped scenario files by id (the file name without ``.yaml``), sorted."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.yaml"))}
