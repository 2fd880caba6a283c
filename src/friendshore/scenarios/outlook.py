"""The zone's outlook (t/yr) per mineral × stage × scenario × year: demand, supply, gap.

Will the zone's supply keep up with its demand to 2040? :func:`zone_outlook`
sets the IEA's projections of world demand (``projections`` table, IEA
Critical Minerals Data Explorer) against the zone's supply, from the material
balance of a base year (:func:`friendshore.metrics.balance.material_balance`),
the IEA's supply projections by country and an investment pipeline:

* **world demand** ``W``: the IEA's total demand (sheet ``1 Total demand for
  key minerals``: copper, cobalt, lithium, nickel, magnet rare earths,
  graphite); for the other minerals the IEA gives clean-technology demand only
  (sheet ``3.2``): ``demand_basis`` says so, and such a zone demand is a lower
  bound. The IEA counts demand of refined material; the outlook sets it
  against both the mining and the processing stage of the balance (mined
  supply must match refined demand, losses and recycling aside), as the IEA's
  own supply-demand balances do;
* **allocation share** ``a``: the zone's share of world apparent consumption in
  the base year, ``a = C_zone / P_world`` (apparent consumption of the zone as
  one economy, over world production of the stage: world consumption equals
  world production, stock changes aside), or a user's member → share table
  (:attr:`OutlookOptions.allocation`); ``allocation_method`` says which;
* **zone demand** ``D = a · W``;
* **zone supply** ``S``: the base-year production of the zone (balance), where
  members' countries are listed in the IEA's supply projections with the
  IEA's figure in their place: ``S(y) = P_zone − Σ_listed P_m + Σ_listed
  IEA_m(y)``; with no member listed ``S = P_zone`` (held at the base year;
  ``supply_basis`` says which). Countries of a listed member that the IEA
  does not list stay at the base year with the rest. The IEA projects supply
  for 2023–2040: later years hold its 2040 figure (stated);
* **pipeline** ``N(y)``: the capacity of the pipeline's projects in the zone
  from their first output year ``earliest_start_year + lead_time_years`` on
  (recycling plants add to processing);
* **gap** ``G = D − S − N``; **self-sufficiency** ``(S + N) / D``;
* the rival's share of world supply in the IEA's projections (countries of
  ``zone.rivals`` listed by the IEA over the IEA's world total).

Intervals are carried, never guessed: where the balance bounds a quantity
without fixing it, every derived figure ``X`` has ``X_min`` and ``X_max`` and
the point ``X`` only where the two agree (as in the balance). ``X_min`` of a
difference takes the low end of the first term and the high end of the second.

All functions here are pure (frames in, frames out); :func:`run_outlook` loads
the inputs from a store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore._core.records import frame_records, plain
from friendshore.data.queries import read_projections
from friendshore.metrics.balance import material_balance
from friendshore.metrics.shares import world_denominator
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone


class OutlookOptionError(ValidationError):
    """An option of the outlook is invalid; ``field`` names it (``year``, ``scenario`` …)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class Pipeline(Protocol):
    """What the outlook needs of a pipeline (:class:`friendshore.invest.pipeline.Pipeline`).

    The investment layer sits above the scenarios, so the type is a protocol here.
    """

    def to_frame(self) -> pd.DataFrame:
        """One row per project: ``id, country, mineral, stage, capacity_t_per_year, …``."""
        ...


__all__ = [
    "CLEANTECH_ONLY",
    "DEFAULT_EDITION",
    "FRAME_COLUMNS",
    "MEMBER_COLUMNS",
    "SCENARIOS",
    "STAGES",
    "TOTAL_DEMAND",
    "OutlookOptionError",
    "OutlookOptions",
    "OutlookResult",
    "outlook_inputs",
    "outlook_payload",
    "pipeline_capacity",
    "rival_key",
    "run_outlook",
    "world_production",
    "zone_outlook",
]

#: The IEA's scenarios: Stated Policies, Announced Pledges, Net Zero Emissions by 2050.
SCENARIOS: Final[tuple[str, ...]] = ("STEPS", "APS", "NZE")
#: Edition of the projections used by default (the workbook bundled with the package).
DEFAULT_EDITION: Final = "IEA CMDE May 2024"
#: Stages of the balance the outlook covers.
STAGES: Final[tuple[str, ...]] = ("mining", "processing")

TOTAL_DEMAND: Final = "total demand"
CLEANTECH_ONLY: Final = "clean technologies only"
CONSUMPTION: Final = "consumption"

#: Relative tolerance under which an interval's two ends are one point.
_POINT_RTOL: Final = 1e-9

_KEYS: Final[list[str]] = ["mineral", "stage", "scenario", "year"]

