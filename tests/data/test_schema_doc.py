"""docs/data.md carries the table reference generated from schema/tables.csv."""

from __future__ import annotations

from pathlib import Path

from friendshore.data import schema

DOC = Path(__file__).parents[2] / "docs" / "data.md"


def test_data_doc_matches_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert schema.markdown_reference() in text, (
        "docs/data.md is stale: regenerate its reference with "
        "`python -c 'from friendshore.data.schema import markdown_reference as m; print(m())'`"
    )


def test_schema_types_are_known_duckdb_types() -> None:
    known = {"VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"}
    assert set(schema.read_schema()["type"]) <= known
