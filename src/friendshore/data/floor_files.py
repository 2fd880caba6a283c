"""Reference-price rule files and floor schedules: read YAML/TOML keeping each field's line.

The policy layer validates the content (:mod:`friendshore.policy.reference`);
this module only reads text, so that a validation error can name the file, the
line and the field at fault, as :mod:`friendshore.data.tariff_files` does for
tariff schedules. It also writes the tariff schedule a floor implies
(:func:`write_schedule_csv`), in the CSV format ``tariff smart`` reads.

Format (documented in ``floors/README.md``): a mapping with the file's
metadata (``id, name, version, date, illustrative, description, source,
cif_margin``, optional ``quota`` and ``min_offer_share``) and a non-empty list
``rules:`` of one rule per mineral × stage × product, each with its ``method``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.documents import Document, parse_toml, parse_yaml, read_text
from friendshore.data.resources import package_data_dir
from friendshore.data.tariff_files import SCHEDULE_COLUMNS, SCHEDULE_OPTIONAL

__all__ = [
    "FLOOR_SCHEDULE_COLUMNS",
    "ReferenceDocument",
    "floors_dir",
    "read_reference_file",
    "shipped_reference_paths",
    "write_schedule_csv",
]

#: Columns of the schedule CSV a floor writes (``start`` and ``end`` are not used).
FLOOR_SCHEDULE_COLUMNS: Final = (
    *SCHEDULE_COLUMNS,
    *(c for c in SCHEDULE_OPTIONAL if c in ("source", "note")),
)

#: A reference rule file as read: ``data`` holds the metadata and the ``rules``
#: list; ``lines`` the line of every field (``("rules", 2, "price")``).
ReferenceDocument = Document


def read_reference_file(path: str | Path) -> Document:
    """Read a reference-price rule file (``.yaml``, ``.yml`` or ``.toml``) with field lines.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, of another type, not valid YAML/TOML,
        repeats a key, is not a mapping or has no non-empty ``rules`` list of
        mappings; the message names the file, the line and the field.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".toml"}:
        raise DataError("a reference rule file ends in .yaml, .yml or .toml", file=path)
    text = read_text(path, what="reference rule")
    doc = parse_toml(text, path) if suffix == ".toml" else parse_yaml(text, path, what="reference")
    data, lines = doc.data, doc.lines
    if not isinstance(data, dict):
        raise DataError(
            "a reference rule file is a mapping (id, name, version, date, rules…)",
            file=path,
            line=1,
        )
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise DataError(
            "a reference rule file needs a non-empty list 'rules' (one per mineral × stage × "
            "product)",
            file=path,
            line=lines.get(("rules",), 1),
            field="rules",
        )
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise DataError(
                "each rule is a mapping (mineral, stage, product, method…)",
                file=path,
                line=lines.get(("rules", i), lines.get(("rules",))),
                field=f"rules[{i}]",
            )
    return doc


def floors_dir() -> Path:
    """Return the folder of the reference rule files shipped with the package."""
    return package_data_dir() / "floors"


def shipped_reference_paths() -> dict[str, Path]:
    """Return the shipped reference rule files by id (the file name without suffix), sorted."""
    folder = floors_dir()
    found = [*folder.glob("*.yaml"), *folder.glob("*.toml")]
    return {p.stem: p for p in sorted(found)}


def write_schedule_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a floor's tariff schedule as CSV, atomically (a temporary file, then a swap).

    Parameters
    ----------
    frame
        ``importer, exporter, hs6, rate_before, rate_after`` and optionally
        ``source, note`` (:func:`friendshore.policy.floors.floor_schedule`).
    path
        The CSV file to write; its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    DataError
        If a required column is missing, the frame has no rows or the folder
        does not exist.
    """
    path = Path(path)
    missing = [c for c in SCHEDULE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"a schedule needs the column {missing[0]!r}", field=missing[0])
    if frame.empty:
        raise DataError("a schedule needs at least one rate row", file=path)
    if not path.parent.is_dir():
        raise DataError("no such folder", file=path.parent)
    columns = [c for c in FLOOR_SCHEDULE_COLUMNS if c in frame.columns]
    out = frame[columns].copy()
    out["hs6"] = out["hs6"].astype(str).str.zfill(6)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            out.to_csv(handle, index=False, float_format="%.10g", lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
