"""Benchmark: structural gravity GE (baseline + one counterfactual) against gegravity 0.3.

Two cases, each a baseline (costs, MRs) plus one PTA counterfactual with results:

- gegravity's 30-country sample (2006), its published estimates, Canada–Japan PTA;
- a 200-country synthetic case (seeded): random sizes, locations on a plane,
  contiguity for close pairs, random languages and PTA blocs; a PTA between the
  first two countries.

gegravity is NOT a dependency of friendshore; it runs from a separate
environment (``/tmp/gegravity-venv``, see ``benchmarks/gegravity_reference.py``)
through that script, which times only its model calls (interpreter start-up and
imports excluded). Without that environment the benchmark says so and times
friendshore alone. Agreement: the largest relative difference over countries
of the baseline MRs and the welfare statistic, and the largest absolute
difference of the % changes in real GDP and exports (percentage points);
gegravity's default MR tolerance, 1e-8, bounds both (docs/policy_ge.md).

    python benchmarks/bench_ge.py [--repeat 20] [--peer-repeat 3] [--countries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.data.gravity_files import gravity_sample_path, read_gravity_data
from friendshore.policy import ge

PEER_PYTHON = Path("/tmp/gegravity-venv/bin/python")
SCRIPT = Path(__file__).parent / "gegravity_reference.py"
REFERENCE = Path(__file__).parents[1] / "tests" / "policy" / "data" / "gegravity_reference.json"
#: gegravity's published estimates for the sample (with its constant), as stored.
ESTIMATES = json.loads(REFERENCE.read_text(encoding="utf-8"))["estimates"]


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """A square gravity data set of ``n`` countries (codes A000…), year 2006."""
    rng = np.random.default_rng(seed)
    codes = [f"A{k:03d}" for k in range(n)]
    xy = rng.uniform(0, 100, size=(n, 2))
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, 0.5)
    lang = rng.integers(0, 8, size=n)
    bloc = rng.integers(0, 12, size=n)
    size = rng.lognormal(10, 1.5, size=n)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    intl = (i != j).astype(float)
    frame = pd.DataFrame(
        {
            "exporter": np.array(codes)[i],
            "importer": np.array(codes)[j],
            "year": 2006,
            "Y": size[i],
            "E": size[j] * rng.uniform(0.9, 1.1, size=n)[j],
            "pta": ((bloc[i] == bloc[j]) & (i != j)).astype(float),
            "contiguity": ((dist.ravel() < 8) & (i != j)).astype(float),
            "common_language": (lang[i] == lang[j]).astype(float),
            "lndist": np.log(dist.ravel() * 100),
            "international": intl,
        }
    )
    frame["trade"] = np.round(size[i] * size[j] / size.sum() * np.exp(-3.4 * intl), 3)
    return frame[["exporter", "importer", "year", "trade", *frame.columns[3:-1]]]


def ours(data: pd.DataFrame, pair: tuple[str, str]) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """Seconds for baseline + counterfactual, the MRs and the country results."""
    coef = {name: beta for name, beta, _ in ESTIMATES}
    start = time.perf_counter()
    base = ge.build_baseline(
        data, coef, sigma=5.0, reference="DEU" if "DEU" in set(data["importer"]) else None
    )
    result = ge.simulate(base, ge.with_zone(data, list(pair)), members=list(pair))
    seconds = time.perf_counter() - start
    return seconds, base.mr_table(), result.countries.set_index("country")


def peer(path: Path, pair: tuple[str, str], reference: str, out: Path) -> float:
    """Seconds gegravity 0.3 takes (its own timing), results written to ``out``."""
    proc = subprocess.run(
        [
            str(PEER_PYTHON),
            str(SCRIPT),
            str(path),
            str(out),
            "--pair",
            ",".join(pair),
            "--reference",
            reference,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"gegravity failed:\n{proc.stderr[-2000:]}")
    return float(json.loads(out.read_text(encoding="utf-8"))["seconds"])


def agreement(mr: pd.DataFrame, res: pd.DataFrame, ref: dict[str, Any]) -> tuple[float, float]:
    """Agreement with gegravity: max relative diff of levels, max abs diff of % changes (pp).

    Levels: baseline MRs and the welfare statistic. Changes: real GDP and exports.
    """
    levels, changes = 0.0, 0.0
    for c, row in ref["countries"].items():
        for a, b in [
            (mr.loc[c, "imr"], row["baseline_imr"]),
            (mr.loc[c, "omr"], row["baseline_omr"]),
            (res.loc[c, "welfare_statistic"], row["welfare_statistic"]),
        ]:
            levels = max(levels, abs(float(a) - b) / abs(b))
        for key in ("real_gdp_change_pct", "exports_change_pct"):
            changes = max(changes, abs(float(res.loc[c, key]) - row[key]))
    return levels, changes


def main() -> None:
    """Run both cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of friendshore per case")
    parser.add_argument("--peer-repeat", type=int, default=3, help="runs of gegravity per case")
    parser.add_argument("--countries", type=int, default=200)
    args = parser.parse_args()
    have_peer = PEER_PYTHON.exists()
    if not have_peer:
        print(
            f"gegravity 0.3 not found at {PEER_PYTHON}: timing friendshore only "
            "(see benchmarks/gegravity_reference.py to install it)"
        )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        synth = Path(tmp) / "synthetic.csv"
        synthetic(args.countries).to_csv(synth, index=False)
        cases = [
            ("gegravity sample (30)", gravity_sample_path(), ("CAN", "JPN"), "DEU"),
            (f"synthetic ({args.countries})", synth, ("A000", "A001"), "A000"),
        ]
        for label, path, pair, reference in cases:
            data = read_gravity_data(path)
            for _ in range(3):  # warm-up
                ours(data, pair)
            runs = [ours(data, pair) for _ in range(args.repeat)]
            t_ours = median([r[0] for r in runs])
            _, mr, res = runs[0]
            if have_peer:
                out = Path(tmp) / "peer.json"
                times = [peer(path, pair, reference, out) for _ in range(args.peer_repeat)]
                t_peer = median(times)
                ref = json.loads(out.read_text(encoding="utf-8"))
                levels, changes = agreement(mr, res, ref)
                rows.append(
                    [
                        label,
                        f"{t_ours * 1e3:.1f}",
                        f"{t_peer * 1e3:.0f}",
                        f"{t_peer / t_ours:.0f}x",
                        f"{levels:.1e}",
                        f"{changes:.1e}",
                    ]
                )
            else:
                rows.append([label, f"{t_ours * 1e3:.1f}", "—", "—", "—", "—"])
    load = os.getloadavg()[0]
    print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
    print(
        f"GE baseline + one PTA counterfactual; medians of {args.repeat} (friendshore) "
        f"and {args.peer_repeat} (gegravity 0.3) runs"
    )
    print_table(
        [
            "case",
            "friendshore ms",
            "gegravity ms",
            "speed-up",
            "MR/welfare rel diff",
            "% change diff (pp)",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
