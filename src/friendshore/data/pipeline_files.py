"""Project pipeline files: read CSV or YAML keeping each field's line, find the shipped examples.

The invest layer validates the content (:mod:`friendshore.invest.pipeline`);
this module only reads text, so that a validation error can name the file, the
line and the field. A CSV file has one project per row (a header row first;
lines starting with ``#`` are comments); a YAML file is a mapping with a
``projects`` list (and optional ``name`` and ``note``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir

__all__ = [
    "PipelineDocument",
    "pipelines_dir",
    "read_pipeline_file",
    "shipped_pipeline_paths",
]


@dataclass(frozen=True)
class PipelineDocument:
    """A pipeline file as read: one mapping per project and the line of each field.

    Attributes
    ----------
    path
        The file read (as given, for messages).
    projects
        One mapping per project, field name → value (CSV values are text, with
        empty cells as ``None``; YAML values as YAML reads them).
    lines
        Per project, the 1-based line of each field (in a CSV file every field of
        a row is on the row's line; a field a project lacks takes the project's line).
    project_lines
        The 1-based line where each project starts.
    header
        Comment lines at the top of a CSV file, or the ``name`` and ``note`` of a
        YAML file (text, for display).
    """

    path: Path
    projects: list[dict[str, Any]]
    lines: list[dict[str, int]]
    project_lines: list[int]
    header: str = field(default="")

    def line_of(self, index: int, name: str | None = None) -> int:
        """Return the line of field ``name`` of project ``index`` (its first line if absent)."""
        if name is not None and name in self.lines[index]:
            return self.lines[index][name]
        return self.project_lines[index]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError("no such pipeline file", file=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a pipeline file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc}", file=path) from exc


def _read_csv(path: Path, text: str) -> PipelineDocument:
    header_lines: list[str] = []
    body: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            if not body:
                header_lines.append(stripped.lstrip("#").strip())
            continue
        if not stripped:
            continue
        body.append((number, raw))
    if not body:
        raise DataError("empty pipeline file: no header row", file=path, line=1)
    header_no, header_text = body[0]
    columns = [c.strip() for c in next(csv.reader(io.StringIO(header_text)))]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise DataError("empty column name in the header", file=path, line=header_no)
        if name in seen:
            raise DataError(f"duplicate column {name!r}", file=path, line=header_no, field=name)
        seen.add(name)
    projects: list[dict[str, Any]] = []
    lines: list[dict[str, int]] = []
    starts: list[int] = []
    for number, raw in body[1:]:
        try:
            cells = next(csv.reader(io.StringIO(raw), strict=True))
        except csv.Error as exc:
            raise DataError(f"malformed CSV row: {exc}", file=path, line=number) from exc
        if len(cells) != len(columns):
            raise DataError(
                f"{len(cells)} fields where the header has {len(columns)} "
                f"({', '.join(columns)}); a comma inside a value needs quotes",
                file=path,
                line=number,
                field=columns[min(len(cells), len(columns)) - 1] if cells else None,
            )
        values = [c.strip() for c in cells]
        projects.append({k: (v if v != "" else None) for k, v in zip(columns, values, strict=True)})
        lines.append(dict.fromkeys(columns, number))
        starts.append(number)
    return PipelineDocument(
        path=path,
        projects=projects,
        lines=lines,
        project_lines=starts,
        header="\n".join(header_lines),
    )


def _read_yaml(path: Path, text: str) -> PipelineDocument:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataError(f"not valid YAML: {exc.problem or exc}", file=path, line=line) from exc
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML: {exc}", file=path) from exc
    if node is None or not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise DataError(
            "a YAML pipeline is a mapping with a 'projects' list", file=path, line=1, field=None
        )
    items = {str(k.value): v for k, v in node.value}
    if "projects" not in items or not isinstance(items["projects"], yaml.SequenceNode):
        raise DataError(
            "'projects' must be a list of projects", file=path, line=1, field="projects"
        )
    unknown = sorted(set(items) - {"projects", "name", "note"})
    if unknown:
        key_line = next(k.start_mark.line + 1 for k, _ in node.value if str(k.value) == unknown[0])
        raise DataError(
            "unknown top-level field (use projects, name, note)",
            file=path,
            line=key_line,
            field=unknown[0],
        )
    projects: list[dict[str, Any]] = []
    lines: list[dict[str, int]] = []
    starts: list[int] = []
    for i, (item_node, item) in enumerate(
        zip(items["projects"].value, data["projects"], strict=True)
    ):
        start = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            raise DataError(
                "each project is a mapping of fields", file=path, line=start, field=f"projects[{i}]"
            )
        field_lines: dict[str, int] = {}
        for key_node, _ in item_node.value:
            key = str(key_node.value)
            if key in field_lines:
                raise DataError(
                    f"duplicate key {key!r}",
                    file=path,
                    line=key_node.start_mark.line + 1,
                    field=key,
                )
            field_lines[key] = key_node.start_mark.line + 1
        projects.append({str(k): v for k, v in item.items()})
        lines.append(field_lines)
        starts.append(start)
    header = " — ".join(str(data[k]) for k in ("name", "note") if data.get(k))
    return PipelineDocument(
        path=path, projects=projects, lines=lines, project_lines=starts, header=header
    )


def read_pipeline_file(path: str | Path) -> PipelineDocument:
    """Read a project pipeline (``.csv``, or ``.yaml``/``.yml``) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, of another type, malformed (a CSV row
        with the wrong number of fields, invalid YAML) or repeats a column or key;
        the message names the file and line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise DataError("a pipeline file is .csv, .yaml or .yml", file=path)
    text = _read_text(path)
    if suffix == ".csv":
        return _read_csv(path, text)
    return _read_yaml(path, text)


def pipelines_dir() -> Path:
    """Return the folder of the example pipelines shipped with the package."""
    return package_data_dir() / "pipelines"


def shipped_pipeline_paths() -> dict[str, Path]:
    """Return the shipped pipeline files by id (the file name without suffix), sorted."""
    folder = pipelines_dir()
    found = [*folder.glob("*.csv"), *folder.glob("*.yaml")]
    return {p.stem: p for p in sorted(found)}
