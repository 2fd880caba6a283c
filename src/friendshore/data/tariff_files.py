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
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import yaml

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir
from friendshore.data.scenario_files import _dotted, _index_lines, _key_near, _Loader
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

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ScheduleDocument:
    """A schedule file as read: its metadata, its rows and the line of every field.

    Attributes
    ----------
    path
        The file read (as given, for messages).
    meta
        Top-level fields other than ``rates`` (YAML only; empty for CSV).
    rows
        One mapping per rate row, values as written (CSV: text; YAML: parsed).
    lines
        1-based line of each field by location: ``("rates", 0, "hs6")`` is the
        line of row 0's ``hs6`` (for CSV every field of a row has the row's
        line); ``("name",)`` a metadata field; ``()`` the document.
    """

    path: Path
    meta: dict[str, Any]
    rows: list[dict[str, Any]]
    lines: dict[Loc, int] = field(default_factory=dict)
    tabular: bool = False

    def locate(self, loc: Loc) -> tuple[int | None, str]:
        """Return the line and dotted field name of a location in the document.

        A location that is not in the document (a missing key) takes the line of
        its nearest parent that is. In a CSV file the field is the column name.
        """
        line = None
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                break
        if self.tabular and len(loc) == 3 and loc[0] == "rates":
            return line, str(loc[2])
        return line, _dotted(list(loc))


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no such {what} file", file=path) from None
    except IsADirectoryError:
        raise DataError(f"is a directory, not a {what} file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc.reason}", file=path) from None


def _read_csv_rows(
    path: Path, text: str, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[dict[str, str]], list[int]]:
    """Rows of a CSV as text with their 1-based physical line; checks the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty file: expected a header row", file=path, line=1) from None
    header = [h.strip() for h in header]
    for name in required:
        if name not in header:
            raise DataError(
                f"missing column {name!r}; the header needs {', '.join(required)}",
                file=path,
                line=1,
                field=name,
            )
    allowed = set(required) | set(optional)
    for name in header:
        if name not in allowed:
            raise DataError(
                f"unknown column {name!r}; allowed: {', '.join((*required, *optional))}",
                file=path,
                line=1,
                field=name,
            )
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise DataError(f"duplicate column {dup!r}", file=path, line=1, field=dup)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not record or all(not c.strip() for c in record):
                continue
            if len(record) != len(header):
                raise DataError(
                    f"{len(record)} fields where the header has {len(header)}",
                    file=path,
                    line=line,
                )
            rows.append({h: c.strip() for h, c in zip(header, record, strict=True)})
            lines.append(line)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=path, line=reader.line_num) from None
    return rows, lines


def _read_schedule_csv(path: Path, text: str) -> ScheduleDocument:
    rows, row_lines = _read_csv_rows(
        path, text, required=SCHEDULE_COLUMNS, optional=SCHEDULE_OPTIONAL
    )
    lines: dict[Loc, int] = {(): 1, ("rates",): 1}
    clean: list[dict[str, Any]] = []
    for i, (row, line) in enumerate(zip(rows, row_lines, strict=True)):
        lines[("rates", i)] = line
        for key in row:
            lines[("rates", i, key)] = line
        # empty optional cells are absent, so that defaults apply
        clean.append({k: v for k, v in row.items() if v != "" or k in SCHEDULE_COLUMNS})
    return ScheduleDocument(path=path, meta={}, rows=clean, lines=lines, tabular=True)


def _read_schedule_yaml(path: Path, text: str) -> ScheduleDocument:
    loader = _Loader(text)
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError("empty schedule file", file=path, line=1)
        lines[()] = node.start_mark.line + 1
        _index_lines(node, (), lines, path)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataError(
            f"not valid YAML: {exc.problem or exc}",
            file=path,
            line=line,
            field=_key_near(text, line),
        ) from exc
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML: {exc}", file=path) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise DataError(
            "a YAML schedule is a mapping (id, name, source, rates…)", file=path, line=1
        )
    rates = data.pop("rates", None)
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
    return ScheduleDocument(path=path, meta=data, rows=list(rates), lines=lines)


def read_schedule_file(path: str | Path) -> ScheduleDocument:
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
    text = _read_text(path, "schedule")
    if suffix == ".csv":
        doc = _read_schedule_csv(path, text)
        if not doc.rows:
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
    text = _read_text(path, "elasticities")
    rows, lines = _read_csv_rows(path, text, required=ELASTICITY_COLUMNS, optional=())
    if not rows:
        raise DataError("no rows after the header", file=path, line=2)
    return rows, lines


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
