"""U.S. net import reliance computed by friendshore beside USGS's published figure.

One frame for every interface (``assess``, ``metrics dependence``, the report,
the dashboard's Member page and the API): per commodity series of the USGS
salient statistics, the net import reliance :func:`~friendshore.metrics.published.us_balance`
computes from USGS's own U.S. components, the figure USGS publishes (salient
statistics; MCS Fig. 2 where it lists the commodity), the difference and its
reason. The two are shown side by side and never blended: the computed value is
never replaced by the published one.

Columns of :func:`us_reliance_published` (:data:`US_PUBLISHED_COLUMNS`):

``mineral_id, usgs_key, series, commodity, year``
    the catalog mineral, the salient file and product, the commodity as USGS
    writes it, the year;
``net_import_reliance, net_import_reliance_min, net_import_reliance_max``
    computed (fraction; the point is NULL unless the interval is a point);
``published, published_text, published_bound``
    USGS's figure in the salient file (fraction; as written, e.g. ``>50`` or
    ``E`` for a net exporter; ``'>'``/``'<'``);
``fig2_text``
    the figure of MCS Fig. 2 for the year, as written, where Fig. 2 lists the
    commodity (NULL otherwise);
``difference_pp, agreement, reason``
    computed − published in percentage points (point against point only),
    agreement as in :func:`~friendshore.metrics.published.us_balance` and why
    they differ (NULL where they agree);
``source, release``
    ``'USGS MCS salient statistics'`` and the edition read (``MCS2025``).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import pandas as pd

from friendshore._core.records import frame_records
from friendshore.data.catalog import read_salient_stages
from friendshore.metrics.published import compare_published_nir, us_balance

if TYPE_CHECKING:
    from friendshore.model.supply import SupplyNetwork

__all__ = [
    "AGREEING",
    "DEPENDENCE_COLUMNS",
    "US_PUBLISHED_COLUMNS",
    "us_balance_of",
    "us_reliance_of",
    "us_reliance_published",
    "with_us_published",
    "with_us_records",
]

US_PUBLISHED_COLUMNS = (
    "mineral_id",
    "usgs_key",
    "series",
    "commodity",
    "year",
    "net_import_reliance",
    "net_import_reliance_min",
    "net_import_reliance_max",
    "published",
    "published_text",
    "published_bound",
    "fig2_text",
    "difference_pp",
    "agreement",
    "reason",
    "source",
    "release",
)

#: Agreement labels that count as agreeing with the published figure.
AGREEING = ("within 5 pp", "inside published bound")

SOURCE = "USGS MCS salient statistics"

_lock = threading.Lock()
_cache: dict[int, pd.DataFrame] = {}


def us_balance_of(salient: pd.DataFrame) -> pd.DataFrame:
    """:func:`~friendshore.metrics.published.us_balance` of ``salient``, computed once per content.

    The result is cached by a hash of the rows (one entry), so the interfaces
    that show the comparison in one process (the API's snapshot, a CLI run
    writing its report, the material balance of every member) compute the
    balance once. The balance itself takes about 0.06 s on the bundled salient
    table (``benchmarks/bench_assess.py``); hashing the rows about 5 ms. The
    caller must not modify the returned frame.
    """
    if salient.empty:
        return us_balance(salient)
    key = int(pd.util.hash_pandas_object(salient, index=False).sum())
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    out = us_balance(salient)
    with _lock:
        _cache.clear()
        _cache[key] = out
    return out


def _fig2_texts(balance: pd.DataFrame, fig2: pd.DataFrame) -> pd.DataFrame:
    """``usgs_key, series, year, fig2_text``: Fig. 2's figure matched to each salient series."""
    parts = []
    if not fig2.empty:
        for year in sorted(set(fig2["year"].astype(int))):
            table = compare_published_nir(balance, fig2, year)
            if table.empty:
                continue
            matched = table[table["usgs_key"].notna()]
            parts.append(
                matched[["usgs_key", "series", "year", "published_text"]].rename(
                    columns={"published_text": "fig2_text"}
                )
            )
    if not parts:
        return pd.DataFrame(columns=["usgs_key", "series", "year", "fig2_text"])
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    return out.drop_duplicates(["usgs_key", "series", "year"], keep="first")


