"""Country labels in the store carry no USGS footnote markers (``Japane``, ``Belgium8``)."""

from __future__ import annotations

import duckdb

from friendshore.data.countries import read_countries


def test_labels_have_no_footnote_markers(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("production", "reserves", "capacity", "aggregates"):
        footnote = "'[^\\d\\s]\\d{1,2}$'"
        digits = con.execute(
            f"SELECT DISTINCT label FROM {table} WHERE regexp_matches(label, {footnote})"
        ).fetchall()
        assert digits == [], (table, digits)
    # a label that is a country's name plus a glued "e" is the estimate marker left in
    names = set(read_countries()["name"]) | {"Korea, Republic of", "Russia", "Iran", "Turkey"}
    glued = {f"{n}e" for n in names}
    labels = {
        str(row[0])
        for table in ("production", "reserves", "aggregates")
        for row in con.execute(f"SELECT DISTINCT label FROM {table}").fetchall()
    }
    assert labels & glued == set()
    assert "Other countriese" not in labels


def test_the_labels_the_review_found(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT DISTINCT country, label FROM production_latest "
        "WHERE country IN ('JPN', 'RUS', 'KOR')"
    ).fetchall()
    labels = {str(label) for _, label in rows}
    assert {"Japan", "Russia", "Korea, Republic of"} <= labels
    assert not labels & {"Japane", "Russiae", "Korea, Republic ofe"}
    # the estimate the "e" marked is kept as the status: Japan's gallium (MCS 2024, "Japane")
    status = con.execute(
        "SELECT DISTINCT status FROM production WHERE country = 'JPN' AND mineral_id = 'gallium' "
        "AND release = 'MCS2024'"
    ).fetchall()
    assert status == [("estimated",)]
