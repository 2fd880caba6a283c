"""Benchmark: the zone's outlook for every mineral × stage × IEA scenario × year.

Target: under 1 s after loading. In one run:

- loading (not in the target): the ``projections`` table, the material balance
  of the default zone and the world production of every series
  (:func:`friendshore.scenarios.outlook.outlook_inputs`);
- the outlook (timed, median of ``--repeat`` runs):
  :func:`~friendshore.scenarios.outlook.zone_outlook` for the three scenarios
  and every IEA year (2023-2050), with the shipped illustrative pipeline;
- the baseline in the same run: a straightforward per-row Python loop over the
  same inputs (dicts, no pandas) computing world and zone demand, zone supply,
  the pipeline, the gap and China's share of world supply for every row;
  checked to agree with the vectorised outlook.

    python benchmarks/bench_outlook.py [--repeat 5] [--store PATH]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.data.store import build_store
from friendshore.invest.pipeline import load_pipeline
from friendshore.model.zone import Zone, default_zone
from friendshore.scenarios.outlook import (
    DEFAULT_EDITION,
    SCENARIOS,
    STAGES,
    OutlookOptions,
    outlook_inputs,
    zone_outlook,
)

Key = tuple[str, str, str, int]


def _f(value: Any) -> float:
    """A float, NaN for a missing value."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def per_row_loop(
    projections: pd.DataFrame, balance: pd.DataFrame, world: pd.DataFrame, zone: Zone, pipe: Any
) -> dict[Key, dict[str, float]]:
    """The outlook's figures per (mineral, stage, scenario, year), row by row."""
    demand: dict[tuple[str, str, int], float] = {}
    clean: dict[tuple[str, str, int], tuple[int, float]] = {}
    supply: dict[tuple[str, str, str, int], float] = defaultdict(float)
    total: dict[tuple[str, str, int], float] = {}
    rival: dict[tuple[str, str, int], float] = defaultdict(float)
    members = zone.country_to_member()
    for r in projections.itertuples(index=False):
        if r.edition != DEFAULT_EDITION or not isinstance(r.mineral_id, str):
            continue
        if r.kind == "supply":
            if r.row_type == "country" and r.country in members:
                supply[(r.mineral_id, r.stage, members[r.country], int(r.year))] += r.value_t
            elif r.row_type == "total":
                total[(r.mineral_id, r.stage, int(r.year))] = r.value_t
            if r.row_type == "country" and r.country in zone.rivals:
                rival[(r.mineral_id, r.stage, int(r.year))] += r.value_t
            continue
        if r.case != "Base case" or r.row_type != "total":
            continue
        key = (r.mineral_id, r.scenario, int(r.year))
        if r.kind == "demand" and r.sector == "Total demand":
            demand[key] = r.value_t
        elif (
            r.kind == "cleantech_demand"
            and r.sector == "Total clean technologies"
            and not isinstance(r.element, str)
        ):
            rank = 0 if "mineral" in str(r.source_sheet).lower() else 1
            if key not in clean or rank < clean[key][0]:
                clean[key] = (rank, r.value_t)
    with_total = {m for m, _, _ in demand}
    for key, (_, value) in clean.items():
        if key[0] not in with_total:
            demand[key] = value
    base_year = max(
        int(r.year)
        for r in balance.itertuples(index=False)
        if r.member == "zone"
        and (
            not math.isnan(_f(r.apparent_consumption_t))
            or not math.isnan(_f(r.apparent_consumption_min_t))
        )
    )
    wp = {
        (r.mineral, r.stage): (_f(r.world_min_t), _f(r.world_max_t), _f(r.world_t))
        for r in world.itertuples(index=False)
        if r.year == base_year
    }
    bal: dict[tuple[str, str, str], dict[str, float]] = {}
    for r in balance.itertuples(index=False):
        if r.year != base_year or r.stage not in STAGES:
            continue
        p = _f(r.production_t)
        lo, hi = _f(r.production_min_t), _f(r.production_max_t)
        c = _f(r.apparent_consumption_t)
        clo, chi = _f(r.apparent_consumption_min_t), _f(r.apparent_consumption_max_t)
        bal[(r.mineral_id, r.stage, r.member)] = {
            "p_lo": p if math.isnan(lo) else lo,
            "p_hi": p if math.isnan(hi) else hi,
            "c_lo": max(c if math.isnan(clo) else clo, 0.0),
            "c_hi": c if math.isnan(chi) else chi,
        }
    online: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for p in pipe.projects:
        if p.country in members:
            online[(str(p.mineral), p.stage.supply_stage)].append(
                (p.online_year_min, p.capacity_t_per_year)
            )
    supply_years = sorted({y for _, _, _, y in supply})
    out: dict[Key, dict[str, float]] = {}
    for (mineral, scenario, year), w in demand.items():
        for stage in STAGES:
            z = bal.get((mineral, stage, "zone"))
            if z is None:
                continue
            w_lo, w_hi, w_pt = wp.get((mineral, stage), (math.nan, math.nan, math.nan))
            w_lo = w_pt if math.isnan(w_lo) else w_lo
            w_hi = w_pt if math.isnan(w_hi) else w_hi
            share_lo = z["c_lo"] / w_hi if w_hi > 0 else math.nan
            share_hi = z["c_hi"] / w_lo if w_lo > 0 else math.nan
            s_lo, s_hi = z["p_lo"], z["p_hi"]
            y = year if year in supply_years else max(supply_years)
            listed = [m for m in zone.members if (mineral, stage, m, y) in supply]
            if listed:
                iea = sum(supply[(mineral, stage, m, y)] for m in listed)
                out_lo = sum(bal[(mineral, stage, m)]["p_hi"] for m in listed)
                out_hi = sum(bal[(mineral, stage, m)]["p_lo"] for m in listed)
                s_lo = max(z["p_lo"] - out_lo, 0.0) + iea
                s_hi = z["p_hi"] - out_hi + iea
            n = sum(cap for first, cap in online.get((mineral, stage), []) if first <= year)
            d_lo, d_hi = w * share_lo, w * share_hi
            t = total.get((mineral, stage, y))
            out[(mineral, stage, scenario, year)] = {
                "world_demand_t": w,
                "zone_demand_min_t": d_lo,
                "zone_demand_max_t": d_hi,
                "zone_supply_min_t": s_lo,
                "zone_supply_max_t": s_hi,
                "pipeline_t": n,
                "gap_min_t": d_lo - s_hi - n,
                "gap_max_t": d_hi - s_lo - n,
                "rival_world_supply_share": (
                    rival[(mineral, stage, y)] / t
                    if t and (mineral, stage, y) in rival
                    else math.nan
                ),
            }
    return out