def us_reliance_published(
    balance: pd.DataFrame,
    fig2: pd.DataFrame,
    *,
    minerals: Collection[str] | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Computed U.S. net import reliance (fraction) beside USGS's published figure.

    Parameters
    ----------
    balance
        The U.S. salient balance (:func:`us_balance_of` or
        :func:`~friendshore.metrics.published.us_balance`).
    fig2
        MCS Fig. 2 rows (:func:`friendshore.data.queries.read_published_nir`).
    minerals
        Keep only these catalog minerals (default: every series with a mineral).
    year
        Keep, per series, the latest year up to ``year`` that has a computed or
        a published figure; ``None`` keeps every year.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`US_PUBLISHED_COLUMNS` (see the module docstring), sorted
        by mineral, series and year.

    Notes
    -----
    Net import reliance = (imports − exports ± stock changes) / apparent
    consumption (USGS, MCS Appendix A), computed from the salient components;
    the published figure is USGS's own, beside it. ``difference_pp`` is given
    only where both are points; where the computed figure is an interval or
    the published one a bound (``>50``), ``agreement`` says whether the
    interval lies inside, overlaps or misses it.

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "usgs_key": "alumi", "mineral_id": "aluminum", "commodity": "Aluminum",
    ...     "year": 2023, "release": "MCS2025",
    ...     "field": ["USprod_Primary_kt", "USprod_Secondary-old_kt",
    ...               "USprod_Secondary-new_kt", "Consump_Apprnt_kt", "NIR_pct"],
    ...     "component": ["production_primary", "production_secondary",
    ...                   "production_secondary", "consumption_apparent",
    ...                   "net_import_reliance"],
    ...     "form": ["Primary", "Secondary-old", "Secondary-new", "Apprnt", None],
    ...     "unit": ["kt", "kt", "kt", "kt", "pct"],
    ...     "quantity": [750.0, 1560.0, 1870.0, 4150.0, 44.0],
    ...     "text": ["750", "1560", "1870", "4150", "44"],
    ...     "status": "reported", "bound": None})
    >>> fig2 = pd.DataFrame({"commodity": ["ALUMINUM"], "year": [2023], "share": [0.44],
    ...     "text": ["44"], "bound": [None], "status": ["estimated"]})
    >>> out = us_reliance_published(us_balance(rows), fig2, year=2024)
    >>> row = out.iloc[0]
    >>> row["mineral_id"], int(row["year"]), row["published_text"], row["fig2_text"]
    ('aluminum', 2023, '44', '44')
    >>> row["agreement"]
    'within 5 pp'
    >>> round(float(out["difference_pp"].iloc[0]), 1)
    0.3
    """
    if balance.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in US_PUBLISHED_COLUMNS})
    rows = balance[balance["mineral_id"].notna() & (balance["mineral_id"].astype(str) != "")]
    if minerals is not None:
        rows = rows[rows["mineral_id"].isin(list(minerals))]
    rows = rows.assign(year=rows["year"].astype("int64"))
    if year is not None:
        rows = rows[rows["year"] <= year]
        known = rows["nir_published_text"].notna() | rows["net_import_reliance_min"].notna()
        rows = rows[known]
        last = rows.groupby(["usgs_key", "series"])["year"].transform("max")
        rows = rows[rows["year"] == last]
    out = rows.rename(
        columns={
            "nir_published": "published",
            "nir_published_text": "published_text",
            "nir_published_bound": "published_bound",
        }
    ).merge(_fig2_texts(balance, fig2), on=["usgs_key", "series", "year"], how="left")
    agree = out["agreement"].isin(AGREEING)
    out["reason"] = out["reason"].where(~agree)
    out["source"] = SOURCE
    out = out.sort_values(["mineral_id", "series", "year"], ignore_index=True)
    return out[list(US_PUBLISHED_COLUMNS)]


def us_reliance_of(
    network: SupplyNetwork,
    *,
    minerals: Collection[str] | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Computed U.S. net import reliance (fraction) beside USGS's, from a supply network.

    The one entry point of the interfaces: the salient balance of
    ``network.salient`` (:func:`us_balance_of`, computed once) against
    ``network.published_nir`` (MCS Fig. 2); arguments and columns as
    :func:`us_reliance_published`.
    """
    return us_reliance_published(
        us_balance_of(network.salient), network.published_nir, minerals=minerals, year=year
    )


