"""Scenario files: read YAML keeping each field's line, and find the shipped library.

The scenarios layer validates the content (:mod:`friendshore.scenarios.model`);
this module only reads text (with :mod:`friendshore.data.documents`), so that a
validation error can name the line of the field at fault.
"""

from __future__ import annotations

from pathlib import Path

from friendshore._core.errors import DataError
from friendshore.data.documents import Document, Loc, parse_yaml, read_text
from friendshore.data.resources import package_data_dir

__all__ = [
    "Loc",
    "ScenarioDocument",
    "read_scenario_file",
    "scenarios_dir",
    "shipped_scenario_paths",
]

#: A scenario file as read (see :class:`friendshore.data.documents.Document`).
ScenarioDocument = Document


def read_scenario_file(path: str | Path) -> Document:
    """Read a scenario file (YAML) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid YAML (the message names the
        line), empty, not a mapping, or repeats a key.
    """
    path = Path(path)
    doc = parse_yaml(read_text(path, what="scenario"), path, what="scenario")
    if not isinstance(doc.data, dict):
        raise DataError(
            "a scenario file is a mapping of fields (id, name, date, shocks…)", file=path, line=1
        )
    return doc


def scenarios_dir() -> Path:
    """Return the folder of the scenario library shipped with the package."""
    return package_data_dir() / "scenarios"


def shipped_scenario_paths() -> dict[str, Path]:
    """Return the shipped scenario files by id (the file name without ``.yaml``), sorted."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.yaml"))}
