"""Benchmark: the dependence of one country outside the zone (CAN, DEU, IND), after loading.

Times, on the store built from the bundled data (or ``--store``), with the
supply network loaded once (not timed):

- ``country_member_rows``: every mineral × stage × year of one country (what
  ``GET /api/v1/members/CAN`` and the Member page compute once per country);
- ``dependence_rows``: one mineral (``friendshore metrics dependence --member CAN``);
- the baseline, in the same run: the same profile on the whole BACI frame
  (``balance_frame`` + ``import_dependence`` of the one-country zone, no
  reduction of the trade to the country's flows), and the material balance +
  dependence of the default zone's four members and the zone (what ``assess``
  computes for its members). Ratios are of CPU seconds over the whole-frame
  baseline (which leaves out GeoPolRisk; the profile computes it).

Wall-clock and CPU seconds (median of ``--repeat``): on a shared machine CPU
seconds are the steadier figure.

    python benchmarks/bench_country_dependence.py [--repeat 5] [--store PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from friendshore.data.store import build_store
from friendshore.metrics.balance import balance_frame
from friendshore.metrics.country_dependence import (
    alone_zone,
    country_member_rows,
    dependence_rows,
)
from friendshore.metrics.dependence import import_dependence
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import median, print_table


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``repeat`` calls (after one warm-up call)."""
    call()
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return median(wall), median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or build_store(Path(tmp) / "friendshore.duckdb").path
        start = time.perf_counter()
        network = SupplyNetwork.from_store(store)
        load = time.perf_counter() - start
        zone = default_zone()
        rows, totals = network.default_production()

        def whole(code: str) -> None:
            alone = alone_zone(zone, code)
            balance = balance_frame(
                network.trade, rows, alone, totals=totals, bound_trade=network.bound_trade
            )
            import_dependence(network.trade, rows, alone, totals=totals, balance=balance)

        def members() -> None:
            balance = balance_frame(
                network.trade, rows, zone, totals=totals, bound_trade=network.bound_trade
            )
            import_dependence(network.trade, rows, zone, totals=totals, balance=balance)

        table = []
        base_w, base_c = timed(lambda: whole("CAN"), args.repeat)
        for code in ("CAN", "DEU", "IND"):
            for label, call in (
                ("profile, every mineral", lambda c=code: country_member_rows(network, zone, c)),
                (
                    "one mineral (graphite)",
                    lambda c=code: dependence_rows(network, zone, member=c, mineral="graphite"),
                ),
            ):
                w, c = timed(call, args.repeat)
                table.append([code, label, f"{w:.3f}", f"{c:.3f}", f"{c / base_c:.2f}"])
        table.append(
            ["CAN", "baseline: whole BACI frame", f"{base_w:.3f}", f"{base_c:.3f}", "1.00"]
        )
        w, c = timed(members, args.repeat)
        table.append(
            ["zone", "baseline: 4 members + zone", f"{w:.3f}", f"{c:.3f}", f"{c / base_c:.2f}"]
        )
        print(f"supply network loaded in {load:.2f} s (not timed below); median of {args.repeat}")
        print_table(["country", "what", "wall s", "cpu s", "cpu × whole frame"], table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
