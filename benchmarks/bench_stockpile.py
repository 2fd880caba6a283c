"""Benchmark: stockpile sizing for every mineral × stage with a price, 10,000 draws, zone reserve.

Target: under 60 s on the 2-core development machine, Monte Carlo included.
Times, in one run (the same store, zone and seed):

- the Monte Carlo part: random export restrictions on the minerals with a
  price only (``montecarlo_distribution``), on the local (numpy) backend and,
  with ``--dask``, on a ``LocalCluster`` of 2 worker processes; prints draws/s;
- the sizing: the closed form (``newsvendor``) and the LP (``saa``, linopy +
  HiGHS) on the same outcomes, their times and ratio, and that they agree;
- the whole ``plan_stockpile`` (network, prices, Monte Carlo, balance, sizing).

    python benchmarks/bench_stockpile.py [--draws 10000] [--dask] [--store PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import print_table
from friendshore.data.catalog import read_hs_concordance
from friendshore.data.queries import annual_prices
from friendshore.data.store import build_store
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios import montecarlo as mc
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.stockpile import (
    StockpileOptions,
    montecarlo_distribution,
    size_stockpile,
    stock_prices,
    zone_balance,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dask", action="store_true", help="also time 2 Dask workers")
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store.duckdb"
            build_store(store)
        start_all = time.perf_counter()
        supply = SupplyNetwork.from_store(store)
        prices = annual_prices(store)
    zone = default_zone()
    year = int(supply.trade["year"].max())
    layers = ScenarioNetwork.from_supply(supply, year).layers
    priced = stock_prices(prices, layers=layers, concordance=read_hs_concordance())
    minerals = sorted(set(priced["mineral_id"]) & set(layers["mineral_id"]))
    setup_s = time.perf_counter() - start_all

    cpu0 = time.process_time()
    dist = montecarlo_distribution(
        supply, zone, draws=args.draws, seed=args.seed, year=year, minerals=minerals
    )
    mc_cpu = time.process_time() - cpu0
    mc_s = dist.montecarlo_seconds
    rows = [
        [
            "Monte Carlo, local (numpy)",
            f"{mc_s:.1f}",
            f"{mc_cpu:.1f}",
            f"{args.draws / mc_s:,.0f}",
            "—",
        ]
    ]
    if args.dask:
        from distributed import Client  # noqa: PLC0415 (dask only)

        with mc.local_cluster(2) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            dd = montecarlo_distribution(
                supply,
                zone,
                draws=args.draws,
                seed=args.seed,
                year=year,
                minerals=minerals,
                backend="dask",
                client=client,
            )
        same = "yes" if np.array_equal(dd.samples, dist.samples) else "NO"
        rows.append(
            [
                "Monte Carlo, dask 2 workers",
                f"{dd.montecarlo_seconds:.1f}",
                "—",
                f"{args.draws / dd.montecarlo_seconds:,.0f}",
                same,
            ]
        )

    start = time.perf_counter()
    balance = zone_balance(supply, zone)
    balance_s = time.perf_counter() - start
    results = {}
    cpu: dict[str, float] = {}
    for method in ("newsvendor", "saa"):
        cpu0 = time.process_time()
        opts = StockpileOptions(draws=args.draws, method="saa" if method == "saa" else "newsvendor")
        results[method] = size_stockpile(dist, priced, balance, options=opts)
        cpu[method] = time.process_time() - cpu0
    nv, saa = results["newsvendor"], results["saa"]
    nv_s, saa_s = nv.timings["sizing"], saa.timings["sizing"]
    agree = np.allclose(nv.frame["purchase_cost_usd"].sum(), saa.frame["purchase_cost_usd"].sum())
    rows.append(
        ["sizing, newsvendor (closed form)", f"{nv_s:.2f}", f"{cpu['newsvendor']:.2f}", "—", "—"]
    )
    rows.append(
        [
            "sizing, saa (linopy + HiGHS LP)",
            f"{saa_s:.2f}",
            f"{cpu['saa']:.2f}",
            "—",
            "yes" if agree else "NO",
        ]
    )
    total = setup_s + mc_s + balance_s + nv_s
    rows.append(["network + prices + balance (setup)", f"{setup_s + balance_s:.1f}", "—", "—", "—"])
    rows.append(["total (setup + Monte Carlo + newsvendor)", f"{total:.1f}", "—", "—", "—"])
    f = nv.frame
    print(
        f"{args.draws:,} draws, seed {args.seed}, baseline {year}, zone reserve, "
        f"{len(f)} priced mineral × stage items ({len(minerals)} minerals), "
        f"{len(nv.left_out)} left out without a price; budget US${nv.options.budget_usd:,.0f}: "
        f"spent US${f['purchase_cost_usd'].sum():,.0f}, λ = {nv.marginal_value_usd_per_usd:.3f}"
    )
    print_table(["part", "s", "cpu s", "draws/s", "agrees"], rows)
    load = os.getloadavg()[0]
    print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
    print(f"SAA / closed form time ratio: {saa_s / max(nv_s, 1e-9):.1f}")
    print(f"target < 60 s in all ({total:.1f} s): {'met' if total < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