def largest_difference(frame: pd.DataFrame, loop: dict[Key, dict[str, float]]) -> float:
    keys = list(
        zip(frame["mineral"], frame["stage"], frame["scenario"], frame["year"], strict=True)
    )
    if set(keys) != set(loop):
        raise SystemExit("the loop and the vectorised outlook cover different rows")
    worst = 0.0
    records = frame.set_index(["mineral", "stage", "scenario", "year"])
    for key, values in loop.items():
        row = records.loc[key]
        for name, expected in values.items():
            got = _f(row[name])
            if math.isnan(got) and math.isnan(expected):
                continue
            if math.isnan(got) != math.isnan(expected):
                raise SystemExit(f"{key} {name}: {got} vs {expected}")
            worst = max(worst, abs(got - expected) / max(1.0, abs(expected)))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "friendshore.duckdb"
            build_store(store)
        zone = default_zone()
        pipeline = load_pipeline("example-illustrative")
        start = time.perf_counter()
        projections, balance, world = outlook_inputs(store, zone)
        load_s = time.perf_counter() - start
        options = OutlookOptions(scenarios=SCENARIOS, pipeline=pipeline)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = zone_outlook(projections, balance, zone, world=world, options=options)
            times.append(time.perf_counter() - start)
        loop_times = []
        for _ in range(max(1, min(args.repeat, 3))):
            start = time.perf_counter()
            loop = per_row_loop(projections, balance, world, zone, pipeline)
            loop_times.append(time.perf_counter() - start)
        diff = largest_difference(result.frame, loop)

    outlook, baseline = median(times), median(loop_times)
    f = result.frame
    pairs = f[["mineral", "stage"]].drop_duplicates()
    print(
        f"{len(f):,} rows: {f['mineral'].nunique()} minerals, {len(pairs)} mineral × stage, "
        f"{f['scenario'].nunique()} scenarios × {f['year'].nunique()} years; "
        f"{len(result.members):,} member rows; {len(projections):,} projection cells, "
        f"{len(balance):,} balance rows; pipeline of {len(pipeline)} projects"
    )
    print_table(
        ["step", "median s", "per-row loop s", "ratio"],
        [
            ["loading (projections, balance, world)", f"{load_s:.3f}", "", ""],
            [
                "outlook, every mineral × scenario × year",
                f"{outlook:.3f}",
                f"{baseline:.3f}",
                f"{outlook / baseline:.3f}",
            ],
        ],
    )
    print(
        f"target < 1 s: {'met' if outlook < 1 else 'MISSED'}; largest relative difference "
        f"vectorised vs loop: {diff:.1e}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
