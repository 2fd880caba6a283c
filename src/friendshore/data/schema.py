"""Store table schemas, written as data (``schema/tables.csv``) in the PyPSA manner.

One row per column: table, column, DuckDB type, unit, nullability and a
description. The store creates its tables from this file and every reader's
output is checked against it before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir


@dataclass(frozen=True)
class Column:
    """One column of a store table."""

    name: str
    type: str
    unit: str
    nullable: bool
    description: str


@cache
def read_schema() -> pd.DataFrame:
    """Read ``schema/tables.csv`` (table, column, type, unit, nullable, description)."""
    path = package_data_dir() / "schema" / "tables.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def table_names() -> list[str]:
    """Return the store tables in schema order."""
    return list(dict.fromkeys(read_schema()["table"]))


def columns(table: str) -> list[Column]:
    """Return the columns of ``table`` in order."""
    schema = read_schema()
    rows = schema[schema["table"] == table]
    if rows.empty:
        raise KeyError(f"no table {table!r} in the store schema")
    return [
        Column(
            str(r["column"]),
            str(r["type"]),
            str(r["unit"]),
            r["nullable"] == "yes",
            str(r["description"]),
        )
        for r in rows.to_dict("records")
    ]


def create_table_sql(table: str) -> str:
    """Return the ``CREATE TABLE`` statement for ``table``."""
    cols = ", ".join(
        f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in columns(table)
    )
    return f'CREATE TABLE "{table}" ({cols})'


def conform(table: str, frame: pd.DataFrame, *, source: str = "") -> pd.DataFrame:
    """Return ``frame`` with exactly the columns of ``table``, in order.

    Raises
    ------
    DataError
        If a column is missing or extra, or a non-nullable column holds nulls.
    """
    cols = columns(table)
    names = [c.name for c in cols]
    missing = [n for n in names if n not in frame.columns]
    extra = [n for n in frame.columns if n not in names]
    if missing or extra:
        raise DataError(
            f"frame for table {table!r} does not match the schema "
            f"(missing {missing}, unexpected {extra})",
            file=source or None,
        )
    for c in cols:
        if not c.nullable and frame[c.name].isna().any():
            raise DataError(f"null values in non-nullable column of {table!r}", field=c.name)
    return frame[names]


def markdown_reference() -> str:
    """Return the table reference of ``docs/data.md`` generated from the schema."""
    lines: list[str] = []
    for table in table_names():
        lines += [f"### `{table}`", "", "| column | type | unit | null | description |"]
        lines.append("|---|---|---|---|---|")
        for c in columns(table):
            null = "yes" if c.nullable else "no"
            lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {null} | {c.description} |")
        lines.append("")
    return "\n".join(lines)
