"""Input documents read with the 1-based line of every field (YAML, JSON, TOML, CSV).

Scenario, schedule, pipeline, rule pack and declaration files are read here and
validated in the analysis layers; this module keeps, for each field, the line it
is written on, so that a validation error can name the file, the line and the
field at fault. YAML and JSON lines come from the node marks of the document
composed by the YAML parser (JSON is read by :mod:`json`; its text is composed
only to find lines); TOML lines are those of each ``key =`` and ``[table]``
header, found by a scan of the text; a CSV row's fields all have the row's line.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from friendshore._core.errors import DataError, InputError

__all__ = [
    "CsvRows",
    "Document",
    "Loc",
    "YamlLoader",
    "dotted",
    "parse_json",
    "parse_toml",
    "parse_yaml",
    "read_csv_rows",
    "read_text",
    "shipped_or_file",
]

#: A location in a document: keys and list indices from the top, ``()`` the document.
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A file as read: its content and the 1-based line of every field.

    Attributes
    ----------
    path
        The file read (as given, for messages).
    data
        The content as Python objects (YAML dates stay ``datetime.date``; CSV
        values are text).
    lines
        Line of each node by its location: ``()`` is the document,
        ``("shocks", 0, "share")`` the line of that key.
    text
        The text of the file.
    header
        Text about the file for display (the comment lines at the top of a CSV
        file, a name and note), empty if none.
    tabular
        Whether the file is a table (CSV): the field of a location
        ``(list, row, column)`` is then the column name.
    """

    path: Path
    data: Any
    lines: dict[Loc, int]
    text: str = ""
    header: str = ""
    tabular: bool = False

    def locate(self, loc: Loc) -> tuple[int | None, str]:
        """Return the 1-based line and the dotted field name of a validation error location.

        Components of ``loc`` that are not in the document (the tag pydantic adds
        for a discriminated union, e.g. ``"export_restriction"``) are skipped; a
        missing key (the last component) takes the line of its nearest parent.
        In a table the field of ``(list, row, column)`` is the column name.
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
        if self.tabular and len(found) == 3 and isinstance(found[1], int):
            return line, str(found[2])
        return line, dotted(found)


def dotted(loc: Sequence[str | int]) -> str:
    """Return a location as a dotted field name: ``lots[0].value_usd``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_text(path: Path, *, what: str, encoding: str = "utf-8") -> str:
    """Return the text of a ``what`` file (``"scenario"``, ``"rule pack"``…).

    Raises
    ------
    DataError
        If the file is missing, a directory or not UTF-8 text.
    """
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise DataError(f"no such {what} file", file=path) from None
    except IsADirectoryError:
        raise DataError(f"is a directory, not a {what} file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc}", file=path) from exc


def shipped_or_file(
    name_or_path: str | Path,
    shipped: Mapping[str, Path],
    *,
    what: str,
    formats: str,
    suffixes: tuple[str, ...],
) -> Path:
    """Return the file of a shipped id, or ``name_or_path`` as a file path.

    A :class:`~pathlib.Path` is always a file; a text that is neither a shipped
    id nor an existing file, and does not look like a file (a ``suffixes``
    suffix or a folder part), is an unknown id.

    Raises
    ------
    InputError
        For an unknown id; the message lists the shipped ids.
    """
    text = str(name_or_path)
    if not isinstance(name_or_path, Path) and text in shipped:
        return shipped[text]
    path = Path(name_or_path)
    looks_like_file = path.suffix in suffixes or len(path.parts) > 1
    if not path.exists() and not looks_like_file:
        raise InputError(
            f"unknown {what} {text!r}: give a {formats} file or one of {', '.join(shipped)}"
        )
    return path


# --- YAML --------------------------------------------------------------------------------


class YamlLoader(yaml.SafeLoader):
    """The safe loader, with a bad date (``2023-13-01``) reported at its line."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """Return the date or datetime of ``node``; a ``ConstructorError`` at its line if bad."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date: {exc}", node.start_mark
            ) from exc


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", YamlLoader.construct_yaml_timestamp)


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


def _compose(text: str, path: Path, lines: dict[Loc, int], *, what: str) -> Any:
    """Compose and construct YAML ``text``, filling ``lines``; YAML errors propagate."""
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError(f"empty {what} file", file=path, line=1)
        lines[()] = node.start_mark.line + 1
        _index_lines(node, (), lines, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, path: Path, *, what: str = "YAML") -> Document:
    """Parse YAML text with the line of every field (``what`` names the file in messages).

    Raises
    ------
    DataError
        If the text is not valid YAML (the message names the line and the field
        near it), is empty or repeats a key.
    """
    lines: dict[Loc, int] = {}
    try:
        data = _compose(text, path, lines, what=what)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            problem = f"{problem} ({exc.context} that starts at line {exc.context_mark.line + 1})"
        at_line = [loc for loc, n in lines.items() if n == line and loc] if line else []
        # the deepest node on that line was indexed last
        name = dotted(at_line[-1]) if at_line else _key_near(text, line)
        raise DataError(f"not valid YAML: {problem}", file=path, line=line, field=name) from exc
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML: {exc}", file=path) from exc
    return Document(path=path, data=data, lines=lines, text=text)


