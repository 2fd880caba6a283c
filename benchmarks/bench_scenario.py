"""Benchmark: one disruption scenario over the full bundled network (target: under 1 s).

Builds a store from the bundled data (or uses ``--store``), reads it into the
supply network once ("loading"), then times, ``--repeat`` times each:

- building the scenario network of the baseline year (``ScenarioNetwork.from_supply``);
- ``propagate`` for China's graphite export ban (HS 250410, 250490);
- ``propagate`` for China cutting all exports of every mineral (the largest
  cascade the data allows, every mineral × stage, ore → processed included);
- the baseline: a straightforward per-edge Python loop computing the same
  all-minerals cascade (dicts, one pass over the edge list per iteration), checked
  to give the same losses.

    python benchmarks/bench_scenario.py [--repeat 5] [--store PATH] [--year 2022]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore._core.types import ISO3
from friendshore.data.store import build_store
from friendshore.model.supply import SupplyNetwork
from friendshore.scenarios.cuts import ExportCut
from friendshore.scenarios.network import ScenarioNetwork
from friendshore.scenarios.propagate import propagate


def naive_cascade(
    net: ScenarioNetwork, exporter: str, max_iter: int = 100, tol: float = 1e-9
) -> dict[tuple[str, str, str], float]:
    """The same model as ``propagate`` for a full export cut, with per-edge Python loops."""
    edges = net.edges.to_dict("records")
    production = {
        (r["mineral_id"], r["stage"], r["country"]): (
            0.0 if r["production_t"] != r["production_t"] else float(r["production_t"])
        )
        for r in net.nodes.to_dict("records")
    }
    imports: dict[tuple[str, str, str], float] = defaultdict(float)
    exports: dict[tuple[str, str, str], float] = defaultdict(float)
    for e in edges:
        imports[(e["mineral_id"], e["stage"], e["importer"])] += e["quantity_t"]
        exports[(e["mineral_id"], e["stage"], e["exporter"])] += e["quantity_t"]
    supply = {k: production[k] + imports[k] for k in production}
    by_layer: dict[tuple[str, str], list[dict[Hashable, Any]]] = defaultdict(list)
    for e in edges:
        by_layer[(str(e["mineral_id"]), str(e["stage"]))].append(e)
    layers = sorted(
        {(m, s) for m, s, _ in production}, key=lambda k: (k[1] == "processing", k[0], k[1])
    )
    loss: dict[tuple[str, str, str], float] = defaultdict(float)
    for mineral, stage in layers:
        inject: dict[tuple[str, str, str], float] = defaultdict(float)
        share: dict[tuple[str, str], float] = {}
        for e in by_layer[(mineral, stage)]:
            q = float(e["quantity_t"])
            src = (mineral, stage, str(e["exporter"]))
            dst = (mineral, stage, str(e["importer"]))
            cut = q if e["exporter"] == exporter else 0.0
            inject[dst] += cut
            denom = max(supply[src], exports[src])
            share[(str(e["exporter"]), str(e["importer"]))] = (q - cut) / denom if denom else 0.0
        if stage == "processing" and any(m == mineral and s == "mining" for m, s in layers):
            for key in [k for k in production if k[0] == mineral and k[1] == stage]:
                ore = (mineral, "mining", key[2])
                if ore in supply and supply[ore] > 0:
                    inject[key] += min(loss[ore] / supply[ore], 1.0) * production[key]
        cur = dict(inject)
        scale = tol * max(1.0, sum(inject.values()))
        for _ in range(max_iter):
            new = defaultdict(float, inject)
            for (a, b), s in share.items():
                new[(mineral, stage, b)] += s * cur.get((mineral, stage, a), 0.0)
            change = max((abs(new[k] - cur.get(k, 0.0)) for k in new), default=0.0)
            cur = new
            if change <= scale:
                break
        loss.update(cur)
    return loss


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--year", type=int, default=2022)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store.duckdb"
            build_store(store)
        load_s, supply = _time(lambda: SupplyNetwork.from_store(store), 1)
        assert isinstance(supply, SupplyNetwork)
    build_s, net = _time(lambda: ScenarioNetwork.from_supply(supply, args.year), args.repeat)
    assert isinstance(net, ScenarioNetwork)
    chn = ISO3("CHN")
    graphite = [ExportCut(chn, 1.0, hs6=("250410", "250490"))]
    everything = [ExportCut(chn, 1.0, minerals=tuple(sorted(set(net.layers["mineral_id"]))))]
    graphite_s, _ = _time(lambda: propagate(net, graphite), args.repeat)
    all_s, result = _time(lambda: propagate(net, everything), args.repeat)
    naive_s, naive = _time(lambda: naive_cascade(net, "CHN"), max(1, args.repeat // 2))

    nodes = result.nodes  # type: ignore[attr-defined]
    keys = list(zip(nodes["mineral_id"], nodes["stage"], nodes["country"], strict=True))
    naive_loss = np.array([naive.get(k, 0.0) for k in keys])  # type: ignore[attr-defined]
    diff = float(np.max(np.abs(naive_loss - nodes["total_loss_t"].to_numpy())))
    scale = float(nodes["total_loss_t"].max())

    print(
        f"network {args.year}: {len(net.nodes):,} nodes, {len(net.edges):,} edges "
        f"({int(net.edges['estimated'].sum()):,} estimated), {len(net.layers)} mineral × stage"
    )
    print(f"loading (store -> SupplyNetwork, once, not in the target): {load_s:.2f} s")
    both = build_s + all_s
    rows = [
        ["build ScenarioNetwork", f"{build_s:.3f}", f"{build_s / naive_s:.3f}"],
        ["propagate: CN graphite ban", f"{graphite_s:.3f}", f"{graphite_s / naive_s:.3f}"],
        ["propagate: CN cuts everything", f"{all_s:.3f}", f"{all_s / naive_s:.3f}"],
        [
            "build + CN cuts everything",
            f"{build_s + all_s:.3f}",
            f"{(build_s + all_s) / naive_s:.3f}",
        ],
        ["baseline: per-edge Python loop", f"{naive_s:.3f}", "1.000"],
    ]
    print_table(["step", "median s", "ratio to loop"], rows)
    print(f"largest difference engine vs loop: {diff:.3g} t (largest loss {scale:,.0f} t)")
    target = "met" if both < 1.0 else "NOT met"
    print(f"target < 1 s for one scenario after loading (build + propagate): {target}")


if __name__ == "__main__":
    main()
