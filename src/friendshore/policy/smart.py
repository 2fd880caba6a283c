"""SMART partial equilibrium: trade creation, diversion, revenue and welfare per flow (USD).

The model of the World Bank's WITS-SMART tool (Laird and Yeats 1986; Jammes and
Olarreaga 2005), vectorised over every importer × HS6 × exporter flow of one
BACI year. A :class:`~friendshore.policy.schedule.TariffSchedule` gives the rates
before and after; elasticities come from a CSV file
(``tariffs/elasticities.csv`` by default, documented in ``tariffs/README.md``).

:func:`smart_effects` is the pure computation on a frame of flows with their
rates and elasticities; :func:`run_smart` reads the flows from the store,
applies a schedule and returns a frozen :class:`SmartResult` with the inputs,
the per-flow frame and summaries by member, mineral and exporter.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError, ValidationError
from friendshore._core.records import frame_records
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.tariff_files import (
    default_elasticities_path,
    read_elasticities_file,
    read_trade_flows,
    trade_years,
)
from friendshore.model.zone import Zone, default_zone, expand
from friendshore.policy.schedule import TariffSchedule

__all__ = [
    "DEFAULT_SIGMA",
    "EFFECT_COLUMNS",
    "FLOW_COLUMNS",
    "SmartResult",
    "apply_schedule",
    "attach_elasticities",
    "load_elasticities",
    "run_smart",
    "smart_effects",
    "smart_payload",
]

#: WITS-SMART's default elasticity of substitution between suppliers.
DEFAULT_SIGMA: Final = 1.5
#: Columns :func:`smart_effects` adds (USD, except ``bounded``).
EFFECT_COLUMNS: Final = (
    "creation_usd",
    "diversion_usd",
    "total_change_usd",
    "new_value_usd",
    "revenue_change_usd",
    "welfare_usd",
    "bounded",
)
#: Columns of :attr:`SmartResult.flows`, in order.
_FLOW_ORDER: Final = (
    "importer",
    "member",
    "exporter",
    "exporter_group",
    "hs6",
    "mineral_id",
    "value_usd",
    "rate_before",
    "rate_after",
    "rate_given",
    "schedule_row",
    "import_demand_elasticity",
    "export_supply_elasticity",
    "substitution_elasticity",
    "elasticity_source",
    *EFFECT_COLUMNS,
)
#: Columns of the per-flow records of :func:`smart_payload` (and of the CLI's CSV):
#: the flows less the working columns ``schedule_row`` and ``elasticity_source``.
FLOW_COLUMNS: Final = [c for c in _FLOW_ORDER if c not in ("schedule_row", "elasticity_source")]
_SUMMARY_COLUMNS: Final = (
    "value_usd",
    "creation_usd",
    "diversion_to_zone_usd",
    "diversion_to_rival_usd",
    "diversion_to_rest_usd",
    "diversion_gross_usd",
    "total_change_usd",
    "revenue_change_usd",
    "welfare_usd",
)


# --- elasticities ------------------------------------------------------------------------


def _number(text: str, *, path: Path, line: int, field: str) -> float:
    value = text.strip().lower()
    if value in {"inf", "infinity"}:
        return math.inf
    try:
        return float(value)
    except ValueError:
        raise DataError(f"not a number: {text!r}", file=path, line=line, field=field) from None


def load_elasticities(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate an elasticities file (unitless elasticities).

    Parameters
    ----------
    path
        A CSV of ``importer, hs6, import_demand_elasticity,
        export_supply_elasticity, substitution_elasticity, source``; defaults to
        the shipped ``tariffs/elasticities.csv``. ``*`` stands for any importer
        or code; an importer may be a bloc (``EU27``). It must have a ``*,*`` row.

    Returns
    -------
    pandas.DataFrame
        The same columns, blocs expanded to one row per country, elasticities as
        floats (``inf`` for an infinite export supply elasticity; NaN for an empty
        substitution elasticity, meaning :data:`DEFAULT_SIGMA`), plus ``line``.

    Raises
    ------
    DataError
        Naming file, line and field: import demand elasticity not < 0, export
        supply not > 0, substitution < 0, unknown importer or HS6 code, a
        duplicate key, or no ``*,*`` row.
    """
    source_path = Path(path) if path is not None else default_elasticities_path()
    rows, lines = read_elasticities_file(source_path)
    known_hs6 = set(read_hs_concordance()["hs6"].astype(str))
    out: list[dict[str, object]] = []
    seen: dict[tuple[str, str], int] = {}
    for row, line in zip(rows, lines, strict=True):
        importer, hs6 = row["importer"].upper(), row["hs6"]
        if importer == "*":
            importers = ["*"]
        else:
            try:
                importers = sorted(expand(importer))
            except DataError as exc:
                raise DataError(
                    exc.message, file=source_path, line=line, field="importer"
                ) from None
        if hs6 != "*" and hs6 not in known_hs6:
            raise DataError(
                f"unknown HS6 code {hs6!r}: not in the bundled HS concordance, nor '*'",
                file=source_path,
                line=line,
                field="hs6",
            )
        demand = _number(
            row["import_demand_elasticity"],
            path=source_path,
            line=line,
            field="import_demand_elasticity",
        )
        if not demand < 0 or math.isinf(demand):
            raise DataError(
                "the import demand elasticity must be a finite number < 0 (e.g. -1.5)",
                file=source_path,
                line=line,
                field="import_demand_elasticity",
            )
        supply = _number(
            row["export_supply_elasticity"],
            path=source_path,
            line=line,
            field="export_supply_elasticity",
        )
        if not supply > 0:
            raise DataError(
                "the export supply elasticity must be > 0 ('inf' for infinitely elastic supply)",
                file=source_path,
                line=line,
                field="export_supply_elasticity",
            )
        sigma_text = row["substitution_elasticity"]
        sigma = (
            math.nan
            if sigma_text == ""
            else _number(sigma_text, path=source_path, line=line, field="substitution_elasticity")
        )
        if not math.isnan(sigma) and not 0 <= sigma < math.inf:
            raise DataError(
                "the substitution elasticity must be a finite number >= 0 (or empty: 1.5)",
                file=source_path,
                line=line,
                field="substitution_elasticity",
            )
        if not row["source"]:
            raise DataError(
                "every elasticity needs a source", file=source_path, line=line, field="source"
            )
        key = (importer, hs6)
        if key in seen:
            raise DataError(
                f"duplicate row {importer},{hs6} (first at line {seen[key]})",
                file=source_path,
                line=line,
                field="hs6",
            )
        seen[key] = line
        for country in importers:
            out.append(
                {
                    "importer": country,
                    "hs6": hs6,
                    "import_demand_elasticity": demand,
                    "export_supply_elasticity": supply,
                    "substitution_elasticity": sigma,
                    "source": row["source"],
                    "line": line,
                }
            )
    if ("*", "*") not in seen:
        raise DataError(
            "an elasticities file needs a default row with importer '*' and hs6 '*'",
            file=source_path,
            field="importer",
        )
    frame = pd.DataFrame(out)
    # a country listed itself overrides a bloc it belongs to: keep the last row per key
    return frame.drop_duplicates(["importer", "hs6"], keep="last").reset_index(drop=True)


