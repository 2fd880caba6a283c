"""Benchmark: history replay of price floors, every mineral × stage × member × origin, 2015-2024.

Target: under 1 s after loading, all three modes together. In one run:

- loading (not in the target): the BACI flows of every HS6 code of the
  concordance mapped to a mineral and stage, 2015-2024
  (:func:`friendshore.data.queries.read_unit_values`), and the reference price
  of every rule × year (:func:`friendshore.policy.reference.reference_prices`);
- the replay (timed, median of ``--repeat`` runs): the landed unit values per
  member × rule × origin × year (:func:`~friendshore.policy.floors.landed_unit_values`)
  and the levies of each mode (:func:`~friendshore.policy.floors.floor_levies`):
  ``uniform``, ``per-origin``, ``min-price-quota``;
- the baseline in the same run: a straightforward per-row Python loop over the
  flows and then over the member × rule × origin × year cells, computing the
  same landed prices and levies (dicts, no pandas); checked to agree with the
  vectorised result.

The rule file is built here: one rule per mineral × stage of the concordance
that has HS6 codes, the 3-year moving average of a price series of the store
for that mineral × stage where one has a USD per tonne value (USGS from 2018,
the Pink Sheet from 1960), else the landed unit value from non-rival origins.

    python benchmarks/bench_floor.py [--repeat 5] [--store PATH]
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

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.queries import annual_prices, read_unit_values
from friendshore.data.store import build_store
from friendshore.model.zone import Zone, default_zone
from friendshore.policy.floors import MODES, floor_levies, landed_unit_values, rule_codes
from friendshore.policy.reference import ReferenceFile, reference_prices

YEARS = list(range(2015, 2025))
CIF = 0.05
MIN_OFFER = 0.01
DUTY = 0.476


def every_mineral_file(store: Path) -> ReferenceFile:
    """One rule per mineral × stage with HS6 codes: a price series if the store has one."""
    hs = read_hs_concordance()
    pairs = sorted(
        {
            (str(m), str(s))
            for m, s in zip(hs["mineral_id"], hs["stage"], strict=True)
            if isinstance(m, str) and isinstance(s, str)
        }
    )
    prices = annual_prices(store)
    priced = prices[prices["usd_per_t"].notna() & prices["mineral_id"].notna()]
    series = priced.groupby(["mineral_id", "stage"])["series"].min().to_dict()
    rules: list[dict[str, Any]] = []
    for mineral, stage in pairs:
        base = {"mineral": mineral, "stage": stage, "product": f"{mineral} {stage}"}
        found = series.get((mineral, stage))
        if found is not None:
            rules.append({**base, "method": "moving_average", "series": found, "window_years": 3})
        else:
            rules.append({**base, "method": "non_rival_unit_value", "window_years": 1})
    ref = ReferenceFile.model_validate(
        {
            "id": "bench-every-mineral",
            "name": "benchmark: every mineral × stage",
            "version": "1",
            "date": "2026-01-01",
            "source": "benchmarks/bench_floor.py",
            "cif_margin": CIF,
            "min_offer_share": MIN_OFFER,
            "rules": rules,
        }
    )
    ref.check()
    return ref


def vectorised(
    flows: pd.DataFrame, codes: pd.DataFrame, refs: pd.DataFrame, zone: Zone
) -> dict[str, pd.DataFrame]:
    landed = landed_unit_values(flows, codes, zone, cif_margin=CIF)
    base = min(YEARS)
    return {
        mode: floor_levies(
            landed,
            refs,
            mode=mode,  # type: ignore[arg-type]
            min_offer_share=MIN_OFFER,
            quota_share=1.0,
            quota_base_year=base,
            duty_above_quota=DUTY,
        )
        for mode in MODES
    }


def per_row_loop(
    flows: pd.DataFrame, codes: pd.DataFrame, refs: pd.DataFrame, zone: Zone
) -> dict[str, dict[tuple[str, int, str, int], float]]:
    """Levy per (member, rule, origin, year) and mode: plain Python loops over rows."""
    members = zone.country_to_member()
    inside = zone.countries
    by_code: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for rule, hs6, first, last in zip(
        codes["rule"], codes["hs6"], codes["first_year"], codes["last_year"], strict=True
    ):
        by_code[hs6].append((int(rule), int(first), int(last)))
    value: dict[tuple[str, int, str, int], float] = defaultdict(float)
    tonnes: dict[tuple[str, int, str, int], float] = defaultdict(float)
    for year, exporter, importer, hs6, v, q in zip(
        flows["year"],
        flows["exporter"],
        flows["importer"],
        flows["hs6"],
        flows["value_usd"],
        flows["quantity_t"],
        strict=True,
    ):
        member = members.get(importer)
        if member is None or not (q > 0) or not (v > 0):
            continue
        for rule, first, last in by_code.get(hs6, ()):
            if first <= year <= last:
                key = (member, rule, exporter, int(year))
                value[key] += v
                tonnes[key] += q
    reference = {
        (int(r), int(y)): float(p)
        for r, y, p in zip(refs["rule"], refs["year"], refs["reference_usd_per_t"], strict=True)
        if not math.isnan(p)
    }
    cells: dict[tuple[str, int, int], list[tuple[str, float, float, bool]]] = defaultdict(list)
    base: dict[tuple[str, int], float] = defaultdict(float)
    for key, v in value.items():
        member, rule, origin, year = key
        if year == min(YEARS) and origin not in inside:
            base[(member, rule)] += tonnes[key]  # the quota's base: with or without a reference
        if (rule, year) not in reference:
            continue
        landed = v / tonnes[key] * (1 + CIF)
        cells[(member, rule, year)].append((origin, landed, tonnes[key], origin not in inside))
    out: dict[str, dict[tuple[str, int, str, int], float]] = {m: {} for m in MODES}
    for (member, rule, year), rows in cells.items():
        ref = reference[(rule, year)]
        outside_t = sum(t for _, _, t, out in rows if out)
        offers = [p for _, p, t, out in rows if out and t >= MIN_OFFER * outside_t]
        lowest = min(offers) if offers else None
        fill = min(1.0, base[(member, rule)] / outside_t) if outside_t > 0 else 1.0
        for origin, price, _, outside in rows:
            key = (member, rule, origin, year)
            gap = max(ref - price, 0.0)
            uniform = max(ref - lowest, 0.0) if lowest is not None else 0.0
            duty = DUTY * price if price < ref else 0.0
            quota = fill * gap + (1 - fill) * duty
            out["uniform"][key] = uniform if outside else 0.0
            out["per-origin"][key] = gap if outside else 0.0
            out["min-price-quota"][key] = quota if outside else 0.0
    return out


def largest_difference(
    frames: dict[str, pd.DataFrame], loop: dict[str, dict[tuple[str, int, str, int], float]]
) -> float:
    worst = 0.0
    for mode, frame in frames.items():
        keys = zip(frame["member"], frame["rule"], frame["origin"], frame["year"], strict=True)
        mine = dict(zip(keys, frame["levy_usd_per_t"], strict=True))
        if set(mine) != set(loop[mode]):
            raise SystemExit(f"{mode}: the loop and the vectorised replay cover different cells")
        for key, levy in mine.items():
            worst = max(worst, abs(levy - loop[mode][key]) / max(1.0, abs(levy)))
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
        start = time.perf_counter()
        ref = every_mineral_file(store)
        codes = rule_codes(ref)
        flows = read_unit_values(store, hs6=sorted(set(codes["hs6"])), years=YEARS)
        refs = reference_prices(ref, store, zone, years=YEARS)
        load_s = time.perf_counter() - start

        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            frames = vectorised(flows, codes, refs, zone)
            times.append(time.perf_counter() - start)
        loop_times = []
        for _ in range(max(1, min(args.repeat, 3))):
            start = time.perf_counter()
            loop = per_row_loop(flows, codes, refs, zone)
            loop_times.append(time.perf_counter() - start)
        diff = largest_difference(frames, loop)

    replay, baseline = median(times), median(loop_times)
    rows = len(frames["uniform"])
    cells = frames["uniform"][["mineral_id", "stage"]].drop_duplicates()
    print(
        f"{len(ref.rules)} rules (mineral × stage), {len(cells)} with levies; "
        f"{len(flows):,} BACI flows 2015-2024; {rows:,} member × rule × origin × year rows "
        f"per mode; {len(zone.members)} members"
    )
    print_table(
        ["step", "median s", "per-row loop s", "ratio"],
        [
            ["loading (flows + references)", f"{load_s:.3f}", "", ""],
            [
                "replay, 3 modes",
                f"{replay:.3f}",
                f"{baseline:.3f}",
                f"{replay / baseline:.3f}",
            ],
        ],
    )
    print(
        f"target < 1 s: {'met' if replay < 1 else 'MISSED'}; largest relative levy "
        f"difference vectorised vs loop: {diff:.1e}"
    )
    levied = {m: int((f["levy_usd_per_t"] > 0).sum()) for m, f in frames.items()}
    print("rows with a levy: " + ", ".join(f"{m} {n:,}" for m, n in levied.items()))
    return 0 if np.isfinite(replay) else 1


if __name__ == "__main__":
    sys.exit(main())
