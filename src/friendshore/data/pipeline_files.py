"""Project pipeline files: read CSV or YAML keeping each field's line, find the shipped examples.

The invest layer validates the content (:mod:`friendshore.invest.pipeline`);
this module only reads text, so that a validation error can name the file, the
line and the field. A CSV file has one project per row (a header row first;
lines starting with ``#`` are comments); a YAML file is a mapping with a
``projects`` list (and optional ``name`` and ``note``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from friendshore._core.errors import DataError
from friendshore.data.documents import Document, Loc, parse_yaml, read_csv_rows, read_text
from friendshore.data.resources import package_data_dir

__all__ = [
    "PipelineDocument",
    "pipelines_dir",
    "read_pipeline_file",
    "shipped_pipeline_paths",
]

#: A pipeline file as read: ``data["projects"]`` holds one mapping per project
#: (CSV values are text, with empty cells as ``None``); ``lines`` the line of
#: each project ``("projects", i)`` and of each of its fields; ``header`` the
#: comment lines at the top of a CSV file, or the ``name`` and ``note`` of a YAML file.
PipelineDocument = Document


def _read_csv(path: Path, text: str) -> Document:
    table = read_csv_rows(path, text, optional=None, comments=True, what="pipeline")
    projects: list[dict[str, Any]] = []
    lines: dict[Loc, int] = {(): 1, ("projects",): 1}
    for i, (row, number) in enumerate(zip(table.rows, table.lines, strict=True)):
        projects.append({k: (v if v != "" else None) for k, v in row.items()})
        lines[("projects", i)] = number
        for key in row:
            lines[("projects", i, key)] = number
    return Document(
        path=path,
        data={"projects": projects},
        lines=lines,
        text=text,
        header="\n".join(table.comments),
        tabular=True,
    )


def _read_yaml(path: Path, text: str) -> Document:
    doc = parse_yaml(text, path, what="pipeline")
    data = doc.data
    if not isinstance(data, dict):
        raise DataError(
            "a YAML pipeline is a mapping with a 'projects' list", file=path, line=1, field=None
        )
    if not isinstance(data.get("projects"), list):
        raise DataError(
            "'projects' must be a list of projects", file=path, line=1, field="projects"
        )
    unknown = sorted(set(data) - {"projects", "name", "note"})
    if unknown:
        raise DataError(
            "unknown top-level field (use projects, name, note)",
            file=path,
            line=doc.lines[(unknown[0],)],
            field=unknown[0],
        )
    for i, item in enumerate(data["projects"]):
        if not isinstance(item, dict):
            raise DataError(
                "each project is a mapping of fields",
                file=path,
                line=doc.lines[("projects", i)],
                field=f"projects[{i}]",
            )
    projects = [{str(k): v for k, v in item.items()} for item in data["projects"]]
    header = " — ".join(str(data[k]) for k in ("name", "note") if data.get(k))
    return Document(
        path=path,
        data={**data, "projects": projects},
        lines=doc.lines,
        text=text,
        header=header,
    )


def read_pipeline_file(path: str | Path) -> Document:
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
    text = read_text(path, what="pipeline", encoding="utf-8-sig")
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
