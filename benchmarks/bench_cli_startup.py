"""Benchmark: start-up of the command line (target: `friendshore --help` under 0.5 s).

Each command runs in a fresh process, `--repeat` times; medians are printed with
their ratio to the interpreter alone (`python -c pass`), the floor any command
pays. Building the Typer app must not import pandas, DuckDB, plotly, FastAPI,
linopy or Dask: the commands import the layers below when they run.

    python benchmarks/bench_cli_startup.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parent))
from _util import command_seconds

TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "friendshore.cli.main"]
    cases = {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "friendshore --help": [*cli, "--help"],
        "friendshore assess --help": [*cli, "assess", "--help"],
        "friendshore invest optimize --help": [*cli, "invest", "optimize", "--help"],
        "import friendshore": [sys.executable, "-c", "import friendshore"],
    }
    command_seconds(cases["friendshore --help"])  # warm the file system cache and .pyc files
    times = {
        name: statistics.median(command_seconds(cmd) for _ in range(args.repeat))
        for name, cmd in cases.items()
    }
    base = times["python -c pass (baseline)"]
    print(f"CLI start-up, median of {args.repeat} runs (target `--help` < {TARGET_S} s)")
    print(f"{'command':<40}{'seconds':>9}{'ratio':>8}")
    for name, sec in times.items():
        print(f"{name:<40}{sec:>9.3f}{sec / base:>8.1f}")
    worst = max(times["friendshore --help"], times["friendshore assess --help"])
    print("PASS" if worst < TARGET_S else "FAIL", f"(slowest --help {worst:.3f} s)")


if __name__ == "__main__":
    main()
