"""Benchmark: `friendshore assess` end to end on the bundled data (target: under 10 s).

Each command runs in a fresh process (interpreter start and imports included),
`--repeat` times; medians are printed. Baseline in the same run: reading the
store into the supply network and nothing else (the floor every assessment pays).

Then, in one process after loading (targets: < 0.5 s and < 1 s): the U.S. balance
of USGS's salient statistics (`metrics.published.us_balance`, every commodity ×
series × year) and the material balance of every member × mineral × stage × year
(`metrics.balance.material_balance` with that U.S. balance), medians of `--repeat`.

    python benchmarks/bench_assess.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import command_seconds

BASELINE = (
    "import sys; from pathlib import Path; "
    "from friendshore.model.supply import SupplyNetwork; "
    "SupplyNetwork.from_store(Path(sys.argv[1]))"
)


IN_PROCESS = """
import json, statistics, sys, time
from pathlib import Path
from friendshore.data.queries import read_salient
from friendshore.metrics.balance import material_balance
from friendshore.metrics.published import us_balance
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
store, repeat = Path(sys.argv[1]), int(sys.argv[2])
network = SupplyNetwork.from_store(store)
salient = read_salient(store)
zone = default_zone()
def median(f):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(out)
us_s, us_n = median(lambda: us_balance(salient))
us = us_balance(salient)
bal_s, bal_n = median(lambda: material_balance(network, zone, us=us))
print(json.dumps({"salient_rows": len(salient), "us_balance_s": us_s, "us_rows": us_n,
                  "balance_s": bal_s, "balance_rows": bal_n}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = [sys.executable, "-m", "friendshore.cli.main"]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.duckdb"
        subprocess.run([*exe, "data", "build", "--store", str(store)], check=True)
        cases = {
            "friendshore assess (with HTML report)": [
                *exe,
                "assess",
                "--store",
                str(store),
                "--out",
                str(Path(tmp) / "report"),
            ],
            "friendshore assess --format json --no-report": [
                *exe,
                "assess",
                "--store",
                str(store),
                "--format",
                "json",
                "--no-report",
            ],
            "read the store only (baseline)": [sys.executable, "-c", BASELINE, str(store)],
        }
        times = {
            name: statistics.median(command_seconds(cmd) for _ in range(args.repeat))
            for name, cmd in cases.items()
        }
        proc = subprocess.run(
            [sys.executable, "-c", IN_PROCESS, str(store), str(args.repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
        inner = json.loads(proc.stdout.strip().splitlines()[-1])
    base = times["read the store only (baseline)"]
    print(f"friendshore assess on the bundled data, median of {args.repeat} runs (target < 10 s)")
    print(f"{'command':<48}{'seconds':>9}{'ratio':>8}")
    for name, sec in times.items():
        print(f"{name:<48}{sec:>9.2f}{sec / base:>8.2f}")
    worst = max(times.values())
    print("PASS" if worst < 10 else "FAIL", f"(slowest {worst:.1f} s vs target 10 s)")
    print()
    print(f"after loading, one process, median of {args.repeat} runs")
    print(f"{'step':<64}{'seconds':>9}{'target':>8}")
    print(
        f"{'us_balance, ' + str(inner['salient_rows']) + ' salient rows -> '}"
        f"{inner['us_rows']} balances".ljust(64)
        + f"{inner['us_balance_s']:>9.3f}{0.5:>8}"
    )
    label = f"material_balance, every member x mineral x stage x year ({inner['balance_rows']})"
    print(f"{label:<64}{inner['balance_s']:>9.3f}{1.0:>8}")


if __name__ == "__main__":
    main()