#: Columns of :attr:`OutlookResult.frame`, in order.
FRAME_COLUMNS: Final[list[str]] = [
    *_KEYS,
    "world_demand_t",
    "demand_basis",
    "zone_share",
    "zone_share_min",
    "zone_share_max",
    "allocation_method",
    "zone_demand_t",
    "zone_demand_min_t",
    "zone_demand_max_t",
    "zone_supply_t",
    "zone_supply_min_t",
    "zone_supply_max_t",
    "supply_basis",
    "listed_members",
    "pipeline_t",
    "gap_t",
    "gap_min_t",
    "gap_max_t",
    "self_sufficiency",
    "self_sufficiency_min",
    "self_sufficiency_max",
    "rival_world_supply_share",
    "base_year",
    "demand_source",
    "note",
]

#: Columns of :attr:`OutlookResult.members`, in order.
MEMBER_COLUMNS: Final[list[str]] = [
    *_KEYS,
    "member",
    "world_demand_t",
    "share",
    "share_min",
    "share_max",
    "demand_t",
    "demand_min_t",
    "demand_max_t",
    "supply_t",
    "supply_min_t",
    "supply_max_t",
    "supply_basis",
    "pipeline_t",
]


@dataclass(frozen=True)
class OutlookOptions:
    """What the outlook covers and how it allocates world demand.

    Attributes
    ----------
    scenarios
        IEA scenarios (``STEPS``, ``APS``, ``NZE``).
    years
        Years (``None``: every year the IEA projects demand for, 2023–2050).
    base_year
        Year of the balance that gives the allocation shares and the held
        supply (``None``: the latest year in which the balance gives the
        zone's apparent consumption).
    allocation
        ``'consumption'`` (the zone's share of world apparent consumption in
        the base year) or a frame ``member, share`` (optionally ``mineral``,
        ``stage``: a row without them applies to every mineral or stage) of
        each member's share of world demand.
    allocation_label
        How a user allocation is named in ``allocation_method`` (its file).
    pipeline
        An investment pipeline whose capacity adds to zone supply from each
        project's first output year.
    edition
        Edition of the IEA projections (``projections.edition``).
    minerals
        Catalog mineral ids (``None``: every mineral with IEA demand).
    """

    scenarios: tuple[str, ...] = SCENARIOS
    years: tuple[int, ...] | None = None
    base_year: int | None = None
    allocation: str | pd.DataFrame = field(default=CONSUMPTION, compare=False)
    allocation_label: str = "user allocation"
    pipeline: Pipeline | None = None
    edition: str = DEFAULT_EDITION
    minerals: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        bad = [s for s in self.scenarios if s not in SCENARIOS]
        if bad or not self.scenarios:
            raise OutlookOptionError(
                f"scenario {', '.join(bad) or '(none)'}: use one or more of {', '.join(SCENARIOS)}",
                field="scenario",
            )
        if isinstance(self.allocation, str) and self.allocation != CONSUMPTION:
            raise OutlookOptionError(
                f"allocation {self.allocation!r}: use 'consumption' or a member -> share table",
                field="allocation",
            )
        if isinstance(self.allocation, pd.DataFrame):
            _check_allocation(self.allocation)


@dataclass(frozen=True)
class OutlookResult:
    """The zone's outlook.

    Attributes
    ----------
    options
        The options it was computed with.
    frame
        One row per mineral × stage × scenario × year (:data:`FRAME_COLUMNS`),
        tonnes a year on the IEA's basis (``zone_share`` a fraction).
    members
        The same per member (:data:`MEMBER_COLUMNS`).
    base_year
        Year of the balance used.
    rivals
        The rival countries (ISO3) of ``rival_world_supply_share``.
    pipeline_projects
        Projects of the pipeline with ``mineral, stage, member, capacity_t_per_year,
        online_year`` and ``used`` (false where the outlook has no such mineral
        and stage, or the host is outside the zone) with a ``note``.
    notes
        Minerals left out and the assumptions, one line each.
    """

    options: OutlookOptions
    frame: pd.DataFrame
    members: pd.DataFrame
    base_year: int
    rivals: tuple[str, ...]
    pipeline_projects: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def rival_key(self) -> str:
        """Key of the rival's share in JSON: ``china_world_supply_share`` for China."""
        return rival_key(self.rivals)


def rival_key(rivals: Sequence[str]) -> str:
    """The JSON key of the rival's share: ``china_world_supply_share`` for China alone.

    Any other rival (or several) gives ``rival_world_supply_share``.
    """
    return "china_world_supply_share" if tuple(rivals) == ("CHN",) else "rival_world_supply_share"


# --- inputs ------------------------------------------------------------------------------


def _check_allocation(frame: pd.DataFrame) -> None:
    missing = [c for c in ("member", "share") if c not in frame.columns]
    if missing:
        raise OutlookOptionError(
            f"the allocation table lacks the column(s) {', '.join(missing)}", field=missing[0]
        )
    share = pd.to_numeric(frame["share"], errors="coerce")
    bad = ~((share >= 0) & (share <= 1))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise OutlookOptionError(
            f"allocation row {row + 1}: share must be a fraction between 0 and 1, "
            f"got {frame['share'].iloc[row]!r}",
            field="share",
        )


