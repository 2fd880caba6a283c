"""Price floors kept by adjustable tariffs: levies per member × origin × year, and their schedule.

A reference price per mineral × stage × product (:mod:`friendshore.policy.reference`)
operates for the zone's members as a floor kept by a levy on imports from
outside the zone. Members' imports from each other (intra-member flows such as
intra-EU trade, and flows between members) are **member origins and never pay**.

**Landed prices.** For each member (its countries together: EU27 is its 27
countries), origin country, rule and year, the landed unit value is the BACI
unit value of the rule's HS6 codes, tonne-weighted (Σ value / Σ tonnes, so that
an ad valorem rate on each code's value raises exactly levy × tonnes) and raised
to a CIF-like price::

    landed = Σ value_usd / Σ quantity_t × (1 + cif_margin)

BACI reconciles exporters' and importers' declarations to FOB values (Gaulier
& Zignago 2010), so the margin stands for freight and insurance to the member.
Flows without a quantity cannot give a unit value and are left out (their value
is reported in the assumptions).

**Three modes** (``reference`` = R, an origin's landed price = L_o):

- ``uniform``: one variable levy per member, rule and year, as the EEC's
  variable import levies: ``levy = max(R − min_o L_o, 0)`` over non-member
  origins that send at least ``min_offer_share`` of the member's non-member
  tonnes, reset each year and charged on every non-member origin;
- ``per-origin``: each non-member origin pays its own gap ``max(R − L_o, 0)``;
- ``min-price-quota``: a minimum import price on a quota, as the EU–China solar
  undertaking of 2013 (minimum price EUR 0.56/W on an annual volume, the
  anti-dumping duty above it): within the quota (``share_of_base`` × the
  member's non-member tonnes of the base year) imports pay the gap
  ``max(R − L_o, 0)`` as a higher price to the exporter (a quota rent, no tariff
  revenue); above it, an ad valorem duty ``d`` on the landed value. With a fill
  ``f = min(1, quota / tonnes of the year)``, an origin pays per tonne
  ``f · max(R − L_o, 0) + (1 − f) · d · L_o`` (the duty only where ``L_o < R``
  unless ``duty_applies_to: all``).

Every levy has its ad valorem equivalent ``levy / L_o``, the rate
:func:`floor_schedule` writes for ``tariff smart`` and ``tariff ge``.
Everything is vectorised over the whole frame (pandas/numpy group operations).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.queries import read_unit_values
from friendshore.data.tariff_files import trade_years
from friendshore.model.zone import Zone
from friendshore.policy.reference import (
    ReferenceFile,
    load_reference_file,
    reference_file_ids,
    reference_prices,
)
from friendshore.policy.schedule import MAX_RATE

__all__ = [
    "DEFAULT_YEARS",
    "LEVY_COLUMNS",
    "MODES",
    "FloorMode",
    "FloorResult",
    "floor_levies",
    "floor_payload",
    "floor_schedule",
    "landed_unit_values",
    "levy_path",
    "load_reference_file",
    "reference_file_ids",
    "rule_codes",
    "run_floor",
]

FloorMode = Literal["uniform", "per-origin", "min-price-quota"]
#: The modes, in the order of the module docstring.
MODES: Final = ("uniform", "per-origin", "min-price-quota")
#: The replay period "had the floor stood" (clipped to the store's trade years).
DEFAULT_YEARS: Final = tuple(range(2015, 2025))

#: Columns of :attr:`FloorResult.levies`, in order.
LEVY_COLUMNS: Final = (
    "member",
    "mineral_id",
    "stage",
    "product",
    "origin",
    "origin_group",
    "year",
    "reference_usd_per_t",
    "landed_usd_per_t",
    "lowest_offer_usd_per_t",
    "levy_usd_per_t",
    "ad_valorem",
    "import_t",
    "import_content_t",
    "import_usd",
    "tariff_revenue_usd",
    "consumer_cost_usd",
    "quota_rent_usd",
    "quota_fill",
    "rule",
)

_GROUP_KEYS: Final = ["member", "rule", "year"]


@dataclass(frozen=True)
class FloorResult:
    """A floor run: its inputs and its frames (prices USD/t of product, money USD).

    Attributes
    ----------
    levies
        One row per member × rule (mineral, stage, product) × origin × year,
        columns :data:`LEVY_COLUMNS`: ``origin_group`` is ``member`` (any zone
        country: never pays), ``rival`` or ``other``; ``import_t`` and
        ``import_usd`` the tonnes and FOB value with a quantity;
        ``tariff_revenue_usd`` and ``consumer_cost_usd`` are first-order (the
        same tonnes, no volume response); ``quota_rent_usd`` what exporters
        keep under ``min-price-quota``.
    market
        The market model per mineral × stage × year
        (:func:`friendshore.policy.floor_market.market_effects`), or ``None``.
    cfd
        The contract for differences per mineral × stage × year, or ``None``.
    totals
        Sums over the run (USD, t): ``tariff_revenue_usd`` and
        ``consumer_cost_usd`` of the levies (first order: same tonnes), the
        quota rent, the tonnes by origin group
        and, with the market model, its ``market_*`` totals (and the CfD's
        fiscal cost).
    assumptions
        What the figures rest on, in words.
    mode
        The mode of the levy.
    reference
        The rule file.
    years
        The years replayed.
    references
        The reference price of every rule × year (:func:`reference_prices`).
    """

    levies: pd.DataFrame
    market: pd.DataFrame | None
    cfd: pd.DataFrame | None
    totals: dict[str, float]
    assumptions: list[str]
    mode: FloorMode
    reference: ReferenceFile
    years: list[int]
    references: pd.DataFrame = field(default_factory=pd.DataFrame)


# --- the pure computation ------------------------------------------------------------------


def rule_codes(ref: ReferenceFile) -> pd.DataFrame:
    """Return the HS6 codes of every rule: ``rule, mineral_id, stage, product, hs6, first_year,
    last_year, content_factor`` (years ``-1`` / ``9999`` where open; ``content_factor``
    from ``concordances/hs_concordance.csv``, NaN where it gives none)."""
    rows = [
        (i, r.mineral, r.stage, r.product, code, r.first_year or -1, r.last_year or 9999)
        for i, r in enumerate(ref.rules)
        for code in ref.codes(i)
    ]
    columns = ["rule", "mineral_id", "stage", "product", "hs6", "first_year", "last_year"]
    codes = pd.DataFrame(rows, columns=columns).astype(
        {"rule": "int64", "first_year": "int64", "last_year": "int64"}
    )
    return codes.merge(_content_factors(), on=["hs6", "mineral_id"], how="left")


def _content_factors() -> pd.DataFrame:
    """``hs6, mineral_id, content_factor``: tonnes of the balance's basis per product tonne."""
    hs = read_hs_concordance()
    factors = hs[["hs6", "mineral_id", "content_factor"]].astype({"hs6": str, "mineral_id": str})
    factors = factors.assign(content_factor=pd.to_numeric(factors["content_factor"]))
    return factors.drop_duplicates(["hs6", "mineral_id"])