#: Columns :func:`with_us_published` adds to the ``USA`` rows of a dependence table.
DEPENDENCE_COLUMNS = (
    "usgs_series",
    "salient_import_reliance",
    "salient_import_reliance_min",
    "salient_import_reliance_max",
    "usgs_published_nir",
    "usgs_published_text",
    "usgs_difference_pp",
    "usgs_agreement",
    "usgs_reason",
    "usgs_release",
)


def with_us_published(table: pd.DataFrame, us: pd.DataFrame) -> pd.DataFrame:
    """A dependence table (``mineral_id, year, member``, …) with USGS's figures beside its USA rows.

    Parameters
    ----------
    table
        Rows of :func:`friendshore.metrics.assessment.dependence_table`.
    us
        :func:`us_reliance_published` for every year (``year=None``).

    Returns
    -------
    pandas.DataFrame
        ``table`` with :data:`DEPENDENCE_COLUMNS`: for a ``USA`` row, the net
        import reliance computed from USGS's salient components of the row's
        mineral and year (``salient_import_reliance``, ``_min``, ``_max``,
        fractions) and USGS's published figure (fraction and as written), the
        difference in pp, the agreement and why they differ; NULL for other
        members and where USGS has no salient balance. A balance sits beside
        the rows of the stage it measures (``concordances/salient_stages.csv``:
        aluminium → processing, titanium concentrates → mining, sponge →
        processing), or beside every stage of its mineral where it maps to
        none; several products of one stage give one row each (``usgs_series``).
    """
    extra = us.rename(
        columns={
            "series": "usgs_series",
            "net_import_reliance": "salient_import_reliance",
            "net_import_reliance_min": "salient_import_reliance_min",
            "net_import_reliance_max": "salient_import_reliance_max",
            "published": "usgs_published_nir",
            "published_text": "usgs_published_text",
            "difference_pp": "usgs_difference_pp",
            "agreement": "usgs_agreement",
            "reason": "usgs_reason",
            "release": "usgs_release",
        }
    )[["mineral_id", "year", *DEPENDENCE_COLUMNS]].assign(member="USA")
    extra = extra.assign(year=extra["year"].astype("int64"))
    # the stage each salient balance measures (concordances/salient_stages.csv); a balance
    # without one (refined tin, lead, zinc: the catalog has their mine stage only) sits
    # beside every stage of its mineral
    stages = read_salient_stages()
    stage_of = {
        (str(k), str(s)): str(st)
        for k, s, st in zip(stages["usgs_key"], stages["series"], stages["stage"], strict=True)
    }
    keys = zip(us["usgs_key"].astype(str), us["series"].fillna("").astype(str), strict=True)
    extra["_stage"] = [stage_of.get(k, "") for k in keys]
    base = table.assign(_year=table["year"].astype("int64"), _row=range(len(table)))
    joined = base.merge(
        extra.rename(columns={"year": "_year"}),
        on=["mineral_id", "_year", "member"],
        how="left",
    )
    stage = joined["_stage"].fillna("")
    fits = (stage == "") | (stage == joined["stage"])
    joined.loc[~fits, list(DEPENDENCE_COLUMNS)] = None
    # a row keeps one match per product; a row no product fits keeps one empty match
    joined = joined[fits | ~joined["_row"].isin(joined.loc[fits, "_row"])]
    joined = joined.drop_duplicates(subset=["_row", "usgs_series"], keep="first")
    out = joined.sort_values("_row", kind="stable").drop(columns=["_year", "_row", "_stage"])
    return out.reset_index(drop=True)


def with_us_records(records: list[dict[str, Any]], us: pd.DataFrame) -> list[dict[str, Any]]:
    """Add ``us_net_import_reliance`` to each ``assess`` JSON record: the rows of its mineral.

    Parameters
    ----------
    records
        :func:`friendshore.metrics.assessment.summary_records` (changed in place).
    us
        :func:`us_reliance_of` at the assessment year, or no rows where the zone
        does not count the USA as a member.

    Returns
    -------
    list of dict
        ``records``, each with ``us_net_import_reliance``: a list of records of
        :data:`US_PUBLISHED_COLUMNS` (computed and published fractions,
        difference in pp, agreement, reason, source, release) for the record's
        mineral, the same for each of its stages (USGS's figure is for the
        commodity); empty where USGS has no salient balance of the mineral.
    """
    by_mineral = {str(m): frame_records(g) for m, g in us.groupby("mineral_id", sort=False)}
    for record in records:
        record["us_net_import_reliance"] = by_mineral.get(str(record.get("mineral")), [])
    return records
