"""Read the store into the frames the model layer is built from.

Each function runs one SQL query on the ``*_latest`` views (the newest release
of each source wins for a year) and returns a long frame whose columns are
documented in ``docs/data.md``. Nothing here computes a metric.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd

from friendshore.data.store import connect


def _frame(store: Path, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    with contextlib.closing(connect(store)) as con:
        return con.execute(sql, params or []).df()


def read_production(store: Path) -> pd.DataFrame:
    """Production by country, every source, newest release per year (quantities in t).

    Columns: ``source, release, mineral_id, stage, product, country, year,
    quantity_t, status, bound, basis, file, line``. ``product`` is ``''`` where a
    source gives a single series.
    """
    return _frame(
        store,
        "SELECT source, release, mineral_id, stage, coalesce(product, '') AS product, country, "
        "year, quantity_t, status, bound, basis, file, line FROM production_latest "
        "ORDER BY source, mineral_id, stage, product, year, country",
    )


def read_production_totals(store: Path) -> pd.DataFrame:
    """Published world totals and "other countries" rows of production (t).

    Columns: ``source, release, mineral_id, stage, product, kind ('world' |
    'other'), label, year, quantity_t, status``. Several rows of one kind for a
    series and year are summed (USGS splits some "other countries" rows).
    """
    return _frame(
        store,
        "SELECT source, any_value(release) AS release, mineral_id, stage, "
        "coalesce(product, '') AS product, kind, string_agg(label, '; ') AS label, year, "
        "sum(quantity_t) AS quantity_t, "
        "CASE WHEN bool_or(status = 'withheld') THEN 'withheld' "
        "WHEN bool_or(quantity_t IS NULL) THEN 'missing' ELSE any_value(status) END AS status "
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
    """Published world totals and "other countries" rows of reserves (t)."""
    return _frame(
        store,
        "SELECT source, mineral_id, coalesce(product, '') AS product, kind, year, "
        "sum(quantity_t) AS quantity_t FROM aggregates_latest WHERE measure = 'reserves' "
        "GROUP BY source, mineral_id, coalesce(product, ''), kind, year",
    )


def read_mineral_trade(store: Path) -> pd.DataFrame:
    """Bilateral trade in the HS6 codes of each mineral and stage (newest BACI release).

    Columns: ``year, exporter, importer, hs6, mineral_id, stage, value_usd,
    quantity_t`` (gross product weight) and ``content_t`` (tonnes of mineral on
    the catalog basis: ``quantity_t × content_factor``; NULL where the HS code has
    no documented factor). Rows whose exporter or importer is not a country
    (NULL ISO3) are kept.
    """
    return _frame(
        store,
        "SELECT t.year, t.exporter, t.importer, t.hs6, h.mineral_id, h.stage, t.value_usd, "
        "t.quantity_t, t.quantity_t * h.content_factor AS content_t "
        "FROM trade_latest t JOIN hs_concordance h USING (hs6) "
        "WHERE h.mineral_id IS NOT NULL "
        # a fixed order: sums over the frame are then the same on every read
        "ORDER BY t.year, t.exporter, t.importer, t.hs6, h.mineral_id, h.stage",
    )


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