def world_production(world: pd.DataFrame) -> pd.DataFrame:
    """World production (t) per mineral × stage × year from the network's world totals.

    Parameters
    ----------
    world
        :func:`friendshore.metrics.shares.world_denominator` of the default
        production (one row per source × mineral × stage × product × year).

    Returns
    -------
    pandas.DataFrame
        ``mineral, stage, year, world_t, world_min_t, world_max_t, world_basis``:
        series of several products are left out (their tonnes do not add up).
    """
    keys = ["mineral_id", "stage", "year"]
    single = world.groupby(keys)["product"].transform("size") == 1
    out = world.loc[single, [*keys, "world_quantity_t", "world_min_t", "world_max_t"]]
    out = out.assign(
        world_basis=world.loc[single, "source"] + ": " + world.loc[single, "denominator"]
    )
    return out.rename(columns={"mineral_id": "mineral", "world_quantity_t": "world_t"}).reset_index(
        drop=True
    )


def _world_demand(projections: pd.DataFrame, options: OutlookOptions) -> pd.DataFrame:
    """``mineral, scenario, year, world_demand_t, demand_basis, demand_source``."""
    p = projections[
        (projections["edition"] == options.edition)
        & projections["mineral_id"].notna()
        & projections["scenario"].isin(options.scenarios)
        & (projections["case"].fillna("Base case") == "Base case")
    ]
    if p.empty:
        editions = sorted(projections["edition"].dropna().unique())
        raise OutlookOptionError(
            f"no IEA projections of edition {options.edition!r} in the store "
            f"(editions: {', '.join(editions) or 'none: run `friendshore data build`'})",
            field="edition",
        )
    keys = ["mineral_id", "scenario", "year"]
    total = p[
        (p["kind"] == "demand") & (p["row_type"] == "total") & (p["sector"] == "Total demand")
    ]
    total = total.assign(demand_basis=TOTAL_DEMAND)
    # clean-technology demand of one mineral (not of single rare-earth elements), printed
    # both by technology (sheet 3.1) and by mineral (3.2): the by-mineral cell is used
    clean = p[
        (p["kind"] == "cleantech_demand")
        & (p["row_type"] == "total")
        & (p["sector"] == "Total clean technologies")
        & p["element"].isna()
        & ~p["mineral_id"].isin(total["mineral_id"].unique())
    ]
    by_mineral = clean["source_sheet"].astype(str).str.contains("mineral", case=False)
    clean = clean.assign(_rank=np.where(by_mineral, 0, 1)).sort_values([*keys, "_rank"])
    clean = clean.drop_duplicates(keys).drop(columns="_rank")
    clean = clean.assign(demand_basis=CLEANTECH_ONLY)
    both = pd.concat([total, clean], ignore_index=True)
    out = pd.DataFrame(
        {
            "mineral_id": both["mineral_id"].astype(str),
            "scenario": both["scenario"].astype(str),
            "year": both["year"].astype("int64"),
            "demand_basis": both["demand_basis"],
            "world_demand_t": both["value_t"].astype("float64"),
            "demand_source": both["source_sheet"].astype(str)
            + "!"
            + both["source_cell"].astype(str),
        }
    ).drop_duplicates(keys)
    if options.years is not None:
        known = sorted({int(y) for y in out["year"]})
        bad = sorted(set(options.years) - set(known))
        if bad or not options.years:
            raise OutlookOptionError(
                f"year {', '.join(map(str, bad)) or '(none)'}: the IEA projects demand for "
                f"{', '.join(map(str, known))}",
                field="year",
            )
        out = out[out["year"].isin(options.years)]
    if options.minerals is not None:
        missing = sorted(set(options.minerals) - {str(m) for m in out["mineral_id"]})
        if missing:
            raise OutlookOptionError(
                f"mineral {', '.join(missing)}: no IEA demand projection (minerals: "
                f"{', '.join(sorted(set(out['mineral_id'])))})",
                field="mineral",
            )
        out = out[out["mineral_id"].isin(options.minerals)]
    return out.rename(columns={"mineral_id": "mineral"})


def _base_year(balance: pd.DataFrame, given: int | None) -> int:
    zone = balance[balance["member"] == "zone"]
    has = zone["apparent_consumption_t"].notna() | zone["apparent_consumption_min_t"].notna()
    years = sorted({int(y) for y in zone.loc[has, "year"]})
    if not years:
        raise OutlookOptionError(
            "the balance gives no apparent consumption of the zone in any year"
        )
    if given is None:
        return years[-1]
    if given not in years:
        raise OutlookOptionError(
            f"base year {given}: the balance gives the zone's apparent consumption in "
            f"{years[0]}-{years[-1]} only",
            field="base_year",
        )
    return given


def _point(low: pd.Series, high: pd.Series) -> pd.Series:
    """The point value where the interval's ends agree, else NULL."""
    lo = pd.to_numeric(low, errors="coerce").astype("float64")
    hi = pd.to_numeric(high, errors="coerce").astype("float64")
    same = np.isclose(lo, hi, rtol=_POINT_RTOL, atol=0.0) & lo.notna() & hi.notna()
    return lo.where(same)


