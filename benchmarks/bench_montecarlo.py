"""Benchmark: Monte Carlo of random export restrictions, 10,000 draws over all minerals.

Target: under 60 s on the 2-core development machine. Times, in one run:

- the local (numpy) backend: ``run_montecarlo`` for ``--draws`` draws (every
  supplier × mineral of the network can restrict, on top of the graphite 2023
  scenario), network build included; prints draws/s;
- the baseline: a straightforward per-draw loop calling ``propagate`` with the
  same sampled cuts, timed on ``--loop-draws`` draws (a few hundred) and
  EXTRAPOLATED to ``--draws``;
- the Dask backend on a ``LocalCluster`` of 1 and 2 worker processes (one thread
  each), checked to give the same samples as the local backend.

    python benchmarks/bench_montecarlo.py [--draws 10000] [--loop-draws 200] [--store PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from distributed import Client

sys.path.insert(0, str(Path(__file__).parent))
from _util import print_table
from friendshore._core.types import ISO3
from friendshore.data.store import build_store
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios import montecarlo as mc
from friendshore.scenarios.cuts import ExportCut
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.propagate import propagate

SCENARIO = "cn-graphite-2023"


def per_draw_loop(supply: SupplyNetwork, draws: int, seed: int, share: float) -> float:
    """Seconds for ``draws`` draws as a per-draw loop over ``propagate`` (same events)."""
    scenario = load_scenario(SCENARIO)
    net = ScenarioNetwork.from_supply(supply, scenario.year)
    probs = mc.disruption_probabilities(net, supply.governance)
    fixed = list(scenario.cuts())
    p = probs["p"].to_numpy()
    exporters, minerals = probs["exporter"].to_numpy(), probs["mineral_id"].to_numpy()
    start = time.perf_counter()
    for child, size in mc.chunk_seeds(seed, draws):
        events = np.random.default_rng(child).random((size, len(p))) < p[None, :]
        for row in events:
            cuts = fixed + [
                ExportCut(ISO3(str(exporters[i])), share, minerals=(str(minerals[i]),))
                for i in np.flatnonzero(row)
            ]
            propagate(net, cuts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store.duckdb"
            build_store(store)
        supply = SupplyNetwork.from_store(store)
    scenario = load_scenario(SCENARIO)
    zone = default_zone()

    start = time.perf_counter()
    local = mc.run_montecarlo(supply, scenario, zone, args.draws, args.seed)
    local_s = time.perf_counter() - start
    loop_s = (
        per_draw_loop(supply, args.loop_draws, args.seed, local.cut_share)
        * args.draws
        / args.loop_draws
    )

    rows = [
        ["local (numpy)", f"{local_s:.1f}", f"{args.draws / local_s:,.0f}", "1.000", "—"],
        [
            f"per-draw propagate loop (extrapolated from {args.loop_draws})",
            f"{loop_s:.1f}",
            f"{args.draws / loop_s:,.0f}",
            f"{loop_s / local_s:.1f}",
            "—",
        ],
    ]
    best_s = local_s
    for workers in (1, 2):
        with (
            mc.local_cluster(workers) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            res = mc.run_montecarlo(
                supply, scenario, zone, args.draws, args.seed, backend="dask", client=client
            )
            dask_s = time.perf_counter() - start
        best_s = min(best_s, dask_s)
        same = np.array_equal(res.samples, local.samples)
        rows.append(
            [
                f"dask, {workers} worker(s)",
                f"{dask_s:.1f}",
                f"{args.draws / dask_s:,.0f}",
                f"{dask_s / local_s:.2f}",
                "yes" if same else "NO",
            ]
        )
    print(
        f"{SCENARIO} + random restrictions: {args.draws:,} draws, seed {args.seed}, "
        f"{len(local.probabilities):,} supplier × mineral pairs, "
        f"{local.events.mean():.0f} events per draw, {len(local.rows)} member rows"
    )
    print_table(["run", "s", "draws/s", "ratio to local", "same as local"], rows)
    for label, seconds in (("local backend", local_s), ("fastest run on this machine", best_s)):
        target = "met" if seconds < 60 else "NOT met"
        print(f"target < 60 s for {args.draws:,} draws, {label} ({seconds:.1f} s): {target}")


if __name__ == "__main__":
    main()
