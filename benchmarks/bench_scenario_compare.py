"""Benchmark: every shipped scenario compared side by side (target: under 5 s after loading).

Builds a store from the bundled data (or uses ``--store``) and times, the median of
``--repeat`` runs each:

- ``compare_scenarios`` of every shipped scenario on a supply network loaded once
  (each baseline year's network built once, holding the layers of the minerals the
  scenarios touch): what ``friendshore scenario compare`` does after loading;
- the same with the supply network loaded from the store first (the whole command
  but interpreter start-up);
- the baseline: the scenarios one by one as ``friendshore scenario run`` does, the
  supply network loaded from the store and the whole trade network built for each
  (``SupplyNetwork.from_store`` + ``run_scenario``);
- one by one on the loaded supply network (``run_scenario`` rebuilding the whole
  network each time): where the saving comes from.

The side-by-side shares are checked against the one-by-one runs.

    python benchmarks/bench_scenario_compare.py [--repeat 3] [--store PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.data.store import build_store
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.compare import ZONE_ROW, compare_scenarios
from friendshore.scenarios.model import load_scenario, scenario_ids
from friendshore.scenarios.run import run_scenario


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds of ``repeat`` calls, and the last result."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return median(wall), median(cpu), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    zone = default_zone()
    scenarios = [load_scenario(i) for i in scenario_ids()]
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store.duckdb"
            build_store(store)
        load_s, load_cpu, supply = _time(lambda: SupplyNetwork.from_store(store), 1)
        supply.default_production()  # cached on the object, as in any later call

        def compare() -> Any:
            return compare_scenarios(supply, scenarios, zone)

        def compare_loading() -> Any:
            return compare_scenarios(SupplyNetwork.from_store(store), scenarios, zone)

        def one_by_one_reloading() -> Any:
            return [run_scenario(SupplyNetwork.from_store(store), s, zone) for s in scenarios]

        def one_by_one() -> Any:
            return [run_scenario(supply, s, zone) for s in scenarios]

        cmp_s, cmp_cpu, comparison = _time(compare, args.repeat)
        cmpl_s, cmpl_cpu, _ = _time(compare_loading, args.repeat)
        base_s, base_cpu, alone = _time(one_by_one_reloading, max(1, args.repeat // 2))
        loop_s, loop_cpu, _ = _time(one_by_one, max(1, args.repeat // 2))

    table = comparison.table.set_index(["member", "mineral", "stage"])
    members = table.drop(index=ZONE_ROW, level="member")
    diff = 0.0
    for result in alone:
        col = members[f"{result.scenario.id}_shortfall_share"]
        own = result.records.set_index(["member", "mineral", "stage"])["shortfall_share"]
        expected = own.reindex(col.index)
        assert col.isna().equals(expected.isna()), result.scenario.id
        diff = max(diff, float(np.nanmax(np.abs(col.to_numpy() - expected.to_numpy()))))

    years = sorted({s.year for s in scenarios})
    print(
        f"{len(scenarios)} shipped scenarios, baseline years {', '.join(map(str, years))}; "
        f"{len(comparison.table)} rows side by side"
    )
    print(f"loading (store -> SupplyNetwork, once): {load_s:.2f} s (CPU {load_cpu:.2f} s)")
    rows = [
        ["compare (loaded once)", f"{cmp_s:.2f}", f"{cmp_cpu:.2f}", f"{cmp_s / base_s:.3f}"],
        ["compare incl. loading", f"{cmpl_s:.2f}", f"{cmpl_cpu:.2f}", f"{cmpl_s / base_s:.3f}"],
        [
            "one by one, network loaded",
            f"{loop_s:.2f}",
            f"{loop_cpu:.2f}",
            f"{loop_s / base_s:.3f}",
        ],
        ["baseline: one by one, reloading", f"{base_s:.2f}", f"{base_cpu:.2f}", "1.000"],
    ]
    print_table(["step", "median s", "CPU s", "ratio to baseline"], rows)
    print(f"largest difference side by side vs one by one: {diff:.3g} (shortfall share)")
    target = "met" if cmp_s < 5.0 else "NOT met"
    print(f"target < 5 s for the shipped scenarios compared after loading: {target}")


if __name__ == "__main__":
    main()