# --- JSON --------------------------------------------------------------------------------


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


def _json_lines_or_none(text: str, path: Path) -> dict[Loc, int] | None:
    """Field lines of valid JSON text; ``None`` if the YAML parser cannot compose it."""
    lines: dict[Loc, int] = {}
    try:
        _compose(text, path, lines, what="JSON")
    except yaml.YAMLError:
        return None
    except DataError as exc:
        if exc.message.startswith("duplicate key"):
            raise
        return None
    return lines


def parse_json(text: str, path: Path) -> Document:
    """Parse JSON text with the line of every field.

    Raises
    ------
    DataError
        If the text is not valid JSON (the message names the line and column) or
        repeats a key.
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno
        ) from exc
    except _DuplicateKeyError as exc:
        _json_lines_or_none(text, path)  # the YAML scan names the line of the duplicate
        raise DataError(f"duplicate key {exc.key!r}", file=path, field=exc.key) from None
    lines = _json_lines_or_none(text, path) or {(): 1}
    return Document(path=path, data=data, lines=lines, text=text)


# --- TOML --------------------------------------------------------------------------------


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


def parse_toml(text: str, path: Path) -> Document:
    """Parse TOML text with the line of every key and table header.

    Raises
    ------
    DataError
        If the text is not valid TOML (the message names the line).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(f"not valid TOML: {exc}", file=path, line=line) from exc
    return Document(path=path, data=data, lines=_toml_lines(text), text=text)


# --- CSV ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRows:
    """The rows of a CSV file as text, with the 1-based line each starts on.

    Attributes
    ----------
    columns
        The header, stripped.
    rows
        One mapping per row, column → stripped cell text.
    lines
        The line of each row.
    comments
        The ``#`` comment lines above the header (without ``#``), if comments are allowed.
    """

    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    comments: list[str] = field(default_factory=list)


def read_csv_rows(
    path: Path,
    text: str,
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] | None = (),
    comments: bool = False,
    what: str = "CSV",
) -> CsvRows:
    """Return the rows of CSV text with their lines; checks the header.

    Blank rows are skipped; with ``comments``, so are lines starting with ``#``
    (those above the header are kept in :attr:`CsvRows.comments`). The header
    holds every ``required`` column and, unless ``optional`` is ``None`` (any
    column), no other than ``required`` and ``optional``.

    Raises
    ------
    DataError
        If the file has no header, misses a required column, has an unknown,
        empty or repeated column, or a row of another length than the header
        (the message names the line and, where it can, the field).
    """
    numbers: list[int] = []
    top: list[str] = []

    def physical() -> Iterator[str]:
        for number, raw in enumerate(text.splitlines(keepends=True), start=1):
            stripped = raw.strip()
            if comments and stripped.startswith("#"):
                if not numbers:
                    top.append(stripped.lstrip("#").strip())
                continue
            if not numbers and not stripped:
                continue  # blank lines above the header
            numbers.append(number)
            yield raw

    reader = csv.reader(physical(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"empty {what} file: no header row", file=path, line=1) from None
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=path, line=1) from None
    header_line = numbers[0]
    columns = [h.strip() for h in header]
    allowed = None if optional is None else (*required, *optional)
    missing = [name for name in required if name not in columns]
    unknown = [name for name in columns if allowed is not None and name not in allowed]
    if missing:
        message = f"missing column {missing[0]!r}; the header needs {', '.join(required)}"
        raise DataError(message, file=path, line=header_line, field=missing[0])
    if unknown:
        message = f"unknown column {unknown[0]!r}; allowed: {', '.join(allowed or ())}"
        raise DataError(message, file=path, line=header_line, field=unknown[0])
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise DataError("empty column name in the header", file=path, line=header_line)
        if name in seen:
            raise DataError(f"duplicate column {name!r}", file=path, line=header_line, field=name)
        seen.add(name)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    consumed = reader.line_num
    try:
        for record in reader:
            line = numbers[consumed]
            consumed = reader.line_num
            if not record or all(not c.strip() for c in record):
                continue
            if len(record) != len(columns):
                raise DataError(
                    f"{len(record)} fields where the header has {len(columns)} "
                    f"({', '.join(columns)}); a comma inside a value needs quotes",
                    file=path,
                    line=line,
                    field=columns[min(len(record), len(columns)) - 1],
                )
            rows.append({h: c.strip() for h, c in zip(columns, record, strict=True)})
            lines.append(line)
    except csv.Error as exc:
        line = numbers[min(consumed, len(numbers) - 1)]
        raise DataError(f"malformed CSV: {exc}", file=path, line=line) from None
    return CsvRows(columns=columns, rows=rows, lines=lines, comments=top)
