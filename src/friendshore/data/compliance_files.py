"""Compliance files: rule packs (YAML or TOML) and declarations (JSON), with field lines.

The compliance layer validates the content (:mod:`friendshore.compliance.rules`,
:mod:`friendshore.compliance.declaration`); this module only reads text and records
the 1-based line of every field, so that a validation error can name the file,
the line and the field. JSON and YAML lines come from the YAML node marks of the
composed document (JSON is read by :mod:`json`; its text is composed by the YAML
parser only to find lines). TOML lines are those of each ``key =`` and
``[table]`` header, found by a scan of the text.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ComplianceDocument:
    """A rule pack or declaration file as read: its content and the line of every field.

    Attributes
    ----------
    path
        The file read (as given, for messages).
    data
        The document as Python objects.
    lines
        Line of each node by its location: ``()`` is the document, ``("lots", 0,
        "value_usd")`` the line of that key.
    text
        The text of the file (UTF-8).
    """

    path: Path
    data: Any
    lines: dict[Loc, int]
    text: str

    def locate(self, loc: tuple[str | int, ...]) -> tuple[int | None, str]:
        """Return the line and the dotted field name of a validation error location.

        Components not in the document (tags added by pydantic for unions) are
        skipped; a missing key (the last component) takes the line of its parent.
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
        return line, dotted(found)


def dotted(loc: list[str | int] | tuple[str | int, ...]) -> str:
    """Return a location as a dotted field name: ``lots[0].value_usd``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


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


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no such {what} file", file=path) from None
    except IsADirectoryError:
        raise DataError(f"is a directory, not a {what} file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc}", file=path) from exc


def _yaml_lines(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    """Compose ``text`` with the safe YAML loader: the data and the line of each node."""
    loader = yaml.SafeLoader(text)
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError("empty file", file=path, line=1)
        lines[()] = node.start_mark.line + 1
        _index_lines(node, (), lines, path)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


def parse_json_document(text: str, *, path: Path) -> ComplianceDocument:
    """Parse JSON text (a declaration, an API body saved to a file) with field lines.

    Raises
    ------
    DataError
        If the text is not valid JSON (the message names the line and column),
        repeats a key, or is not an object.
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno
        ) from exc
    except _DuplicateKeyError as exc:
        _json_lines_or_empty(text, path)  # the YAML scan names the line of the duplicate
        raise DataError(f"duplicate key {exc.key!r}", file=path, field=exc.key) from None
    if not isinstance(data, dict):
        raise DataError("the file must hold a JSON object", file=path, line=1)
    lines = _json_lines_or_empty(text, path) or {(): 1}
    return ComplianceDocument(path=path, data=data, lines=lines, text=text)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _json_lines_or_empty(text: str, path: Path) -> dict[Loc, int] | None:
    """Field lines of valid JSON text; ``None`` if the YAML parser cannot compose it."""
    try:
        _, lines = _yaml_lines(text, path)
    except yaml.YAMLError:
        return None
    except DataError as exc:
        if exc.message.startswith("duplicate key"):
            raise
        return None
    return lines


def read_declaration_file(path: str | Path) -> ComplianceDocument:
    """Read a product declaration (JSON) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid JSON (naming the line), not an
        object or repeats a key.
    """
    path = Path(path)
    return parse_json_document(_read_text(path, "declaration"), path=path)


_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]+\")\s*=")
_TOML_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


def _toml_lines(text: str) -> dict[Loc, int]:
    """Line of each ``key =`` and ``[table]``/``[[array]]`` header in TOML text."""
    lines: dict[Loc, int] = {(): 1}
    prefix: Loc = ()
    counters: dict[Loc, int] = {}
    for number, row in enumerate(text.splitlines(), start=1):
        table = _TOML_TABLE.match(row)
        if table:
            parts: Loc = tuple(p.strip().strip('"') for p in table.group(2).split("."))
            if table.group(1) == "[[":
                index = counters.get(parts, -1) + 1
                counters[parts] = index
                lines.setdefault(parts, number)
                prefix = (*parts, index)
            else:
                prefix = parts
            lines.setdefault(prefix, number)
            continue
        key = _TOML_KEY.match(row)
        if key:
            lines.setdefault((*prefix, key.group(1).strip('"')), number)
    return lines


def read_rule_pack_file(path: str | Path) -> ComplianceDocument:
    """Read a rule pack (YAML ``.yaml``/``.yml`` or TOML ``.toml``) with field lines.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid YAML/TOML (naming the line),
        empty, not a mapping, or repeats a key.
    """
    path = Path(path)
    text = _read_text(path, "rule pack")
    if path.suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            raise DataError(f"not valid TOML: {exc}", file=path, line=line) from exc
        lines = _toml_lines(text)
    else:
        try:
            data, lines = _yaml_lines(text, path)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            raise DataError(f"not valid YAML: {exc.problem or exc}", file=path, line=line) from exc
        except yaml.YAMLError as exc:
            raise DataError(f"not valid YAML: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise DataError("a rule pack is a mapping of fields (id, version, rules…)", file=path)
    return ComplianceDocument(path=path, data=data, lines=lines, text=text)


def read_certificate_file(path: str | Path) -> str:
    """Read a certificate file (JSON text, UTF-8).

    Raises
    ------
    DataError
        If the file is missing or not UTF-8.
    """
    return _read_text(Path(path), "certificate")


def rule_packs_dir() -> Path:
    """Return the folder of the rule packs shipped with the package."""
    return package_data_dir() / "rulepacks"


def shipped_rule_pack_paths() -> dict[str, Path]:
    """Return the shipped rule pack files by id (the file name without suffix), sorted."""
    paths = [*rule_packs_dir().glob("*.yaml"), *rule_packs_dir().glob("*.toml")]
    return {p.stem: p for p in sorted(paths)}


def declarations_dir() -> Path:
    """Return the folder of the example declarations shipped with the package."""
    return package_data_dir() / "declarations"
