"""Objective targets of the investment planner from the zone's outlook (``--targets outlook:…``).

``invest optimize PIPELINE --targets outlook:APS:2030`` asks the planner to close
the zone's projected supply gaps of one IEA scenario and year
(:func:`friendshore.scenarios.outlook.zone_outlook`) instead of cutting today's
dependence on the rival. :func:`outlook_targets` turns an outlook into the
``targets`` and ``demand_cap`` frames of a
:class:`~friendshore.invest.portfolio.PortfolioProblem` and says, for every
mineral × stage, whether it entered and why.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.scenarios.outlook import CLEANTECH_ONLY, SCENARIOS, OutlookResult

__all__ = ["INPUT_COLUMNS", "outlook_targets", "parse_targets"]

#: Columns of the inputs frame (one row per mineral × stage of the outlook).
INPUT_COLUMNS: Final[list[str]] = [
    "mineral",
    "stage",
    "scenario",
    "year",
    "included",
    "target_t",
    "weight",
    "gap_before_min_t",
    "gap_before_max_t",
    "zone_demand_min_t",
    "zone_demand_max_t",
    "zone_supply_min_t",
    "zone_supply_max_t",
    "demand_basis",
    "note",
]

_SPEC: Final = re.compile(r"^\s*outlook\s*:\s*([A-Za-z]+)\s*:\s*(\d{4})\s*$")


def parse_targets(text: str) -> tuple[str, int]:
    """Parse ``outlook:SCENARIO:YEAR`` (e.g. ``outlook:APS:2030``) into ``('APS', 2030)``.

    Raises
    ------
    ValidationError
        If the text has another form or names an unknown scenario.

    Examples
    --------
    >>> parse_targets("outlook:aps:2035")
    ('APS', 2035)
    """
    match = _SPEC.match(text)
    if match is None:
        raise ValidationError(
            f"--targets {text!r}: use outlook:SCENARIO:YEAR, e.g. outlook:APS:2030"
        )
    scenario = match.group(1).upper()
    if scenario not in SCENARIOS:
        raise ValidationError(
            f"--targets {text!r}: unknown scenario {match.group(1)!r} (use {', '.join(SCENARIOS)})"
        )
    return scenario, int(match.group(2))


def _t(value: float) -> str:
    return f"{value:,.0f} t"


def outlook_targets(
    result: OutlookResult, scenario: str, year: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Targets, demand caps and inputs of the planner from the outlook's gaps (t/yr).

    Parameters
    ----------
    result
        The zone's outlook; a pipeline given to it is left out of the gap here
        (the planner chooses among the projects itself).
    scenario, year
        The IEA scenario and the year whose gaps the portfolio should close (the
        planner's target year).

    Returns
    -------
    (targets, demand_cap, inputs)
        ``targets``: one row per mineral × stage whose gap is certainly positive,
        ``target_t`` = the gap's low end ``G_lo = D_lo − S_hi`` (zone demand at
        its least, zone supply at its most) and ``weight`` = ``1 / D_lo``;
        ``demand_cap``: ``mineral, stage, max_new_t`` = the gap's high end
        ``D_hi − S_lo`` (at least 0) where known: new capacity never exceeds
        what the zone could need in that year; ``inputs``: every mineral ×
        stage of the outlook (:data:`INPUT_COLUMNS`) with ``included`` and a
        ``note`` saying why it entered or was left out.

    Raises
    ------
    ValidationError
        If the outlook has no row for ``scenario`` and ``year``.

    Notes
    -----
    The objective ``Σ_k (G_k − c_k) / D_k`` (``c_k`` ≤ ``G_k``: new capacity
    counted against the gap) is the sum over minerals and stages of the gap left
    as a share of zone demand, at the low end of the outlook's intervals (the
    gap the data guarantee). A mineral × stage whose gap may be zero (low end ≤
    0) or whose zone demand is unknown is left out, with the reason.
    """
    f = result.frame
    rows = f[(f["scenario"] == scenario) & (f["year"] == year)].copy()
    if rows.empty:
        raise ValidationError(
            f"the outlook has no row for {scenario} {year} (scenarios: "
            f"{', '.join(sorted(set(f['scenario'])))}; years: "
            f"{', '.join(str(int(y)) for y in sorted(set(f['year'])))})"
        )
    pipe = rows["pipeline_t"].fillna(0.0)
    lo = rows["gap_min_t"] + pipe
    hi = rows["gap_max_t"] + pipe
    d_lo = rows["zone_demand_min_t"]
    unknown = d_lo.isna()
    positive = (lo > 0) & ~unknown
    reason = rows["note"].fillna("no allocation share").astype(str).str.split("; ").str[0]
    notes = np.select(
        [unknown.to_numpy(), (hi <= 0).to_numpy(), ~positive.to_numpy()],
        [
            ("left out: zone demand unknown (" + reason + ")").to_numpy(),
            (
                "left out: no gap, zone supply covers even the high end of demand (gap at most "
                + hi.map(_t)
                + ")"
            ).to_numpy(),
            (
                "left out: the gap may be zero (between "
                + lo.map(lambda v: _t(v) if pd.notna(v) else "an unknown low end")
                + " and "
                + hi.map(lambda v: _t(v) if pd.notna(v) else "unbounded")
                + ")"
            ).to_numpy(),
        ],
        default=(
            "entered: gap at least "
            + lo.map(lambda v: _t(v) if pd.notna(v) else "")
            + " (zone demand ≥ "
            + d_lo.map(lambda v: _t(v) if pd.notna(v) else "")
            + ", supply ≤ "
            + rows["zone_supply_max_t"].map(lambda v: _t(v) if pd.notna(v) else "")
            + ")"
        ).to_numpy(),
    )
    text = pd.Series(notes, index=rows.index).astype(str)
    clean = rows["demand_basis"] == CLEANTECH_ONLY
    text = text.where(~(clean & positive), text + "; demand counts clean technologies only")
    inputs = pd.DataFrame(
        {
            "mineral": rows["mineral"],
            "stage": rows["stage"],
            "scenario": scenario,
            "year": year,
            "included": positive,
            "target_t": lo.where(positive),
            "weight": (1.0 / d_lo).where(positive),
            "gap_before_min_t": lo,
            "gap_before_max_t": hi,
            "zone_demand_min_t": d_lo,
            "zone_demand_max_t": rows["zone_demand_max_t"],
            "zone_supply_min_t": rows["zone_supply_min_t"],
            "zone_supply_max_t": rows["zone_supply_max_t"],
            "demand_basis": rows["demand_basis"],
            "note": text,
        }
    ).reset_index(drop=True)
    used = inputs[inputs["included"]]
    targets = pd.DataFrame(
        {
            "target": f"outlook:{scenario}:{year}/" + used["mineral"] + "/" + used["stage"],
            "mineral": used["mineral"],
            "stage": used["stage"],
            "target_t": used["target_t"].astype(float),
            "weight": used["weight"].astype(float),
        }
    ).reset_index(drop=True)
    cap = inputs.loc[inputs["gap_before_max_t"].notna(), ["mineral", "stage", "gap_before_max_t"]]
    demand_cap = cap.assign(max_new_t=cap["gap_before_max_t"].clip(lower=0.0))[
        ["mineral", "stage", "max_new_t"]
    ].reset_index(drop=True)
    return targets, demand_cap, inputs[INPUT_COLUMNS]