def attach_elasticities(flows: pd.DataFrame, elasticities: pd.DataFrame) -> pd.DataFrame:
    """Return ``flows`` with the elasticities of each importer × HS6 code (unitless).

    The most specific row wins: (importer, hs6), then (``*``, hs6), then
    (importer, ``*``), then (``*``, ``*``). Adds ``import_demand_elasticity``,
    ``export_supply_elasticity``, ``substitution_elasticity`` (NaN: default σ)
    and ``elasticity_source``.
    """
    values = ["import_demand_elasticity", "export_supply_elasticity", "substitution_elasticity"]
    out = flows.reset_index(drop=True)
    n = len(out)
    filled = np.zeros(n, dtype=bool)
    found = {c: np.full(n, np.nan) for c in values}
    source = np.full(n, "", dtype=object)
    star_importer = elasticities["importer"] == "*"
    star_hs6 = elasticities["hs6"] == "*"
    for keys, mask in (
        (["importer", "hs6"], ~star_importer & ~star_hs6),
        (["hs6"], star_importer & ~star_hs6),
        (["importer"], ~star_importer & star_hs6),
        ([], star_importer & star_hs6),
    ):
        table = elasticities.loc[mask].reset_index(drop=True)
        if table.empty:
            continue
        if keys:
            lookup = table[keys].assign(_pos=np.arange(len(table), dtype=float))
            pos = out[keys].merge(lookup, on=keys, how="left")["_pos"].to_numpy()
            hit = ~np.isnan(pos) & ~filled
            idx = pos[hit].astype(np.int64)
        else:
            hit = ~filled
            idx = np.zeros(int(hit.sum()), dtype=np.int64)
        for col in values:
            found[col][hit] = table[col].to_numpy(dtype=float)[idx]
        source[hit] = table["source"].to_numpy(dtype=object)[idx]
        filled |= hit
    for col in values:
        out[col] = found[col]
    out["elasticity_source"] = source
    return out


