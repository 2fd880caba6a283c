"""Tariff schedule and elasticity files: read CSV or YAML keeping each field's line.

The policy layer validates the content (:mod:`friendshore.policy.schedule`);
this module only reads text, so that a validation error can name the file, the
line and the field at fault, as :mod:`friendshore.data.scenario_files` does for
scenarios. It also reads the BACI flows of one year that the SMART model takes.

Formats (documented in ``tariffs/README.md``):

- a **schedule** is a CSV file with one rate change per row (columns
  ``importer, exporter, hs6, rate_before, rate_after`` and optionally
  ``start, end, source, note``), or a YAML file with metadata (``id, name,
  description, source, baseline_year``) and the same rows under ``rates:``;
- an **elasticities** file is a CSV of ``importer, hs6,
  import_demand_elasticity, export_supply_elasticity, substitution_elasticity,
  source``, ``*`` standing for any importer or any code.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Final

import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.documents import Document, Loc, parse_yaml, read_csv_rows, read_text
from friendshore.data.resources import package_data_dir
from friendshore.data.store import connect

__all__ = [
    "ELASTICITY_COLUMNS",
    "SCHEDULE_COLUMNS",
    "ScheduleDocument",
    "default_elasticities_path",
    "read_elasticities_file",
    "read_schedule_file",
    "read_trade_flows",
    "shipped_schedule_paths",
    "tariffs_dir",
    "trade_years",
]

#: Columns of a schedule CSV: required first, then optional.
SCHEDULE_COLUMNS: Final = ("importer", "exporter", "hs6", "rate_before", "rate_after")
SCHEDULE_OPTIONAL: Final = ("start", "end", "source", "note")
#: Columns of an elasticities CSV (``substitution_elasticity`` may be empty).
ELASTICITY_COLUMNS: Final = (
    "importer",
    "hs6",
    "import_demand_elasticity",
    "export_supply_elasticity",
    "substitution_elasticity",
    "source",
)

#: A schedule file as read: ``data`` holds the metadata (YAML only) and the
#: ``rates`` rows (CSV values as text); a CSV file is ``tabular``, every field of
#: a row on the row's line.
ScheduleDocument = Document


def _read_schedule_csv(path: Path, text: str) -> Document:
    table = read_csv_rows(
        path, text, required=SCHEDULE_COLUMNS, optional=SCHEDULE_OPTIONAL, what="schedule"
    )
    lines: dict[Loc, int] = {(): 1, ("rates",): 1}
    clean: list[dict[str, Any]] = []
    for i, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        lines[("rates", i)] = line
        for key in row:
            lines[("rates", i, key)] = line
        # empty optional cells are absent, so that defaults apply
        clean.append({k: v for k, v in row.items() if v != "" or k in SCHEDULE_COLUMNS})
    return Document(path=path, data={"rates": clean}, lines=lines, text=text, tabular=True)


def _read_schedule_yaml(path: Path, text: str) -> Document:
    doc = parse_yaml(text, path, what="schedule")
    data, lines = doc.data, doc.lines
    if not isinstance(data, dict):
        raise DataError(
            "a YAML schedule is a mapping (id, name, source, rates…)", file=path, line=1
        )
    rates = data.get("rates")
    if not isinstance(rates, list) or not rates:
        raise DataError(
            "a schedule needs a non-empty list 'rates' of rate rows",
            file=path,
            line=lines.get(("rates",), 1),
            field="rates",
        )
    for i, row in enumerate(rates):
        if not isinstance(row, dict):
            raise DataError(
                "each rate row is a mapping (importer, exporter, hs6, rate_before, rate_after)",
                file=path,
                line=lines.get(("rates", i)),
                field=f"rates[{i}]",
            )
    return doc


def read_schedule_file(path: str | Path) -> Document:
    """Read a tariff schedule (``.csv``, ``.yaml`` or ``.yml``) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, malformed (bad CSV or YAML, a missing
        or unknown column, a row of the wrong length) or has no rate rows; the
        message names the file, the line and the field.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".yaml", ".yml"}:
        raise DataError("a schedule file ends in .csv, .yaml or .yml", file=path)
    text = read_text(path, what="schedule")
    if suffix == ".csv":
        doc = _read_schedule_csv(path, text)
        if not doc.data["rates"]:
            raise DataError("no rate rows after the header", file=path, line=2)
        return doc
    return _read_schedule_yaml(path, text)


def read_elasticities_file(path: str | Path) -> tuple[list[dict[str, str]], list[int]]:
    """Read an elasticities CSV: its rows as text and the 1-based line of each.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, malformed, misses a column or has no rows.
    """
    path = Path(path)
    text = read_text(path, what="elasticities")
    table = read_csv_rows(path, text, required=ELASTICITY_COLUMNS, what="elasticities")
    if not table.rows:
        raise DataError("no rows after the header", file=path, line=2)
    return table.rows, table.lines


def tariffs_dir() -> Path:
    """Return the folder of the tariff schedules and elasticities shipped with the package."""
    return package_data_dir() / "tariffs"


def default_elasticities_path() -> Path:
    """Return the shipped default elasticities file (``tariffs/elasticities.csv``)."""
    return tariffs_dir() / "elasticities.csv"


def shipped_schedule_paths() -> dict[str, Path]:
    """Return the shipped schedules by id (the file name without suffix), sorted."""
    return {p.stem: p for p in sorted(tariffs_dir().glob("*.yaml"))}


def trade_years(store: Path) -> list[int]:
    """Return the years of BACI trade in the store (newest release), ascending."""
    with contextlib.closing(connect(store)) as con:
        rows = con.execute("SELECT DISTINCT year FROM trade_latest ORDER BY year").fetchall()
    return [int(r[0]) for r in rows]


def read_trade_flows(store: Path, year: int) -> pd.DataFrame:
    """Return the bilateral BACI flows of ``year`` (USD), newest release.

    Returns
    -------
    pandas.DataFrame
        ``importer, exporter, hs6, value_usd, source, release``: one row per
        importer × exporter × HS6 code with a positive value, every code of the
        store (mapped to a mineral or not). Rows with an unmapped country code
        (NULL ISO3) are left out: they cannot be matched to a tariff.
    """
    with contextlib.closing(connect(store)) as con:
        return con.execute(
            "SELECT importer, exporter, hs6, value_usd, source, release FROM trade_latest "
            "WHERE year = ? AND importer IS NOT NULL AND exporter IS NOT NULL "
            "AND value_usd > 0 ORDER BY importer, hs6, exporter",
            [year],
        ).df()