def _origin_group(exporter: pd.Series, zone: Zone) -> np.ndarray[Any, Any]:
    return np.where(
        exporter.isin(zone.countries),
        "member",
        np.where(exporter.isin(zone.rivals), "rival", "other"),
    )


def landed_unit_values(
    flows: pd.DataFrame,
    codes: pd.DataFrame,
    zone: Zone,
    *,
    cif_margin: float,
) -> pd.DataFrame:
    """Return the landed unit value per member × rule × origin × year (USD/t of product).

    Parameters
    ----------
    flows
        BACI flows: ``year, exporter, importer, hs6, value_usd, quantity_t``
        (:func:`friendshore.data.queries.read_unit_values`).
    codes
        The rules' codes (:func:`rule_codes`).
    zone
        The zone: importers are its members' countries, grouped by member.
    cif_margin
        Landed = FOB unit value × (1 + ``cif_margin``).

    Returns
    -------
    pandas.DataFrame
        ``member, rule, mineral_id, stage, product, origin, origin_group, year,
        import_t, import_content_t, import_usd, landed_usd_per_t``: flows with a
        positive value and quantity only; ``import_usd`` is FOB;
        ``import_content_t`` is in the balance's basis (NaN where a code has no
        content factor).

    Notes
    -----
    ``landed = (1 + m) Σ value / Σ tonnes`` over the member's countries and the
    rule's codes.

    Examples
    --------
    >>> from friendshore.model.zone import Zone
    >>> zone = Zone.from_mapping({"name": "z", "members": ["USA"]})
    >>> flows = pd.DataFrame({"year": [2020, 2020], "exporter": ["CHN", "CHN"],
    ...     "importer": ["USA", "USA"], "hs6": ["283691", "282520"],
    ...     "value_usd": [100.0, 300.0], "quantity_t": [1.0, 1.0]})
    >>> codes = pd.DataFrame({"rule": [0, 0], "mineral_id": "lithium", "stage": "processing",
    ...     "product": "Li", "hs6": ["283691", "282520"], "first_year": -1, "last_year": 9999})
    >>> round(landed_unit_values(flows, codes, zone, cif_margin=0.1)["landed_usd_per_t"].item(), 9)
    220.0
    """
    members = zone.country_to_member()
    ok = (flows["quantity_t"] > 0) & (flows["value_usd"] > 0) & flows["importer"].isin(members)
    sub = flows.loc[ok, ["year", "exporter", "importer", "hs6", "value_usd", "quantity_t"]]
    sub = sub.merge(codes, on="hs6", how="inner")
    sub = sub[(sub["year"] >= sub["first_year"]) & (sub["year"] <= sub["last_year"])]
    factor = sub["content_factor"] if "content_factor" in sub.columns else np.nan
    sub = sub.assign(member=sub["importer"].map(members), content_t=sub["quantity_t"] * factor)
    keys = ["member", "rule", "exporter", "year"]
    grouped = sub.groupby(keys, sort=True, observed=True)
    out = (
        grouped[["value_usd", "quantity_t"]]
        .sum()
        .assign(import_content_t=grouped["content_t"].sum(min_count=1))
        .reset_index()
        .rename(columns={"exporter": "origin", "value_usd": "import_usd", "quantity_t": "import_t"})
    )
    # a group with a code of unknown content has no content total
    known = grouped["content_t"].count() == grouped["quantity_t"].count()
    out.loc[~known.to_numpy(), "import_content_t"] = np.nan
    meta = codes.drop_duplicates("rule").set_index("rule")[["mineral_id", "stage", "product"]]
    out = out.join(meta, on="rule")
    out["origin_group"] = _origin_group(out["origin"], zone)
    out["landed_usd_per_t"] = out["import_usd"] / out["import_t"] * (1.0 + cif_margin)
    columns = [
        "member",
        "rule",
        "mineral_id",
        "stage",
        "product",
        "origin",
        "origin_group",
        "year",
        "import_t",
        "import_content_t",
        "import_usd",
        "landed_usd_per_t",
    ]
    return out[columns]


