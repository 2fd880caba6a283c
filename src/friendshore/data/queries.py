"""Read the store into the frames the model layer is built from.

Each function runs one SQL query on the ``*_latest`` views (the newest release
of each source wins for a year) and returns a long frame whose columns are
documented in ``docs/data.md``. Nothing here computes a metric.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.data import catalog
from friendshore.data.catalog import read_hs_bounds
from friendshore.data.store import connect


def _frame(store: Path, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    with contextlib.closing(connect(store)) as con:
        return con.execute(sql, params or []).df()


def read_production(store: Path) -> pd.DataFrame:
    """Production by country, every source, newest release per year (quantities in t).

    Columns: ``source, release, mineral_id, stage, product, country, year,
    quantity_t, status, bound, basis, file, line, quantity, unit``. ``product`` is
    ``''`` where a source gives a single series; ``quantity``/``unit`` are as
    published (helium: million cubic metres, ``quantity_t`` NULL).
    """
    return _frame(
        store,
        "SELECT source, release, mineral_id, stage, coalesce(product, '') AS product, country, "
        "year, quantity_t, status, bound, basis, file, line, quantity, unit "
        "FROM production_latest "
        "ORDER BY source, mineral_id, stage, product, year, country",
    )


def read_production_totals(store: Path) -> pd.DataFrame:
    """Published world totals and "other countries" rows of production (t).

    Columns: ``source, release, mineral_id, stage, product, kind ('world' |
    'other'), label, year, quantity_t, status, note`` (``note``: the source's
    qualifier, e.g. ``rounded; excludes U.S. production``), ``quantity, unit`` (as
    published). Several rows of one kind for a series and year are summed (USGS
    splits some "other countries" rows).
    """
    return _frame(
        store,
        "SELECT source, any_value(release) AS release, mineral_id, stage, "
        "coalesce(product, '') AS product, kind, string_agg(label, '; ') AS label, year, "
        "sum(quantity_t) AS quantity_t, "
        "CASE WHEN bool_or(status = 'withheld') THEN 'withheld' "
        "WHEN bool_or(quantity_t IS NULL) THEN 'missing' ELSE any_value(status) END AS status, "
        "string_agg(note, '; ') AS note, sum(quantity) AS quantity, "
        "CASE WHEN count(DISTINCT unit) = 1 THEN any_value(unit) END AS unit "
        "FROM aggregates_latest WHERE measure = 'production' "
        "GROUP BY source, mineral_id, stage, coalesce(product, ''), kind, year",
    )


def read_reserves(store: Path) -> pd.DataFrame:
    """Reserves by country (t), newest release; columns as :func:`read_production` less stage."""
    return _frame(
        store,
        "SELECT source, release, mineral_id, coalesce(product, '') AS product, country, year, "
        "quantity_t, status, bound, basis FROM reserves_latest",
    )


def read_reserves_totals(store: Path) -> pd.DataFrame:
    """Published world totals and "other countries" rows of reserves (t).

    ``bound`` is ``'>'`` where a row (or one of the rows summed) is published as a
    lower bound only (USGS nickel 2024: ">130,000,000" t), ``'<'`` for an upper
    bound, NULL for a value.
    """
    return _frame(
        store,
        "SELECT source, mineral_id, coalesce(product, '') AS product, kind, year, "
        "sum(quantity_t) AS quantity_t, "
        "CASE WHEN bool_or(bound = '>') THEN '>' WHEN bool_or(bound = '<') THEN '<' END "
        "AS bound FROM aggregates_latest WHERE measure = 'reserves' "
        "GROUP BY source, mineral_id, coalesce(product, ''), kind, year",
    )


def read_mineral_trade(store: Path, *, with_nomenclature: bool = False) -> pd.DataFrame:
    """Bilateral trade in the HS6 codes of each mineral and stage (newest BACI release).

    Trade of each HS nomenclature joins its own concordance rows (HS92 for the
    2015–2024 subset, HS17 for the codes of the 2024 supplement that the HS92
    subset lacks), so no flow is counted twice.

    Columns: ``year, exporter, importer, hs6, mineral_id, stage, value_usd,
    quantity_t`` (gross product weight) and ``content_t`` (tonnes of mineral on
    the catalog basis: ``quantity_t × content_factor``; NULL where the HS code has
    no documented factor); with ``with_nomenclature``, a last column
    ``nomenclature`` (``'HS92'`` | ``'HS17'``: the layer of each row, for
    analyses that must compare years on one nomenclature, such as the gravity
    panel). Rows whose exporter or importer is not a country (NULL ISO3) are kept.
    """
    layer = ", t.nomenclature " if with_nomenclature else " "
    return _frame(
        store,
        "SELECT t.year, t.exporter, t.importer, t.hs6, h.mineral_id, h.stage, t.value_usd, "
        f"t.quantity_t, t.quantity_t * h.content_factor AS content_t{layer}"
        "FROM trade_latest t JOIN hs_concordance h USING (hs6, nomenclature) "
        "WHERE h.mineral_id IS NOT NULL "
        # a fixed order: sums over the frame are then the same on every read
        "ORDER BY t.year, t.exporter, t.importer, t.hs6, h.mineral_id, h.stage",
    )


def read_bound_trade(store: Path) -> pd.DataFrame:
    """Bilateral trade in the HS codes that bound a mineral without measuring it (gross t).

    The codes of ``concordances/hs_bounds.csv`` (:func:`friendshore.data.catalog.read_hs_bounds`),
    each flow repeated for every mineral and stage its code may carry. Columns as
    :func:`read_mineral_trade` (``content_t`` NULL: the contained quantity lies
    between 0 and ``quantity_t``), plus ``bound_reason``.
    """
    bounds = read_hs_bounds()
    codes = sorted(set(bounds["hs6"]))
    trade = _frame(
        store,
        "SELECT year, exporter, importer, hs6, nomenclature, value_usd, quantity_t "
        "FROM trade_latest WHERE list_contains(?::VARCHAR[], hs6) "
        "ORDER BY year, exporter, importer, hs6",
        [codes],
    )
    out = trade.merge(bounds.rename(columns={"reason": "bound_reason"}), on=["hs6", "nomenclature"])
    out["content_t"] = float("nan")
    cols = [
        "year",
        "exporter",
        "importer",
        "hs6",
        "mineral_id",
        "stage",
        "value_usd",
        "quantity_t",
        "content_t",
        "bound_reason",
    ]
    return out[cols].sort_values(cols[:6], ignore_index=True)


def read_governance(store: Path) -> pd.DataFrame:
    """WGI estimates in wide form: one row per country and year, one column per indicator.

    Columns: ``country, year, va, pv, ge, rq, rl, cc`` (standard normal units,
    NULL where the World Bank has no estimate).
    """
    return _frame(
        store,
        "PIVOT (SELECT country, year, indicator, estimate FROM governance_latest) "
        "ON indicator IN ('va', 'pv', 'ge', 'rq', 'rl', 'cc') USING first(estimate) "
        "ORDER BY country, year",
    )


def read_recycling(store: Path) -> pd.DataFrame:
    """End-of-life recycling input rates: ``mineral_id, eol_rir`` (0–1), with source."""
    return _frame(store, "SELECT mineral_id, eol_rir, year, source, reference FROM recycling")


def read_minerals(store: Path) -> pd.DataFrame:
    """The mineral catalog as stored."""
    return _frame(store, "SELECT * FROM minerals ORDER BY mineral_id")


#: ``kind`` values of the ``projections`` table.
PROJECTION_KINDS = ("demand", "cleantech_demand", "technology_demand", "supply")


def read_projections(
    store: Path | duckdb.DuckDBPyConnection,
    *,
    kind: str | Sequence[str] | None = None,
    mineral: str | Sequence[str] | None = None,
    scenario: str | Sequence[str] | None = None,
    edition: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """IEA projections (kt as published, ``value_t`` in t), one row per published cell.

    Parameters
    ----------
    store
        The store (path or open connection).
    kind
        ``demand`` (total demand by sector, six minerals), ``cleantech_demand``
        (clean technologies, 37 minerals), ``technology_demand`` (technology
        sheets with alternative cases) or ``supply`` (by country); default all.
    mineral
        Catalog mineral id(s) (``mineral_id``); rows whose IEA label the catalog
        lacks have ``mineral_id`` NULL and only come without this filter.
    scenario
        ``STEPS``, ``APS``, ``NZE`` (demand) or ``base case`` (supply).
    edition
        ``IEA CMDE May 2024`` or ``IEA CMDE 2025 (iea.json)``.

    Returns
    -------
    DataFrame
        The columns of the ``projections`` table (``docs/data.md``): ``edition,
        source, release, kind, iea_mineral, mineral_id, element, stage, sector,
        technology, case, scenario, country, row_type, year, value, unit,
        value_t, basis, status, source_file, source_sheet, source_cell, line,
        note``, ordered by edition, kind, mineral, sheet, line, scenario, year.

    Raises
    ------
    ValidationError
        If ``kind`` is not one of :data:`PROJECTION_KINDS`.

    Notes
    -----
    The base year is one printed cell stored once per scenario (``status``
    ``observed``). ``element`` is set on single rare-earth elements (Nd, Pr, Dy,
    Tb, La, Y): never add those to a ``rare_earths`` group total. The IEA's sums
    that disagree are in the ``checks`` table (``check_name LIKE 'iea_%'``).
    """
    where: list[str] = []
    params: list[object] = []
    for column, value in (
        ("kind", kind),
        ("mineral_id", mineral),
        ("scenario", scenario),
        ("edition", edition),
    ):
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        if column == "kind":
            unknown = [v for v in values if v not in PROJECTION_KINDS]
            if unknown:
                raise ValidationError(
                    f"unknown projection kind(s) {unknown}; known: {', '.join(PROJECTION_KINDS)}"
                )
        where.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    sql = "SELECT * FROM projections"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY edition, kind, iea_mineral, source_sheet, line, source_cell, scenario, year"
    if isinstance(store, duckdb.DuckDBPyConnection):
        return store.execute(sql, params).df()
    return _frame(store, sql, params)


def read_salient(
    store: Path | duckdb.DuckDBPyConnection, *, release: str | None = None
) -> pd.DataFrame:
    """USGS MCS salient statistics, one row per commodity × year × published column.

    The newest edition wins per commodity and year (``salient_latest``) unless
    ``release`` (``"MCS2024"``) asks for one edition. Columns as the ``salient``
    table of ``docs/data.md``: ``usgs_key, mineral_id, commodity, year, field,
    component, form, unit, quantity, quantity_t, text, status, bound, note,
    source, release, file, line, column``.
    """
    sql = "SELECT * FROM salient_latest" if release is None else "SELECT * FROM salient"
    params: list[object] = []
    if release is not None:
        sql += " WHERE release = ?"
        params.append(release)
    sql += ' ORDER BY usgs_key, year, "column"'
    if isinstance(store, duckdb.DuckDBPyConnection):
        return store.execute(sql, params).df()
    return _frame(store, sql, params)


def read_usgs_production_tables(store: Path | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """USGS MCS world production tables, country rows and their published totals (t).

    The newest edition per year (``production_latest``, ``aggregates_latest``).
    Columns: ``release, mineral_id, stage, product, year, kind ('country' |
    'world' | 'other'), country (ISO3, NULL for totals), label, quantity_t,
    status, note``; ``note`` keeps the source's qualifier (e.g. ``Excludes U.S.
    production``).
    """
    sql = (
        "SELECT release, mineral_id, stage, coalesce(product, '') AS product, year, "
        "'country' AS kind, country, label, quantity_t, status, note FROM production_latest "
        "WHERE source = 'USGS MCS' UNION ALL "
        "SELECT release, mineral_id, stage, coalesce(product, '') AS product, year, kind, "
        "NULL AS country, label, quantity_t, status, note FROM aggregates_latest "
        "WHERE source = 'USGS MCS' AND measure = 'production' "
        "ORDER BY mineral_id, stage, product, year, kind, country"
    )
    if isinstance(store, duckdb.DuckDBPyConnection):
        return store.execute(sql).df()
    return _frame(store, sql)


def read_critical_salient(store: Path | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """USGS MCS Table 5 (critical minerals, U.S. salient statistics of the edition's year).

    Columns: ``name, mineral_id, field, value, text, status, bound, source,
    release`` (one row per mineral × published column; MCS2024 gives 2023).
    """
    sql = "SELECT * FROM critical_salient ORDER BY release, name, field"
    if isinstance(store, duckdb.DuckDBPyConnection):
        return store.execute(sql).df()
    return _frame(store, sql)


def read_published_nir(store: Path | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """USGS's published U.S. net import reliance (MCS Fig. 2), the newest edition per year.

    Columns of the ``net_import_reliance`` table: ``commodity, mineral_id, year,
    share`` (fraction), ``text`` (as written: ``44``, ``>50``, ``E``), ``status,
    bound, major_import_sources, source, release``; one row per commodity and
    year (MCS2024 gives 2023, MCS2025 gives 2024).
    """
    sql = (
        "SELECT * FROM net_import_reliance QUALIFY row_number() OVER "
        "(PARTITION BY commodity, year ORDER BY release DESC) = 1 ORDER BY year, commodity"
    )
    if isinstance(store, duckdb.DuckDBPyConnection):
        return store.execute(sql).df()
    return _frame(store, sql)


# --------------------------------------------------------------------------- prices

#: Short names a caller may give for a price source (``--source usgs``).
PRICE_SOURCES: dict[str, str] = {
    "usgs": "USGS MCS",
    "usgs mcs": "USGS MCS",
    "wb": "World Bank Pink Sheet",
    "worldbank": "World Bank Pink Sheet",
    "pinksheet": "World Bank Pink Sheet",
    "world bank pink sheet": "World Bank Pink Sheet",
}
PRICE_STAGES: tuple[str, ...] = ("mining", "processing", "components")
#: Columns of :func:`read_prices`, in order.
PRICE_COLUMNS: tuple[str, ...] = (
    "series",
    "source",
    "release",
    "mineral_id",
    "stage",
    "product",
    "market",
    "frequency",
    "year",
    "month",
    "value",
    "unit",
    "usd_per_t",
    "basis",
    "status",
    "note",
    "file",
    "line",
    "column",
)


def _price_filters(
    *,
    mineral: str | None,
    stage: str | None,
    source: str | None,
    series: str | None,
    from_year: int | None,
) -> tuple[str, list[object]]:
    """Return the WHERE clause and parameters of the price filters (checked first)."""
    where: list[str] = []
    params: list[object] = []
    if mineral is not None:
        known = set(catalog.read_minerals()["mineral_id"])
        if mineral not in known:
            raise ValidationError(
                f"unknown mineral {mineral!r}; see `friendshore minerals` for the catalog ids"
            )
        where.append("mineral_id = ?")
        params.append(mineral)
    if stage is not None:
        if stage not in PRICE_STAGES:
            raise ValidationError(f"unknown stage {stage!r} (one of {', '.join(PRICE_STAGES)})")
        where.append("stage = ?")
        params.append(stage)
    if source is not None:
        name = PRICE_SOURCES.get(source.strip().lower())
        if name is None:
            raise ValidationError(
                f"unknown price source {source!r} (USGS MCS / usgs, World Bank Pink Sheet / wb)"
            )
        where.append("source = ?")
        params.append(name)
    if series is not None:
        where.append("series = ?")
        params.append(series)
    if from_year is not None:
        where.append("year >= ?")
        params.append(int(from_year))
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _latest_prices_sql(where: str) -> str:
    cols = ", ".join(f'"{c}"' for c in PRICE_COLUMNS)
    return (
        f"SELECT {cols} FROM prices{where} QUALIFY dense_rank() OVER "
        "(PARTITION BY source, series, year, month ORDER BY release DESC) = 1"
    )


def read_prices(
    store: Path,
    *,
    mineral: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    series: str | None = None,
    from_year: int | None = None,
) -> pd.DataFrame:
    """Price series of the store's ``prices`` table, newest release per series and period.

    USGS MCS salient prices (annual; every edition is stored, the newest edition
    wins per series × year, like ``salient_latest``) and the World Bank Pink
    Sheet (monthly; the newest imported release wins per series × month).

    Parameters
    ----------
    store
        The store file.
    mineral, stage
        Catalog mineral id and stage (``mining`` / ``processing`` /
        ``components``) to keep.
    source
        ``"USGS MCS"`` or ``"World Bank Pink Sheet"`` (also ``usgs``, ``wb``).
    series
        One series id (``usgs:tungs:WO3:dt``, ``wb:NICKEL``).
    from_year
        First year kept.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PRICE_COLUMNS`: ``series, source, release, mineral_id,
        stage, product, market, frequency, year, month, value, unit, usd_per_t,
        basis, status, note, file, line, column`` (``value``/``unit`` as
        published, ``usd_per_t`` in US dollars per metric tonne of ``basis``),
        ordered by series, year and month.

    Raises
    ------
    ValidationError
        For a mineral not in the catalog, an unknown stage or source.
    """
    where, params = _price_filters(
        mineral=mineral, stage=stage, source=source, series=series, from_year=from_year
    )
    return _frame(
        store,
        _latest_prices_sql(where) + " ORDER BY source, series, year, month NULLS FIRST",
        params,
    )


def annual_prices(
    store: Path,
    *,
    mineral: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    series: str | None = None,
    from_year: int | None = None,
) -> pd.DataFrame:
    """Annual prices: one row per series × year (filters as :func:`read_prices`).

    A monthly series is averaged over the months present (``months`` counts them;
    a year with fewer than 12 is partial); an annual series is passed through
    with ``months`` NULL. ``usd_per_t`` is the mean of the months' ``usd_per_t``
    (NULL if any month lacks it). ``line``/``column`` point at the year's first
    month in the file.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`read_prices` without ``month``, plus ``months``.
    """
    where, params = _price_filters(
        mineral=mineral, stage=stage, source=source, series=series, from_year=from_year
    )
    keep = [c for c in PRICE_COLUMNS if c != "month"]
    sums = {
        "release": "max(release)",
        "value": "avg(value)",
        "usd_per_t": "CASE WHEN count(usd_per_t) = count(*) THEN avg(usd_per_t) END",
        "status": "CASE WHEN bool_or(status = 'estimated') THEN 'estimated' "
        "ELSE any_value(status) END",
        "line": "min(line)",
        "column": 'min("column")',
    }
    groups = ["series", "source", "year"]
    select = []
    for c in keep:
        if c in groups:
            select.append(f'"{c}"')
        elif c in sums:
            select.append(f'{sums[c]} AS "{c}"')
        else:
            select.append(f'any_value("{c}") AS "{c}"')
    select.append("CASE WHEN any_value(frequency) = 'monthly' THEN count(*) END AS months")
    sql = (
        f"SELECT {', '.join(select)} FROM ({_latest_prices_sql(where)}) "
        "GROUP BY series, source, year ORDER BY source, series, year"
    )
    out = _frame(store, sql, params)
    out["months"] = out["months"].astype("Int64")
    return out


def read_unit_values(
    store: Path,
    *,
    hs6: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """BACI unit values per exporter × importer × HS6 × year (newest release).

    Columns: ``year, exporter, importer, hs6, nomenclature, value_usd,
    quantity_t, unit_value_usd_per_t, release``; the unit value is
    ``value_usd / quantity_t`` (US dollars per tonne of gross product weight,
    BACI's FOB-reconciled value), NULL where the quantity is NULL or 0. Rows
    whose exporter or importer is not a country (NULL ISO3) are dropped.
    """
    where, params = _trade_filters(hs6, years)
    return _frame(
        store,
        "SELECT year, exporter, importer, hs6, nomenclature, value_usd, quantity_t, "
        "CASE WHEN quantity_t > 0 THEN value_usd / quantity_t END AS unit_value_usd_per_t, "
        f"release FROM trade_latest{where} ORDER BY year, hs6, exporter, importer",
        params,
    )


def unit_value_coverage(
    store: Path,
    *,
    hs6: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """How many BACI flows lack a quantity (so have no unit value), per HS6 × year.

    The rows of :func:`read_unit_values`. Columns: ``hs6, year, rows,
    rows_without_quantity`` (quantity NULL or 0), ``share_without_quantity``
    (of rows), ``value_usd`` and ``value_without_quantity_usd``.
    """
    where, params = _trade_filters(hs6, years)
    return _frame(
        store,
        "SELECT hs6, year, count(*) AS rows, "
        "count(*) FILTER (WHERE coalesce(quantity_t, 0) <= 0) AS rows_without_quantity, "
        "rows_without_quantity / count(*) AS share_without_quantity, "
        "sum(value_usd) AS value_usd, "
        "coalesce(sum(value_usd) FILTER (WHERE coalesce(quantity_t, 0) <= 0), 0) "
        "AS value_without_quantity_usd "
        f"FROM trade_latest{where} GROUP BY hs6, year ORDER BY hs6, year",
        params,
    )


def _trade_filters(
    hs6: Sequence[str] | None, years: Sequence[int] | None
) -> tuple[str, list[object]]:
    where = ["exporter IS NOT NULL", "importer IS NOT NULL"]
    params: list[object] = []
    if hs6 is not None:
        where.append("list_contains(?::VARCHAR[], hs6)")
        params.append([str(h) for h in hs6])
    if years is not None:
        where.append("list_contains(?::INTEGER[], year)")
        params.append([int(y) for y in years])
    return " WHERE " + " AND ".join(where), params