def _shares(
    balance: pd.DataFrame, world: pd.DataFrame, base_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Consumption shares of the zone and each member: ``mineral, stage, member, share_min/max``."""
    b = balance[(balance["year"] == base_year) & balance["stage"].isin(STAGES)].rename(
        columns={"mineral_id": "mineral"}
    )
    w = world[world["year"] == base_year].drop(columns="year")
    b = b.merge(w, on=["mineral", "stage"], how="left")
    num = {
        c: pd.to_numeric(b[c], errors="coerce").astype("float64")
        for c in (
            "apparent_consumption_t",
            "apparent_consumption_min_t",
            "apparent_consumption_max_t",
            "world_t",
            "world_min_t",
            "world_max_t",
        )
    }
    c_lo = num["apparent_consumption_min_t"].fillna(num["apparent_consumption_t"]).clip(lower=0.0)
    c_hi = num["apparent_consumption_max_t"].fillna(num["apparent_consumption_t"])
    w_lo = num["world_min_t"].fillna(num["world_t"])
    w_hi = num["world_max_t"].fillna(num["world_t"])
    lo = (c_lo / w_hi).where(w_hi > 0)
    hi = (c_hi / w_lo).where(w_lo > 0)
    notes = np.select(
        [
            (b["world_t"].isna() & b["world_min_t"].isna()).to_numpy(),
            (
                b["apparent_consumption_min_t"].isna() & b["apparent_consumption_t"].isna()
            ).to_numpy(),
            (hi.isna() & lo.notna()).to_numpy(),
            (b["apparent_consumption_min_t"] < 0).to_numpy(),
        ],
        [
            f"no world production in {base_year} (or several products): share unknown",
            (
                "no apparent consumption in the balance: "
                + b["note"].fillna(b["basis"]).fillna("").astype(str)
            ).to_numpy(),
            "apparent consumption unbounded above: share has no upper end",
            "the balance allows negative apparent consumption: low end taken as 0",
        ],
        default="",
    )
    prod = pd.to_numeric(b["production_t"], errors="coerce").astype("float64")
    out = b[["mineral", "stage", "member"]].assign(
        share_min=lo.astype("float64"),
        share_max=hi.astype("float64"),
        production_t=prod,
        production_min_t=pd.to_numeric(b["production_min_t"], errors="coerce")
        .astype("float64")
        .fillna(prod),
        production_max_t=pd.to_numeric(b["production_max_t"], errors="coerce")
        .astype("float64")
        .fillna(prod),
        share_note=notes,
    )
    return out[out["member"] == "zone"].drop(columns="member"), out[out["member"] != "zone"]


def _user_shares(
    allocation: pd.DataFrame, pairs: pd.DataFrame, zone: Zone
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shares from a user table: ``mineral, stage, member, share`` for every mineral × stage."""
    unknown = sorted(set(allocation["member"].astype(str)) - set(zone.members))
    if unknown:
        raise OutlookOptionError(
            f"allocation: {', '.join(unknown)} not a member of the zone "
            f"({', '.join(zone.members)})",
            field="member",
        )
    table = allocation.assign(share=pd.to_numeric(allocation["share"]))
    for col in ("mineral", "stage"):
        if col not in table.columns:
            table[col] = None
    rows = (
        pairs[["mineral", "stage"]]
        .drop_duplicates()
        .merge(pd.DataFrame({"member": list(zone.members)}), how="cross")
    )
    # the most specific row wins: mineral and stage, mineral, stage, none
    out = rows.assign(share=np.nan)
    for by_mineral, by_stage in ((True, True), (True, False), (False, True), (False, False)):
        sel = table[table["mineral"].notna() == by_mineral]
        sel = sel[sel["stage"].notna() == by_stage]
        on = ["member", *(["mineral"] if by_mineral else []), *(["stage"] if by_stage else [])]
        hit = out[on].merge(sel[[*on, "share"]].drop_duplicates(on), on=on, how="left")["share"]
        out["share"] = out["share"].fillna(pd.Series(hit.to_numpy(), index=out.index))
    members = out.assign(share_min=out["share"], share_max=out["share"])
    zone_rows = members.groupby(["mineral", "stage"], as_index=False).agg(
        share_min=("share_min", lambda s: s.sum(min_count=1)),
        share_max=("share_max", lambda s: s.sum(min_count=1)),
    )
    over = zone_rows[zone_rows["share_max"] > 1 + 1e-9]
    if not over.empty:
        first = over.iloc[0]
        raise OutlookOptionError(
            f"allocation: members' shares of {first['mineral']} {first['stage']} add up to "
            f"{first['share_max']:.4g} (> 1)",
            field="share",
        )
    return zone_rows, members.drop(columns="share")


def _iea_supply(projections: pd.DataFrame, edition: str) -> pd.DataFrame:
    s = projections[
        (projections["edition"] == edition)
        & (projections["kind"] == "supply")
        & projections["mineral_id"].notna()
        & projections["value_t"].notna()
    ]
    return s.rename(columns={"mineral_id": "mineral"})


def _at_years(series: pd.DataFrame, keys: list[str], years: Sequence[int]) -> pd.DataFrame:
    """Values (``value_t``) per ``keys`` at ``years``: linear between IEA years, last one held.

    Adds ``held`` (the year's value is the last projection year's).
    """
    if series.empty:
        return pd.DataFrame(columns=[*keys, "year", "value_t", "held"])
    wide = series.groupby([*keys, "year"])["value_t"].sum().unstack("year")
    known = np.array(sorted(int(c) for c in wide.columns), dtype=float)
    values = wide[sorted(wide.columns)].to_numpy(dtype=float)
    out = []
    for y in years:
        if y < known[0]:
            continue
        if y >= known[-1]:
            col = values[:, -1]
        else:
            i = int(np.searchsorted(known, y, side="right")) - 1
            t = (y - known[i]) / (known[i + 1] - known[i])
            col = values[:, i] * (1.0 - t) + values[:, i + 1] * t
        frame = wide.index.to_frame(index=False).assign(
            year=int(y), value_t=col, held=bool(y > known[-1])
        )
        out.append(frame)
    return (
        pd.concat(out, ignore_index=True)
        if out
        else pd.DataFrame(columns=[*keys, "year", "value_t", "held"])
    )


def pipeline_capacity(
    pipeline: Pipeline | None, zone: Zone, years: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New capacity (t/yr) of a pipeline per mineral × stage × member × year.

    ``pipeline`` is a :class:`friendshore.invest.pipeline.Pipeline` (anything
    with its ``to_frame()``). A project adds its full capacity from its first
    output year ``earliest_start_year + lead_time_years`` on (the earliest the
    project can produce), and nothing before; a
    recycling plant adds to the processing stage; a project whose host
    country is outside the zone adds nothing (``used`` false).

    Returns
    -------
    (capacity, projects)
        ``mineral, stage, member, year, pipeline_t``; one row per project.
    """
    cols = ["mineral", "stage", "member", "year", "pipeline_t"]
    project_cols = [
        "id",
        "country",
        "mineral",
        "stage",
        "project_stage",
        "member",
        "capacity_t_per_year",
        "online_year",
    ]
    table = pipeline.to_frame() if pipeline is not None else pd.DataFrame()
    if table.empty:
        types: dict[str, str] = {"mineral": "object", "stage": "object", "member": "object"}
        types["year"] = "int64"
        empty = pd.DataFrame({c: pd.Series(dtype=types.get(c, "float64")) for c in cols})
        return empty, pd.DataFrame(columns=project_cols)
    projects = pd.DataFrame(
        {
            "id": table["id"].astype(str),
            "country": table["country"].astype(str),
            "mineral": table["mineral"].astype(str),
            # a recycling plant yields processed material
            "stage": table["stage"].astype(str).replace({"recycling": "processing"}),
            "project_stage": table["stage"].astype(str),
            "member": table["country"].map(zone.country_to_member()),
            "capacity_t_per_year": table["capacity_t_per_year"].astype("float64"),
            "online_year": (table["earliest_start_year"] + table["lead_time_years"]).astype(
                "int64"
            ),
        }
    )
    inside = projects[projects["member"].notna()]
    grid = inside.merge(pd.DataFrame({"year": list(years)}), how="cross")
    grid = grid[grid["year"] >= grid["online_year"]]
    cap = grid.groupby(["mineral", "stage", "member", "year"], as_index=False).agg(
        pipeline_t=("capacity_t_per_year", "sum")
    )
    return cap[cols], projects


# --- the outlook -------------------------------------------------------------------------


def zone_outlook(
    projections: pd.DataFrame,
    balance: pd.DataFrame,
    zone: Zone,
    *,
    world: pd.DataFrame | None = None,
    options: OutlookOptions | None = None,
) -> OutlookResult:
    """The zone's demand, supply and gap (t/yr) per mineral × stage × scenario × year.

    Parameters
    ----------
    projections
        The ``projections`` table (:func:`friendshore.data.queries.read_projections`).
    balance
        The material balance of the zone's members and of the zone
        (:func:`friendshore.metrics.balance.material_balance`).
    zone
        The zone (members, rivals).
    world
        World production per mineral × stage × year (:func:`world_production`):
        the denominator of the consumption shares. Needed unless
        ``options.allocation`` is a user table.
    options
        Scenarios, years, base year, allocation and pipeline.

    Returns
    -------
    OutlookResult

    Raises
    ------
    ValidationError
        An unknown scenario or edition, a base year without consumption, a user
        allocation naming a non-member or adding up to more than 1.

    Notes
    -----
    ``D = a · W``, ``S = P_zone − Σ_listed P_m + Σ_listed IEA_m(y)``,
    ``G = D − S − N``, self-sufficiency ``(S + N) / D`` (module docstring).
    Sources: IEA, Critical Minerals Data Explorer (May 2024), sheets 1, 2 and
    3.2; USGS MCS and CEPII BACI through the balance.
    """
    options = options or OutlookOptions()
    base_year = _base_year(balance, options.base_year)
    demand = _world_demand(projections, options)
    years = sorted({int(y) for y in demand["year"]})
    user = isinstance(options.allocation, pd.DataFrame)
    if world is None and not user:
        raise OutlookOptionError("the consumption allocation needs world production (world=...)")

    # stages: those the balance has for the mineral in the base year
    zb = balance[
        (balance["member"] == "zone")
        & (balance["year"] == base_year)
        & balance["stage"].isin(STAGES)
    ]
    pairs = zb[["mineral_id", "stage"]].drop_duplicates().rename(columns={"mineral_id": "mineral"})
    notes: list[str] = []
    lacking = sorted(set(demand["mineral"]) - set(pairs["mineral"]))
    if lacking:
        notes.append(
            f"left out (no mining or processing balance in {base_year}): {', '.join(lacking)}"
        )
    frame = demand.merge(pairs, on="mineral", how="inner")

    if user:
        assert isinstance(options.allocation, pd.DataFrame)
        zone_sh, member_sh = _user_shares(options.allocation, pairs, zone)
        method = f"{options.allocation_label}: members' shares of world demand"
        base_sh, base_members = _shares(
            balance, world if world is not None else _no_world(), base_year
        )
        zone_sh = zone_sh.merge(
            base_sh.drop(columns=["share_min", "share_max", "share_note"]),
            on=["mineral", "stage"],
            how="left",
        ).assign(share_note="")
        member_sh = member_sh.merge(
            base_members.drop(columns=["share_min", "share_max", "share_note"]),
            on=["mineral", "stage", "member"],
            how="left",
        )
    else:
        assert world is not None
        zone_sh, member_sh = _shares(balance, world, base_year)
        method = f"share of world apparent consumption in {base_year} (material balance)"
    frame = frame.merge(zone_sh, on=["mineral", "stage"], how="left")
    frame["allocation_method"] = method
    frame["zone_share_min"] = frame.pop("share_min")
    frame["zone_share_max"] = frame.pop("share_max")
    frame["zone_share"] = _point(frame["zone_share_min"], frame["zone_share_max"])
    w = frame["world_demand_t"]
    frame["zone_demand_min_t"] = w * frame["zone_share_min"]
    frame["zone_demand_max_t"] = w * frame["zone_share_max"]
    frame["zone_demand_t"] = w * frame["zone_share"]

    # supply: IEA projections of listed members' countries, the rest held at the base year
    supply = _iea_supply(projections, options.edition)
    country = supply[supply["row_type"] == "country"]
    to_member = zone.country_to_member()
    listed = country.assign(member=country["country"].map(to_member))
    listed = listed[listed["member"].notna()]
    member_iea = _at_years(listed, ["mineral", "stage", "member"], years)
    listed_names = (
        listed.groupby(["mineral", "stage"])["country"]
        .agg(lambda s: ", ".join(sorted(set(s))))
        .rename("listed_members")
        .reset_index()
    )
    listed_members = listed[["mineral", "stage", "member"]].drop_duplicates()
    listed_base = listed_members.merge(member_sh, on=["mineral", "stage", "member"], how="left")
    sub = listed_base.groupby(["mineral", "stage"], as_index=False).agg(
        listed_min_t=("production_min_t", lambda s: s.sum(min_count=1)),
        listed_max_t=("production_max_t", lambda s: s.sum(min_count=1)),
    )
    iea_sum = member_iea.groupby(["mineral", "stage", "year"], as_index=False).agg(
        iea_t=("value_t", "sum"), held=("held", "any")
    )
    frame = frame.merge(sub, on=["mineral", "stage"], how="left")
    frame = frame.merge(iea_sum, on=["mineral", "stage", "year"], how="left")
    frame = frame.merge(listed_names, on=["mineral", "stage"], how="left")
    has_iea = frame["iea_t"].notna()
    for col in ("listed_min_t", "listed_max_t", "iea_t", "production_min_t", "production_max_t"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    rest_lo = (frame["production_min_t"] - frame["listed_max_t"].fillna(0.0)).clip(lower=0.0)
    rest_hi = frame["production_max_t"] - frame["listed_min_t"].fillna(0.0)
    iea = frame["iea_t"].fillna(0.0)
    frame["zone_supply_min_t"] = (rest_lo + iea).where(has_iea, frame["production_min_t"])
    frame["zone_supply_max_t"] = (rest_hi + iea).where(has_iea, frame["production_max_t"])
    frame["zone_supply_t"] = _point(frame["zone_supply_min_t"], frame["zone_supply_max_t"])
    held = f"held at base year {base_year}"
    basis = pd.Series(held, index=frame.index)
    basis = basis.where(
        ~has_iea,
        "IEA projection (" + frame["listed_members"].fillna("") + "), the rest " + held,
    )
    basis = basis.where(~frame["held"].fillna(False).astype(bool), basis + "; IEA 2040 value held")
    frame["supply_basis"] = basis

    # pipeline
    capacity, projects = pipeline_capacity(options.pipeline, zone, years)
    zone_cap = capacity.groupby(["mineral", "stage", "year"], as_index=False)["pipeline_t"].sum()
    frame = frame.merge(zone_cap, on=["mineral", "stage", "year"], how="left")
    frame["pipeline_t"] = frame["pipeline_t"].astype("float64").fillna(0.0)
    covered = set(zip(pairs["mineral"], pairs["stage"], strict=True)) & set(
        zip(frame["mineral"], frame["stage"], strict=True)
    )
    if not projects.empty:
        used = [
            (m, s) in covered and pd.notna(mem)
            for m, s, mem in zip(
                projects["mineral"], projects["stage"], projects["member"], strict=True
            )
        ]
        projects = projects.assign(
            used=used,
            note=[
                ""
                if u
                else (
                    "host country outside the zone"
                    if pd.isna(mem)
                    else "no IEA demand for this mineral and stage"
                )
                for u, mem in zip(used, projects["member"], strict=True)
            ],
        )

    # gap and self-sufficiency
    n = frame["pipeline_t"]
    frame["gap_min_t"] = frame["zone_demand_min_t"] - frame["zone_supply_max_t"] - n
    frame["gap_max_t"] = frame["zone_demand_max_t"] - frame["zone_supply_min_t"] - n
    frame["gap_t"] = _point(frame["gap_min_t"], frame["gap_max_t"])
    d_lo, d_hi = frame["zone_demand_min_t"], frame["zone_demand_max_t"]
    frame["self_sufficiency_min"] = ((frame["zone_supply_min_t"] + n) / d_hi).where(d_hi > 0)
    frame["self_sufficiency_max"] = ((frame["zone_supply_max_t"] + n) / d_lo).where(d_lo > 0)
    # demand's low end 0: no upper end (NULL, as an unbounded interval end in the balance)
    frame["self_sufficiency"] = _point(frame["self_sufficiency_min"], frame["self_sufficiency_max"])

    # the rival's share of world supply
    rivals = tuple(sorted(str(c) for c in zone.rivals))
    frame = frame.merge(
        _rival_share(supply, rivals, years), on=["mineral", "stage", "year"], how="left"
    )

    frame["base_year"] = base_year
    parts: list[pd.Series[Any]] = [frame["share_note"].fillna("").astype(str)]
    parts.append(
        pd.Series(
            np.where(
                frame["demand_basis"] == CLEANTECH_ONLY,
                "demand counts clean technologies only: zone demand and gap are lower bounds, "
                "self-sufficiency an upper bound",
                "",
            ),
            index=frame.index,
        )
    )
    iea_supply = frame[["mineral", "stage"]].merge(
        supply[["mineral", "stage"]].drop_duplicates().assign(projected=True),
        on=["mineral", "stage"],
        how="left",
    )["projected"]
    unlisted = iea_supply.notna().to_numpy() & frame["rival_world_supply_share"].isna().to_numpy()
    parts.append(
        pd.Series(
            np.where(
                unlisted,
                f"{'+'.join(rivals)} not listed by the IEA (in its rest of world): share unknown",
                "",
            ),
            index=frame.index,
        )
    )
    note = parts[0]
    for extra in parts[1:]:
        note = note.str.cat(extra, sep="; ")
    frame["note"] = note.str.replace(r"^(; )+|(; )+$", "", regex=True).str.replace(
        r"(; ){2,}", "; ", regex=True
    )
    frame["note"] = frame["note"].where(frame["note"] != "", None)
    frame = frame[FRAME_COLUMNS].sort_values(
        ["mineral", "stage", "scenario", "year"],
        key=lambda s: s.map({k: i for i, k in enumerate(SCENARIOS)}) if s.name == "scenario" else s,
        ignore_index=True,
    )

    members = _member_frame(
        demand,
        pairs,
        member_sh=member_sh,
        member_iea=member_iea,
        capacity=capacity,
        base_year=base_year,
    )
    notes.append(
        "world demand: IEA total demand where given (copper, cobalt, lithium, nickel, magnet rare "
        "earths, graphite), else clean-technology demand only; demand of refined material set "
        "against both the mining and the processing stage; zone demand is on the IEA's basis "
        "(e.g. lithium content, magnet rare earths Nd+Pr+Dy+Tb, graphite of all grades), "
        "supply held at the base year on the balance's"
    )
    notes.append(f"allocation: {method}")
    notes.append(
        f"zone supply: IEA projections of the members' listed countries, the rest held at "
        f"{base_year}; years after 2040 hold the IEA's 2040 supply"
    )
    return OutlookResult(
        options=options,
        frame=frame,
        members=members,
        base_year=base_year,
        rivals=rivals,
        pipeline_projects=projects.reset_index(drop=True),
        notes=tuple(notes),
    )


def _no_world() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["mineral", "stage", "year", "world_t", "world_min_t", "world_max_t", "world_basis"]
    )


def _rival_share(supply: pd.DataFrame, rivals: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
    keys = ["mineral", "stage"]
    total = _at_years(supply[supply["row_type"] == "total"], keys, years)
    rival = _at_years(
        supply[(supply["row_type"] == "country") & supply["country"].isin(list(rivals))],
        keys,
        years,
    )
    out = total.rename(columns={"value_t": "total_t"}).merge(
        rival.rename(columns={"value_t": "rival_t"}).drop(columns="held"),
        on=[*keys, "year"],
        how="left",
    )
    # a rival the IEA does not list is in its rest of world: share unknown (NULL)
    out["rival_world_supply_share"] = (out["rival_t"] / out["total_t"]).where(out["total_t"] > 0)
    return out[[*keys, "year", "rival_world_supply_share"]]


def _member_frame(
    demand: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    member_sh: pd.DataFrame,
    member_iea: pd.DataFrame,
    capacity: pd.DataFrame,
    base_year: int,
) -> pd.DataFrame:
    m = demand.merge(pairs, on="mineral").merge(member_sh, on=["mineral", "stage"], how="inner")
    m["share"] = _point(m["share_min"], m["share_max"])
    w = m["world_demand_t"]
    m["demand_min_t"] = w * m["share_min"]
    m["demand_max_t"] = w * m["share_max"]
    m["demand_t"] = w * m["share"]
    m = m.merge(
        member_iea.rename(columns={"value_t": "iea_t"}),
        on=["mineral", "stage", "member", "year"],
        how="left",
    )
    has = m["iea_t"].notna()
    m["supply_min_t"] = m["iea_t"].where(has, m["production_min_t"])
    m["supply_max_t"] = m["iea_t"].where(has, m["production_max_t"])
    m["supply_t"] = _point(m["supply_min_t"], m["supply_max_t"])
    m["supply_basis"] = np.where(has, "IEA projection", f"held at base year {base_year}")
    m = m.merge(capacity, on=["mineral", "stage", "member", "year"], how="left")
    m["pipeline_t"] = m["pipeline_t"].astype("float64").fillna(0.0)
    return m[MEMBER_COLUMNS].sort_values(
        ["mineral", "stage", "scenario", "year", "member"], ignore_index=True
    )


# --- JSON --------------------------------------------------------------------------------


def outlook_payload(result: OutlookResult) -> dict[str, Any]:
    """Return the JSON document of an outlook (t/yr; keys documented in docs/cli.md).

    Keys: ``base_year``, ``edition``, ``scenarios``, ``years``, ``allocation_method``,
    ``rivals``, ``rival_key`` (the name of the rival's share in ``rows``:
    ``china_world_supply_share`` for China), ``pipeline`` (projects with their
    first output year and whether the outlook uses them), ``notes`` and ``rows``
    (one per mineral × stage × scenario × year, :data:`FRAME_COLUMNS` with the
    rival's share under ``rival_key``) and ``members`` (per member).
    """
    key = result.rival_key
    frame = result.frame.rename(columns={"rival_world_supply_share": key})
    projects = result.pipeline_projects
    return {
        "base_year": result.base_year,
        "edition": result.options.edition,
        "scenarios": list(result.options.scenarios),
        "years": sorted(int(y) for y in result.frame["year"].unique()),
        "allocation_method": (
            str(result.frame["allocation_method"].iloc[0]) if len(result.frame) else None
        ),
        "rivals": list(result.rivals),
        "rival_key": key,
        "pipeline": frame_records(projects) if not projects.empty else [],
        "notes": list(result.notes),
        "rows": frame_records(frame),
        "members": frame_records(result.members),
        "units": {"t": "tonnes a year on the IEA's basis", "share": "fraction (0-1)"},
        "source": plain(
            "IEA Critical Minerals Data Explorer (projections table); material balance "
            "(USGS MCS, CEPII BACI)"
        ),
    }


# --- loading ------------------------------------------------------------------------------

#: Inputs of the last store × zone loaded (the API reruns the outlook on the same inputs).
_inputs_cache: dict[tuple[Any, ...], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}


def outlook_inputs(store: Path, zone: Zone) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(projections, balance, world)`` of a store and zone, cached by store file and zone."""

    path = Path(store).resolve()
    stat = path.stat()
    members = tuple(sorted((m, tuple(sorted(cs))) for m, cs in zone.members.items()))
    key = (str(path), stat.st_mtime_ns, stat.st_size, members)
    hit = _inputs_cache.get(key)
    if hit is None:
        network = SupplyNetwork.from_store(path)
        us = (
            us_balance_of(network.salient)
            if "USA" in zone.members and not network.salient.empty
            else None
        )
        balance = material_balance(network, zone, us=us)
        rows, totals = network.default_production()
        world = world_production(world_denominator(rows, totals))
        hit = (read_projections(path), balance, world)
        _inputs_cache.clear()
        _inputs_cache[key] = hit
    return hit


def run_outlook(store: Path, zone: Zone, *, options: OutlookOptions | None = None) -> OutlookResult:
    """Load the inputs from ``store`` (:func:`outlook_inputs`) and compute :func:`zone_outlook`."""
    projections, balance, world = outlook_inputs(store, zone)
    return zone_outlook(projections, balance, zone, world=world, options=options)
