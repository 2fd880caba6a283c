"""Benchmark: SMART over every importer × HS6 × exporter flow of one BACI year.

Target: under 2 s on the 2-core development machine. Times, in one run (median
of ``--repeat`` runs each):

- ``smart_effects`` (numpy, vectorised) on every flow of the year with a rate
  change on every flow (seeded random rates 0-30% before and after), so every
  market is computed; the default elasticities attached beforehand;
- the same preceded by attaching the elasticities from the shipped file;
- ``run_smart`` end to end on the shipped ``zone-rival-25`` schedule (read the
  year from the store, apply the schedule, elasticities, model, summaries);
- the baseline: a straightforward per-row Python loop over the same formulas
  (one pass for the market totals, one per flow), on the first ``--loop-rows``
  flows (default: all of them, so nothing is extrapolated) and EXTRAPOLATED
  linearly to every flow when fewer; checked to agree with the vectorised
  result when run on every flow.

    python benchmarks/bench_smart.py [--year 2023] [--repeat 5] [--loop-rows N] [--store PATH]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.data.store import build_store
from friendshore.data.tariff_files import read_trade_flows
from friendshore.policy.schedule import load_schedule
from friendshore.policy.smart import (
    attach_elasticities,
    load_elasticities,
    run_smart,
    smart_effects,
)


def per_row_loop(flows: pd.DataFrame) -> list[tuple[float, float, float]]:
    """(total change, revenue change, welfare) per flow (USD): a per-row Python loop."""
    rows = list(
        zip(
            flows["importer"],
            flows["hs6"],
            flows["value_usd"],
            flows["rate_before"],
            flows["rate_after"],
            flows["import_demand_elasticity"],
            flows["export_supply_elasticity"],
            flows["substitution_elasticity"],
            strict=True,
        )
    )
    total: dict[tuple[str, str], float] = {}
    weight: dict[tuple[str, str], float] = {}
    for imp, hs6, m, t0, t1, _eps, _eps_x, sigma in rows:
        key = (imp, hs6)
        price = (1 + t1) / (1 + t0)
        total[key] = total.get(key, 0.0) + m
        weight[key] = weight.get(key, 0.0) + m * price ** (-sigma)
    out: list[tuple[float, float, float]] = []
    for imp, hs6, m, t0, t1, eps, eps_x, sigma in rows:
        key = (imp, hs6)
        price = (1 + t1) / (1 + t0)
        supply = 1 - eps / eps_x if not math.isinf(eps_x) else 1.0
        creation = m * eps * (t1 - t0) / ((1 + t0) * supply)
        w = weight[key]
        diversion = m * (price ** (-sigma) * (total[key] / w if w > 0 else 1.0) - 1)
        creation = max(creation, -(m + diversion))
        new = m + creation + diversion
        revenue = t1 * new - t0 * m
        welfare = 0.5 * abs(t1 - t0) * creation
        out.append((creation + diversion, revenue, welfare))
    return out


def timed(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop-rows", type=int, default=None)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store.duckdb"
            build_store(store)
        flows = read_trade_flows(store, args.year)
        rng = np.random.default_rng(2024)
        flows["rate_before"] = rng.uniform(0, 0.3, len(flows))
        flows["rate_after"] = rng.uniform(0, 0.3, len(flows))
        table = load_elasticities()
        ready = attach_elasticities(flows, table)
        n = len(ready)
        markets = ready.groupby(["importer", "hs6"]).ngroups

        t_core = timed(lambda: smart_effects(ready), args.repeat)
        t_attach = timed(lambda: smart_effects(attach_elasticities(flows, table)), args.repeat)
        schedule = load_schedule("zone-rival-25")
        t_run = timed(lambda: run_smart(schedule, store, year=args.year), args.repeat)
        zone_rows = len(run_smart(schedule, store, year=args.year).flows)

        loop_n = min(args.loop_rows or n, n)
        # whole markets only, so the loop's market totals are complete
        sample = ready.iloc[:loop_n]
        looped = per_row_loop(sample)
        t_loop_sample = timed(lambda: per_row_loop(sample), args.repeat)
        t_loop = t_loop_sample * n / loop_n
        vec = smart_effects(ready)
        if loop_n == n:
            cols = ["total_change_usd", "revenue_change_usd", "welfare_usd"]
            diff = float(np.max(np.abs(np.asarray(looped) - vec[cols].to_numpy())))
            agree = f"max |loop - numpy| = {diff:.2e} USD"
        else:
            agree = "sample only: agreement not checked"

    print(
        f"SMART on BACI {args.year}: {n:,} importer x HS6 x exporter flows, {markets:,} markets; "
        f"median of {args.repeat} runs"
    )
    extrapolated = "" if loop_n == n else f" (extrapolated from {loop_n:,} rows)"
    print_table(
        ["step", "seconds", "rows/s", "ratio vs loop"],
        [
            [
                "smart_effects, every flow (numpy)",
                f"{t_core:.4f}",
                f"{n / t_core:,.0f}",
                f"{t_core / t_loop:.4f}",
            ],
            [
                "attach elasticities + smart_effects",
                f"{t_attach:.4f}",
                f"{n / t_attach:,.0f}",
                f"{t_attach / t_loop:.4f}",
            ],
            [
                f"run_smart zone-rival-25 end to end ({zone_rows:,} flows hit)",
                f"{t_run:.4f}",
                f"{n / t_run:,.0f}",
                f"{t_run / t_loop:.4f}",
            ],
            [
                f"baseline: per-row Python loop{extrapolated}",
                f"{t_loop:.4f}",
                f"{n / t_loop:,.0f}",
                "1",
            ],
        ],
    )
    print(agree)
    print("target: every flow of one year under 2 s")


if __name__ == "__main__":
    main()
