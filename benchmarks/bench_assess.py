"""Benchmark: `friendshore assess` end to end on the bundled data (target: under 10 s).

Each command runs in a fresh process (interpreter start and imports included),
`--repeat` times; medians are printed. Baseline in the same run: reading the
store into the supply network and nothing else (the floor every assessment pays).

    python benchmarks/bench_assess.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = (
    "import sys; from pathlib import Path; "
    "from friendshore.model.supply import SupplyNetwork; "
    "SupplyNetwork.from_store(Path(sys.argv[1]))"
)


def _seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return elapsed


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
            name: statistics.median(_seconds(cmd) for _ in range(args.repeat))
            for name, cmd in cases.items()
        }
    base = times["read the store only (baseline)"]
    print(f"friendshore assess on the bundled data, median of {args.repeat} runs (target < 10 s)")
    print(f"{'command':<48}{'seconds':>9}{'ratio':>8}")
    for name, sec in times.items():
        print(f"{name:<48}{sec:>9.2f}{sec / base:>8.2f}")
    worst = max(times.values())
    print("PASS" if worst < 10 else "FAIL", f"(slowest {worst:.1f} s vs target 10 s)")


if __name__ == "__main__":
    main()