def floor_levies(
    landed: pd.DataFrame,
    references: pd.DataFrame,
    *,
    mode: FloorMode = "uniform",
    min_offer_share: float = 0.0,
    quota_share: float = 1.0,
    quota_base_year: int | None = None,
    duty_above_quota: float = 0.0,
    duty_on_all: bool = False,
) -> pd.DataFrame:
    """Return the levy on every member × rule × origin × year (USD/t of product).

    Parameters
    ----------
    landed
        :func:`landed_unit_values` (``member, rule, origin, origin_group, year,
        import_t, import_usd, landed_usd_per_t`` and the rule's labels).
    references
        ``rule, year, reference_usd_per_t`` (:func:`reference_prices`); rows
        whose reference is NaN are dropped.
    mode
        ``uniform``, ``per-origin`` or ``min-price-quota`` (module docstring).
    min_offer_share
        ``uniform``: an origin is an offer if it sends at least this share of
        the member's non-member tonnes of the rule and year (0: every origin).
    quota_share, quota_base_year, duty_above_quota, duty_on_all
        ``min-price-quota``: the quota is ``quota_share`` × the member's
        non-member tonnes of the rule in ``quota_base_year`` (default: the
        first year of ``landed``); above it a duty ``duty_above_quota`` (ad
        valorem) on offers below the reference (on every offer if ``duty_on_all``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LEVY_COLUMNS`, sorted by member, rule, year, origin.

    Notes
    -----
    ``uniform``: ``levy = max(R − min L_o, 0)``; ``per-origin``: ``max(R − L_o, 0)``;
    ``min-price-quota``: ``f · max(R − L_o, 0) + (1 − f) · d · L_o``. Member
    origins pay 0. ``ad_valorem = levy / L_o``; ``tariff_revenue_usd = levy ×
    import_t`` except the within-quota part (a rent to exporters,
    ``quota_rent_usd``); ``consumer_cost_usd = levy × import_t``.

    Examples
    --------
    The EEC's variable levy, 1985 (ECU/t): threshold 168, lowest offer 123.

    >>> landed = pd.DataFrame({"member": "EEC", "rule": 0, "mineral_id": "x", "stage": "s",
    ...     "product": "wheat", "origin": ["USA", "CAN"], "origin_group": "other",
    ...     "year": 1985, "import_t": [1.0, 1.0], "import_usd": [123.0, 140.0],
    ...     "landed_usd_per_t": [123.0, 140.0]})
    >>> refs = pd.DataFrame({"rule": [0], "year": [1985], "reference_usd_per_t": [168.0]})
    >>> floor_levies(landed, refs)["levy_usd_per_t"].tolist()
    [45.0, 45.0]
    """
    if mode not in MODES:
        raise ValidationError(f"unknown floor mode {mode!r}: use one of {', '.join(MODES)}")
    ref = references.loc[references["reference_usd_per_t"].notna(), ["rule", "year"]].assign(
        reference_usd_per_t=references["reference_usd_per_t"]
    )
    out = landed.merge(ref, on=["rule", "year"], how="inner")
    if "import_content_t" not in out.columns:
        out["import_content_t"] = np.nan
    out = out.sort_values(["member", "rule", "year", "origin"], ignore_index=True)
    n = len(out)
    reference = out["reference_usd_per_t"].to_numpy(dtype=float)
    price = out["landed_usd_per_t"].to_numpy(dtype=float)
    tonnes = out["import_t"].to_numpy(dtype=float)
    outside = (out["origin_group"] != "member").to_numpy()
    keys = [out[k] for k in _GROUP_KEYS]
    outside_t = pd.Series(np.where(outside, tonnes, 0.0)).groupby(keys).transform("sum")
    outside_t_arr = outside_t.to_numpy()
    gap = np.maximum(reference - price, 0.0)

    # the lowest landed offer from outside the zone (an offer: a share of the tonnes)
    is_offer = outside & (tonnes >= min_offer_share * outside_t_arr)
    offer = pd.Series(np.where(is_offer, price, np.inf)).groupby(keys).transform("min")
    lowest = offer.to_numpy()
    lowest = np.where(np.isfinite(lowest), lowest, np.nan)

    fill = np.ones(n)
    revenue_share = np.ones(n)
    rent = np.zeros(n)
    if mode == "uniform":
        levy = np.maximum(reference - lowest, 0.0)
        levy = np.where(np.isnan(levy), 0.0, levy)
    elif mode == "per-origin":
        levy = gap
    else:
        base_year = quota_base_year if quota_base_year is not None else _first_year(landed)
        in_base = (landed["origin_group"] != "member") & (landed["year"] == base_year)
        base = landed.loc[in_base].groupby(["member", "rule"])["import_t"].sum().rename("_base_t")
        base_t = out[["member", "rule"]].join(base, on=["member", "rule"])["_base_t"]
        quota_t = quota_share * base_t.fillna(0.0).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            fill = np.where(outside_t_arr > 0, np.minimum(1.0, quota_t / outside_t_arr), 1.0)
        subject = np.ones(n, dtype=bool) if duty_on_all else price < reference
        duty = np.where(subject, duty_above_quota * price, 0.0)
        within = fill * gap
        above = (1.0 - fill) * duty
        levy = within + above
        rent = np.where(outside, within * tonnes, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            revenue_share = np.where(levy > 0, above / levy, 0.0)
    levy = np.where(outside, levy, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ad_valorem = np.where(price > 0, levy / price, np.nan)
    cost = levy * tonnes
    out["lowest_offer_usd_per_t"] = lowest
    out["levy_usd_per_t"] = levy
    out["ad_valorem"] = ad_valorem
    out["tariff_revenue_usd"] = cost * revenue_share
    out["consumer_cost_usd"] = cost
    out["quota_rent_usd"] = rent
    out["quota_fill"] = fill if mode == "min-price-quota" else np.nan
    return out[list(LEVY_COLUMNS)]


def _first_year(frame: pd.DataFrame) -> int:
    return int(frame["year"].min()) if len(frame) else 0


# --- schedule, summaries, payload ----------------------------------------------------------


SCHEDULE_FRAME_COLUMNS: Final = (
    "importer",
    "exporter",
    "hs6",
    "rate_before",
    "rate_after",
    "source",
    "note",
)


def floor_schedule(result: FloorResult, *, year: int) -> pd.DataFrame:
    """Return the tariff schedule that keeps the floor in ``year`` (ad valorem fractions).

    One row per member × non-member origin × HS6 code of the rule: ``importer``
    the member (an ISO3 code or a bloc such as ``EU27``), ``exporter`` the
    origin, ``rate_before`` 0 (baseline rates are not modelled), ``rate_after``
    the levy's ad valorem equivalent, capped at the schedules' limit
    (:data:`friendshore.policy.schedule.MAX_RATE`, noted where it bites);
    ``source`` and ``note`` say where the rate comes from. The format
    ``friendshore tariff smart`` and ``tariff ge`` read
    (:func:`friendshore.policy.schedule.load_schedule`).

    HS6 codes of the HS 2017 supplement (e.g. nickel 750210) validate (the
    concordance holds them) and match BACI flows only in the years that
    supplement covers (2024).

    Raises
    ------
    ValidationError
        If ``year`` is not a year of the run.
    """
    if year not in result.years:
        span = f"{min(result.years)}–{max(result.years)}" if result.years else "none"
        raise ValidationError(f"{year} is not a year of this floor run ({span})")
    lv = result.levies
    lv = lv[(lv["year"] == year) & (lv["origin_group"] != "member") & lv["ad_valorem"].notna()]
    codes = rule_codes(result.reference)[["rule", "hs6"]]
    rows = lv.merge(codes, on="rule", how="inner")
    rate = rows["ad_valorem"].to_numpy(dtype=float)
    capped = rate > MAX_RATE
    ref = result.reference
    note = (
        rows["mineral_id"].astype(str)
        + " "
        + rows["stage"].astype(str)
        + " ("
        + rows["product"].astype(str)
        + "): reference "
        + rows["reference_usd_per_t"].round(0).map("{:,.0f}".format)
        + " USD/t, landed "
        + rows["landed_usd_per_t"].round(0).map("{:,.0f}".format)
        + " USD/t, levy "
        + rows["levy_usd_per_t"].round(0).map("{:,.0f}".format)
        + " USD/t"
    )
    note = note.where(~capped, note + f"; ad valorem capped at {MAX_RATE:g}")
    out = pd.DataFrame(
        {
            "importer": rows["member"].astype(str),
            "exporter": rows["origin"].astype(str),
            "hs6": rows["hs6"].astype(str),
            "rate_before": 0.0,
            "rate_after": np.minimum(rate, MAX_RATE),
            "source": f"friendshore floor {ref.id} v{ref.version} ({ref.date.isoformat()}), "
            f"mode {result.mode}, {year}",
            "note": note,
        }
    )
    return out.sort_values(["importer", "hs6", "exporter"], ignore_index=True)[
        list(SCHEDULE_FRAME_COLUMNS)
    ]


def levy_path(result: FloorResult) -> pd.DataFrame:
    """Return the levy path per member × mineral × stage × product × year (the history replay).

    Returns
    -------
    pandas.DataFrame
        ``member, mineral_id, stage, product, year, reference_usd_per_t,
        lowest_offer_usd_per_t, levy_mean_usd_per_t`` (tonne-weighted over
        non-member origins), ``levy_max_usd_per_t``, ``import_nonmember_t``,
        ``tariff_revenue_usd``, ``consumer_cost_usd``, ``quota_rent_usd``.
    """
    lv = result.levies
    keys = ["member", "mineral_id", "stage", "product", "year"]
    outside = lv[lv["origin_group"] != "member"]
    paid = outside["levy_usd_per_t"] * outside["import_t"]
    grouped = outside.assign(_paid=paid).groupby(keys, sort=True)
    out = grouped.agg(
        reference_usd_per_t=("reference_usd_per_t", "first"),
        lowest_offer_usd_per_t=("lowest_offer_usd_per_t", "first"),
        levy_max_usd_per_t=("levy_usd_per_t", "max"),
        import_nonmember_t=("import_t", "sum"),
        _paid=("_paid", "sum"),
        tariff_revenue_usd=("tariff_revenue_usd", "sum"),
        consumer_cost_usd=("consumer_cost_usd", "sum"),
        quota_rent_usd=("quota_rent_usd", "sum"),
    )
    out["levy_mean_usd_per_t"] = out["_paid"] / out["import_nonmember_t"].where(
        out["import_nonmember_t"] > 0
    )
    columns = [
        "reference_usd_per_t",
        "lowest_offer_usd_per_t",
        "levy_mean_usd_per_t",
        "levy_max_usd_per_t",
        "import_nonmember_t",
        "tariff_revenue_usd",
        "consumer_cost_usd",
        "quota_rent_usd",
    ]
    return out[columns].reset_index()


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (float(v) if isinstance(v, np.floating) else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]


def _number_or_none(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def floor_payload(result: FloorResult, *, levy_rows: int | None = None) -> dict[str, Any]:
    """Return a floor run as a JSON-able dict (NaN as ``None``).

    Keys: ``reference`` (the rule file's metadata and rules), ``mode``,
    ``years``, ``totals``, ``assumptions``, ``references`` (per rule × year),
    ``levy_path`` (:func:`levy_path`), ``levies`` (every row, or the first
    ``levy_rows``), ``market`` and ``cfd`` (``None`` when not computed).
    """
    ref = result.reference
    levies = result.levies if levy_rows is None else result.levies.head(levy_rows)
    return {
        "reference": {
            **ref.model_dump(mode="json", exclude={"rules"}),
            "path": str(ref.path) if ref.path is not None else None,
            "rules": [r.model_dump(mode="json") for r in ref.rules],
        },
        "mode": result.mode,
        "years": list(result.years),
        "totals": {k: _number_or_none(v) for k, v in result.totals.items()},
        "assumptions": list(result.assumptions),
        "references": _records(result.references),
        "levy_path": _records(levy_path(result)),
        "levies": _records(levies),
        "levy_rows": len(result.levies),
        "market": _records(result.market),
        "cfd": _records(result.cfd),
    }


# --- the run -------------------------------------------------------------------------------


def _years(store: Path, years: Sequence[int] | None) -> list[int]:
    available = trade_years(store)
    if not available:
        raise ValidationError("the store has no BACI trade: run `friendshore data build`")
    if years is None:
        chosen = [y for y in DEFAULT_YEARS if y in set(available)] or available
        return sorted(chosen)
    wanted = sorted({int(y) for y in years})
    missing = [y for y in wanted if y not in set(available)]
    if missing:
        raise ValidationError(
            f"no BACI trade for {', '.join(map(str, missing))} in the store: years "
            f"{available[0]}–{available[-1]}"
        )
    return wanted


def _assumptions(
    ref: ReferenceFile,
    *,
    mode: FloorMode,
    references: pd.DataFrame,
    flows: pd.DataFrame,
    codes: pd.DataFrame,
    zone: Zone,
) -> list[str]:
    rivals = ", ".join(sorted(zone.rivals)) or "none"
    out = [
        f"reference prices from {ref.id} v{ref.version} ({ref.date.isoformat()})"
        + (" — ILLUSTRATIVE, not a proposal" if ref.illustrative else ""),
        "prices in USD per tonne of the traded HS product (gross weight, as BACI counts); "
        "a rule's price on its own basis times its factor; the market model sets the "
        "material balance's tonnes (contained content) against them through the HS content "
        "factors of concordances/hs_concordance.csv (as is where a code has none, noted)",
        f"landed price = BACI FOB unit value × (1 + {ref.cif_margin:g}) (CIF margin), "
        "Σ value / Σ tonnes over the member's countries and the rule's HS6 codes",
        "members' imports from any zone country (intra-member and intra-zone flows) pay "
        f"nothing; non-member origins are rivals ({rivals}) or others",
        "tariff revenue and consumer cost are first-order: the same tonnes at the levy, no "
        "volume response (the market model gives the response)",
        "baseline (MFN) tariffs are not modelled: the levy comes on top, rate_before is 0",
    ]
    if mode == "uniform":
        out.append(
            "uniform: levy = reference − lowest landed offer from outside the zone, one per "
            f"member, rule and year (an offer: an origin with ≥ {ref.min_offer_share:.0%} of "
            "the member's non-member tonnes), reset each year (the EEC's variable levy)"
        )
    elif mode == "per-origin":
        out.append("per-origin: each non-member origin pays reference − its own landed price, ≥ 0")
    else:
        q = ref.quota
        base = q.base_year if q.base_year is not None else "the first year of the run"
        out.append(
            f"min-price-quota: quota = {q.share_of_base:g} × the member's non-member tonnes in "
            f"{base}; within it the gap to the reference is paid to the exporter (undertaking "
            f"price, a rent, no revenue); above it a duty of {q.duty_above_quota:.1%} ad valorem"
            + (" on every offer" if q.duty_applies_to == "all" else " on offers below the floor")
            + f" (precedent: {q.source})"
        )
    missing = references[references["reference_usd_per_t"].isna()]
    for (mineral, stage, product), part in missing.groupby(
        ["mineral_id", "stage", "product"], sort=True
    ):
        years = sorted(int(y) for y in part["year"])
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        out.append(
            f"{mineral} {stage} ({product}): no reference in {span} "
            f"({part['explanation'].iloc[0]}): no levy those years"
        )
    no_codes = [
        f"{r.mineral} {r.stage} ({r.product})" for i, r in enumerate(ref.rules) if not ref.codes(i)
    ]
    if no_codes:
        out.append(
            f"no HS6 code in the concordance for {', '.join(no_codes)}: reference only, no levy"
        )
    members = zone.country_to_member()
    mine = flows[flows["hs6"].isin(codes["hs6"]) & flows["importer"].isin(members)]
    total = float(mine["value_usd"].sum())
    if total > 0:
        lacking = float(mine.loc[~(mine["quantity_t"] > 0), "value_usd"].sum())
        out.append(
            f"{lacking / total:.1%} of members' import value in the rules' codes has no "
            "quantity in BACI and is left out of unit values, levies and revenue"
        )
    hs17 = sorted(set(codes["hs6"]) & _hs17_codes())
    if hs17:
        out.append(
            f"HS6 {', '.join(hs17)} come from BACI's HS 2017 supplement, which covers 2024 "
            "only: no levy on them in earlier years"
        )
    return out


def _hs17_codes() -> set[str]:
    hs = read_hs_concordance()
    return set(hs.loc[hs["nomenclature"] == "HS17", "hs6"].astype(str))


def _totals(levies: pd.DataFrame) -> dict[str, float]:
    outside = levies["origin_group"] != "member"
    levied = outside & (levies["levy_usd_per_t"] > 0)
    return {
        "tariff_revenue_usd": float(levies["tariff_revenue_usd"].sum()),
        "consumer_cost_usd": float(levies["consumer_cost_usd"].sum()),
        "quota_rent_usd": float(levies["quota_rent_usd"].sum()),
        "import_nonmember_t": float(levies.loc[outside, "import_t"].sum()),
        "import_levied_t": float(levies.loc[levied, "import_t"].sum()),
        "import_member_t": float(levies.loc[~outside, "import_t"].sum()),
    }


def _market(
    levies: pd.DataFrame,
    store: Path,
    zone: Zone,
    *,
    years: list[int],
    cfd: bool,
    upside_share: float,
    elasticities: Path | None,
    pipeline: Path | None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The market model and the CfD (:mod:`friendshore.policy.floor_market`)."""
    # imported here: the market model reads the material balance (metrics), which a
    # levy-only caller (the schedule, the benchmark) does not need
    from friendshore.policy import floor_market  # noqa: PLC0415

    table = floor_market.load_floor_elasticities(elasticities)
    inputs = floor_market.market_inputs(levies, store, zone, years=years, pipeline=pipeline)
    market = floor_market.market_effects(inputs, elasticities=table)
    contract = (
        floor_market.cfd_effects(inputs, elasticities=table, upside_share=upside_share)
        if cfd
        else None
    )
    return market, contract


def run_floor(
    ref: ReferenceFile,
    store: Path,
    zone: Zone,
    *,
    mode: FloorMode = "uniform",
    years: Sequence[int] | None = None,
    cfd: bool = False,
    upside_share: float = 0.0,
    elasticities: Path | None = None,
    pipeline: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FloorResult:
    """Replay a reference rule file over ``years``: levies, revenue, consumer cost, market.

    Parameters
    ----------
    ref
        The rule file (:func:`load_reference_file`).
    store
        The store (prices, BACI flows, balances).
    zone
        The zone: its members import, its rivals are one origin group.
    mode
        ``uniform``, ``per-origin`` or ``min-price-quota`` (module docstring).
    years
        Years to replay; default 2015–2024 (those with BACI trade in the store).
    cfd
        Also price a contract for differences (treasury pays reference − index
        on members' volumes).
    upside_share
        The CfD's share of the index above the reference paid back.
    elasticities
        The market model's elasticities CSV (default the shipped one).
    pipeline
        A pipeline file whose projects viable at the reference add supply.
    progress
        Called with ``(done, total)`` steps.

    Returns
    -------
    FloorResult

    Raises
    ------
    ValidationError
        An unknown mode, or years without trade in the store.
    DataError
        A rule with an unknown price series or an unusable pipeline (file,
        line, field named).
    """
    if mode not in MODES:
        raise ValidationError(f"unknown floor mode {mode!r}: use one of {', '.join(MODES)}")
    if not 0 <= upside_share <= 1:
        raise ValidationError(f"the upside share lies in [0, 1], not {upside_share}")
    total_steps = 4

    def step(done: int) -> None:
        if progress is not None:
            progress(done, total_steps)

    chosen = _years(store, years)
    codes = rule_codes(ref)
    flows = read_unit_values(store, hs6=sorted(set(codes["hs6"])), years=chosen)
    step(1)
    references = reference_prices(ref, store, zone, years=chosen)
    step(2)
    landed = landed_unit_values(flows, codes, zone, cif_margin=ref.cif_margin)
    q = ref.quota
    levies = floor_levies(
        landed,
        references,
        mode=mode,
        min_offer_share=ref.min_offer_share,
        quota_share=q.share_of_base,
        quota_base_year=q.base_year if q.base_year is not None else chosen[0],
        duty_above_quota=q.duty_above_quota,
        duty_on_all=q.duty_applies_to == "all",
    )
    step(3)
    market, contract = _market(
        levies,
        store,
        zone,
        years=chosen,
        cfd=cfd,
        upside_share=upside_share,
        elasticities=elasticities,
        pipeline=pipeline,
    )
    step(4)
    totals = _totals(levies)
    if market is not None:
        for column in ("consumer_cost_usd", "tariff_revenue_usd", "producer_revenue_gain_usd"):
            if column in market.columns:
                totals[f"market_{column}"] = float(market[column].sum())
    if contract is not None and "fiscal_cost_usd" in contract.columns:
        totals["cfd_fiscal_cost_usd"] = float(contract["fiscal_cost_usd"].sum())
    assumptions = _assumptions(
        ref, mode=mode, references=references, flows=flows, codes=codes, zone=zone
    )
    return FloorResult(
        levies=levies,
        market=market,
        cfd=contract,
        totals=totals,
        assumptions=assumptions,
        mode=mode,
        reference=ref,
        years=chosen,
        references=references,
    )