# --- the model ---------------------------------------------------------------------------


def smart_effects(flows: pd.DataFrame, *, sigma: float | None = None) -> pd.DataFrame:
    """Trade creation, diversion, revenue and welfare of a tariff change per flow (USD).

    Parameters
    ----------
    flows
        One row per importer × HS6 × exporter with ``importer, hs6, exporter,
        value_usd`` (imports before the change, at world prices),
        ``rate_before, rate_after`` (ad valorem fractions),
        ``import_demand_elasticity`` (< 0), ``export_supply_elasticity`` (> 0,
        ``inf`` for infinitely elastic supply) and ``substitution_elasticity``
        (>= 0; NaN for :data:`DEFAULT_SIGMA`). A market is one importer × HS6
        code: every exporter to it must be in ``flows``.
    sigma
        If given, the elasticity of substitution between suppliers everywhere
        (overrides the column).

    Returns
    -------
    pandas.DataFrame
        ``flows`` with ``creation_usd``, ``diversion_usd``,
        ``total_change_usd`` (their sum), ``new_value_usd``,
        ``revenue_change_usd``, ``welfare_usd`` and ``bounded`` (True where
        creation was cut so that the new flow is not negative).

    Notes
    -----
    For flow :math:`j` of market :math:`(i, k)` with imports :math:`M_j`,
    rates :math:`t_0, t_1`, import demand elasticity :math:`\\varepsilon < 0`
    and export supply elasticity :math:`\\varepsilon_x`:

    *Trade creation* (WITS-SMART; Laird and Yeats 1986, eq. for TC):

    .. math:: TC_j = M_j \\, \\varepsilon \\, \\frac{t_1 - t_0}{(1 + t_0)
              (1 - \\varepsilon / \\varepsilon_x)}

    which is :math:`M \\varepsilon \\Delta t / (1 + t_0)` for infinitely
    elastic supply (the WITS default, entered there as 99).

    *Trade diversion* (Jammes and Olarreaga 2005; WITS-SMART): total imports
    of the market are reallocated among suppliers with a CES of elasticity
    :math:`\\sigma` on the tariff-inclusive price factor
    :math:`p_j = (1 + t_{1j}) / (1 + t_{0j})`:

    .. math:: TD_j = M \\frac{M_j p_j^{-\\sigma}}{\\sum_l M_l p_l^{-\\sigma}} - M_j,
              \\quad M = \\sum_l M_l

    With two groups, preferred :math:`P` and the rest :math:`R`, this is the
    WITS formula :math:`TD_P = M_P M_R x / (M_P + M_R + M_P x)` with the
    exact CES change :math:`1 + x = (p_P / p_R)^{-\\sigma}` in place of WITS's
    linear :math:`x = -\\sigma \\, \\Delta(p_P/p_R)/(p_P/p_R)`; to first
    order they agree. Diversion sums to zero over a market and is bounded by
    existing trade: no supplier loses more than it sold, and what a group gains
    never exceeds what the others sold.

    The new flow is :math:`M_j + TC_j + TD_j`; where it would be negative (a
    large tariff increase) creation is cut to :math:`-(M_j + TD_j)` and the
    row is flagged ``bounded``.

    *Revenue*: :math:`t_1 (M_j + TC_j + TD_j) - t_0 M_j` (rates applied to the
    BACI value, at world prices).

    *Welfare* (WITS-SMART's consumer-surplus effect, the Harberger triangle):
    :math:`W_j = \\tfrac12 |t_1 - t_0| \\, TC_j`, a gain for a cut (creation >
    0) and a loss for an increase. For cuts it is WITS's
    :math:`\\tfrac12 \\Delta t \\, \\Delta M`.

    References: WITS online help, "SMART: Partial equilibrium analysis"
    (World Bank); Laird, S. and A. Yeats (1986), "The UNCTAD Trade Policy
    Simulation Model", UNCTAD Discussion Paper 19; Jammes, O. and M.
    Olarreaga (2005), "Explaining SMART and GSIM", World Bank.
    """
    out = flows.reset_index(drop=True).copy()
    m = out["value_usd"].to_numpy(dtype=float)
    t0 = out["rate_before"].to_numpy(dtype=float)
    t1 = out["rate_after"].to_numpy(dtype=float)
    eps = out["import_demand_elasticity"].to_numpy(dtype=float)
    eps_x = out["export_supply_elasticity"].to_numpy(dtype=float)
    if sigma is None:
        sig = out["substitution_elasticity"].to_numpy(dtype=float)
        sig = np.where(np.isnan(sig), DEFAULT_SIGMA, sig)
    else:
        sig = np.full(len(out), float(sigma))
    if len(out) == 0:
        for col in EFFECT_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "bounded" else float)
        return out
    cell = out.groupby(["importer", "hs6"], sort=False).ngroup().to_numpy()
    dt_rate = t1 - t0
    price = (1.0 + t1) / (1.0 + t0)
    supply_term = 1.0 - eps / eps_x  # eps_x = inf gives 1
    creation = m * eps * dt_rate / ((1.0 + t0) * supply_term)
    weight = m * price ** (-sig)
    total = np.bincount(cell, weights=m)
    weights = np.bincount(cell, weights=weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(weights > 0, total / weights, 1.0)
    diversion = m * (price ** (-sig) * ratio[cell] - 1.0)
    floor = -(m + diversion)
    bounded = creation < floor
    creation = np.where(bounded, floor, creation) + 0.0  # + 0.0: no negative zeros
    change = creation + diversion
    new_value = m + change
    out["creation_usd"] = creation
    out["diversion_usd"] = diversion
    out["total_change_usd"] = change
    out["new_value_usd"] = new_value
    out["revenue_change_usd"] = t1 * new_value - t0 * m
    out["welfare_usd"] = 0.5 * np.abs(dt_rate) * creation + 0.0
    out["bounded"] = bounded
    return out


# --- schedules on the store --------------------------------------------------------------


def apply_schedule(
    flows: pd.DataFrame,
    schedule: TariffSchedule,
    zone: Zone,
    *,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Return ``flows`` with ``rate_before``, ``rate_after`` (fractions) and ``rate_given``.

    Rows of the schedule apply in order (a later row overrides an earlier one
    for the flows both cover). Flows no row covers get 0 before and after and
    ``rate_given`` False: the baseline-rate assumption. ``schedule_row`` is the
    index of the row that set the rates (-1: none).
    """
    out = flows.reset_index(drop=True).copy()
    n = len(out)
    t0 = np.zeros(n)
    t1 = np.zeros(n)
    row = np.full(n, -1, dtype=np.int64)
    importer = out["importer"]
    exporter = out["exporter"]
    hs6 = out["hs6"].to_numpy()
    for rule in schedule.resolve(zone, as_of=as_of):
        mask = importer.isin(rule.importers).to_numpy(copy=True)
        if rule.hs6 is not None:
            mask &= hs6 == rule.hs6
        if rule.exporters is not None:
            inside = exporter.isin(rule.exporters).to_numpy()
            mask &= ~inside if rule.complement else inside
        t0[mask] = rule.rate_before
        t1[mask] = rule.rate_after
        row[mask] = rule.row
    out["rate_before"] = t0
    out["rate_after"] = t1
    out["rate_given"] = row >= 0
    out["schedule_row"] = row
    return out


@dataclass(frozen=True)
class SmartResult:
    """A SMART run: its inputs and its frames (values in USD).

    Attributes
    ----------
    schedule
        The tariff schedule applied.
    year
        The BACI year of the flows.
    as_of
        Rows whose new rate starts after this date were left at their old rate
        (``None``: every row applied).
    sigma
        The substitution elasticity given for every market (``None``: from
        the elasticities file, :data:`DEFAULT_SIGMA` where empty).
    elasticities
        The elasticities used, as :func:`load_elasticities` returns them.
    elasticities_file
        The file they came from.
    zone
        The zone the groups ``zone``, ``rival``, ``rest_of_world`` refer to.
    flows
        One row per importer × HS6 × exporter of every market (importer × HS6)
        where a rate changes: ``importer, member, exporter, exporter_group, hs6,
        mineral_id, value_usd, rate_before, rate_after, rate_given,
        schedule_row``, the elasticities and the columns of
        :data:`EFFECT_COLUMNS`.
    by_member
        Per importing member (zone member, or the importer's ISO3 outside the
        zone): base ``value_usd`` of the markets hit, ``creation_usd``,
        diversion received by zone, rival and rest-of-world suppliers
        (``diversion_to_*_usd``; they sum to zero), ``diversion_gross_usd``
        (trade moved between suppliers), ``total_change_usd``,
        ``revenue_change_usd``, ``welfare_usd``.
    by_mineral
        The same per ``mineral_id`` of the HS concordance (``unmapped`` for
        codes not about one mineral).
    by_exporter
        Per exporter: ``exporter_group, value_usd, creation_usd,
        diversion_usd, total_change_usd``, biggest gain first.
    assumptions
        Assumptions made, in words (baseline rates taken as 0…).
    """

    schedule: TariffSchedule
    year: int
    as_of: dt.date | None
    sigma: float | None
    elasticities: pd.DataFrame
    elasticities_file: Path
    zone: Zone
    flows: pd.DataFrame
    by_member: pd.DataFrame
    by_mineral: pd.DataFrame
    by_exporter: pd.DataFrame
    assumptions: tuple[str, ...]

    def totals(self) -> dict[str, float]:
        """Return the sums over every flow (USD): value, creation, diversion, revenue, welfare."""
        f = self.flows
        return {
            "value_usd": float(f["value_usd"].sum()),
            "creation_usd": float(f["creation_usd"].sum()),
            "diversion_gross_usd": float(f["diversion_usd"].clip(lower=0).sum()),
            "total_change_usd": float(f["total_change_usd"].sum()),
            "revenue_change_usd": float(f["revenue_change_usd"].sum()),
            "welfare_usd": float(f["welfare_usd"].sum()),
        }


def _summary(flows: pd.DataFrame, key: str) -> pd.DataFrame:
    data = flows.assign(
        diversion_to_zone_usd=flows["diversion_usd"].where(flows["exporter_group"] == "zone", 0.0),
        diversion_to_rival_usd=flows["diversion_usd"].where(
            flows["exporter_group"] == "rival", 0.0
        ),
        diversion_to_rest_usd=flows["diversion_usd"].where(
            flows["exporter_group"] == "rest_of_world", 0.0
        ),
        diversion_gross_usd=flows["diversion_usd"].clip(lower=0),
    )
    out = data.groupby(key, sort=True)[list(_SUMMARY_COLUMNS)].sum().reset_index()
    return out[[key, *_SUMMARY_COLUMNS]]


def _year(store: Path, schedule: TariffSchedule, year: int | None) -> int:
    chosen = year if year is not None else schedule.baseline_year
    if chosen is not None:
        return chosen
    years = trade_years(store)
    if not years:
        raise ValidationError("the store has no BACI trade: run `friendshore data build`")
    return years[-1]


def _no_trade(store: Path, year: int) -> ValidationError:
    years = trade_years(store)
    span = f"years {years[0]}–{years[-1]}" if years else "no years: run `friendshore data build`"
    return ValidationError(f"no BACI trade for {year} in the store: {span}")


def run_smart(
    schedule: TariffSchedule,
    store: Path,
    *,
    year: int | None = None,
    elasticities: str | Path | None = None,
    sigma: float | None = None,
    zone: Zone | None = None,
    as_of: dt.date | None = None,
) -> SmartResult:
    """Run SMART for ``schedule`` on the BACI flows of one year in ``store`` (USD).

    Parameters
    ----------
    schedule
        The rate changes (:func:`~friendshore.policy.schedule.load_schedule`).
    store
        The store file.
    year
        BACI year of the flows; default the schedule's ``baseline_year``, else
        the latest year in the store.
    elasticities
        An elasticities CSV; default the shipped ``tariffs/elasticities.csv``.
    sigma
        Substitution elasticity for every market (overrides the file).
    zone
        The zone for the groups ``zone``, ``rival`` and ``rest_of_world``;
        default the default zone.
    as_of
        Apply only the rows in force on this date (default: all rows).

    Returns
    -------
    SmartResult

    Raises
    ------
    ValidationError
        If ``sigma`` is negative or the year has no trade in the store.
    DataError
        If the elasticities file is malformed (names file, line, field).
    """
    if sigma is not None and not 0 <= sigma < math.inf:
        raise ValidationError(f"sigma must be a finite number >= 0, not {sigma}")
    zone = zone or default_zone()
    chosen = _year(store, schedule, year)
    el_path = Path(elasticities) if elasticities is not None else default_elasticities_path()
    table = load_elasticities(el_path)
    flows = read_trade_flows(store, chosen)
    if flows.empty:
        raise _no_trade(store, chosen)
    flows = apply_schedule(flows, schedule, zone, as_of=as_of)
    changed = flows["rate_before"].to_numpy() != flows["rate_after"].to_numpy()
    hit_cells = flows.loc[changed, ["importer", "hs6"]].drop_duplicates()
    flows = flows.merge(hit_cells, on=["importer", "hs6"], how="inner")
    flows = attach_elasticities(flows, table)
    flows = smart_effects(flows, sigma=sigma)
    members = zone.country_to_member()
    flows.insert(1, "member", flows["importer"].map(members).fillna(flows["importer"]))
    rivals = zone.rivals
    zone_countries = zone.countries
    flows["exporter_group"] = np.where(
        flows["exporter"].isin(zone_countries),
        "zone",
        np.where(flows["exporter"].isin(rivals), "rival", "rest_of_world"),
    )
    hs = read_hs_concordance()
    minerals = {
        str(code): str(mineral)
        for code, mineral in zip(hs["hs6"], hs["mineral_id"], strict=True)
        if isinstance(mineral, str)
    }
    flows["mineral_id"] = flows["hs6"].map(minerals).fillna("unmapped")
    flows = flows[list(_FLOW_ORDER)].sort_values(
        ["member", "importer", "hs6", "exporter"], ignore_index=True
    )
    by_exporter = (
        flows.groupby(["exporter", "exporter_group"], sort=False)[
            ["value_usd", "creation_usd", "diversion_usd", "total_change_usd"]
        ]
        .sum()
        .reset_index()
        .sort_values(["total_change_usd", "exporter"], ascending=[False, True], ignore_index=True)
    )
    assumed = ~flows["rate_given"]
    assumed_value = float(flows.loc[assumed, "value_usd"].sum())
    base_value = float(flows["value_usd"].sum())
    share = assumed_value / base_value if base_value > 0 else 0.0
    sigma_text = (
        f"substitution elasticity {sigma:g} for every market (given)"
        if sigma is not None
        else f"substitution elasticity from {el_path.name} ({DEFAULT_SIGMA:g} where empty)"
    )
    assumptions = (
        f"baseline rates default to 0 where the schedule gives none: {int(assumed.sum())} of "
        f"{len(flows)} flows in the markets hit ({share:.1%} of their value) have rates assumed "
        "to be 0 before and after",
        "rates are applied to BACI values (FOB, reconciled by CEPII), not to customs values",
        f"elasticities from {el_path}; {sigma_text}",
        f"groups zone/rival/rest_of_world refer to the zone {zone.name!r}",
        f"BACI {chosen} flows; every row of the schedule applied"
        if as_of is None
        else f"BACI {chosen} flows; rows not in force on {as_of.isoformat()} keep their old rate",
    )
    return SmartResult(
        schedule=schedule,
        year=chosen,
        as_of=as_of,
        sigma=sigma,
        elasticities=table,
        elasticities_file=el_path,
        zone=zone,
        flows=flows,
        by_member=_summary(flows, "member"),
        by_mineral=_summary(flows, "mineral_id"),
        by_exporter=by_exporter,
        assumptions=assumptions,
    )


def smart_payload(result: SmartResult, *, top_flows: int | None = None) -> dict[str, Any]:
    """Return the JSON document of a SMART run (values in USD; docs/cli.md).

    Keys: ``schedule`` (id, name, source, illustrative), ``year``, ``as_of``,
    ``sigma``, ``elasticities_file``, ``assumptions``, ``totals``, the
    records ``by_member``, ``by_mineral``, ``by_exporter`` and ``flows`` (the
    :data:`FLOW_COLUMNS`). Infinite elasticities stay ``inf``: the interface
    writing the JSON decides how to show them.

    Parameters
    ----------
    result
        The run.
    top_flows
        Keep only this many flows, largest absolute ``total_change_usd`` first,
        and add ``flows_total`` (the number of flows in the markets hit) before
        ``flows``. Default: every flow, in the order of ``result.flows``.
    """
    schedule = result.schedule
    payload: dict[str, Any] = {
        "schedule": {
            "id": schedule.id,
            "name": schedule.name,
            "source": schedule.source,
            "illustrative": schedule.illustrative,
        },
        "year": result.year,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "sigma": result.sigma,
        "elasticities_file": str(result.elasticities_file),
        "assumptions": list(result.assumptions),
        "totals": result.totals(),
        "by_member": frame_records(result.by_member),
        "by_mineral": frame_records(result.by_mineral),
        "by_exporter": frame_records(result.by_exporter),
    }
    flows = result.flows[FLOW_COLUMNS]
    if top_flows is not None:
        order = flows["total_change_usd"].abs().sort_values(ascending=False, kind="stable").index
        payload["flows_total"] = len(flows)
        flows = flows.loc[order[:top_flows]]
    payload["flows"] = frame_records(flows)
    return payload
