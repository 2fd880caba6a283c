"""Benchmark: `friendshore data build` from the bundled data (target: under 30 s).

Baseline in the same run: loading the same bundled files into DuckDB with no
cleaning at all (``read_csv_auto`` / ``read_xlsx`` straight into tables), the
I/O floor any build pays. Each run is a fresh subprocess; medians are printed.

    python benchmarks/bench_build.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

OURS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from friendshore.data.store import build_store
    t = time.perf_counter()
    build_store(Path(sys.argv[1]), force=True)
    print(time.perf_counter() - t)
    """
)

RAW = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import duckdb, pandas as pd
    from friendshore.data.resources import bundled_path
    t = time.perf_counter()
    con = duckdb.connect(sys.argv[1])
    root = bundled_path()
    for i, f in enumerate(sorted(root.rglob("*.csv")) + sorted(root.rglob("*.csv.gz"))):
        con.execute(
            f"CREATE TABLE t{i} AS SELECT * FROM read_csv_auto(?, all_varchar=true, "
            "null_padding=true, ignore_errors=true)", [str(f)]
        )
    for i, f in enumerate(sorted(root.rglob("*.xlsx"))):
        frame = pd.read_excel(f, sheet_name=None, engine="calamine")
        for j, sheet in enumerate(s for s in frame.values() if len(s.columns)):
            con.register("x", sheet.astype(str))
            con.execute(f"CREATE TABLE x{i}_{j} AS SELECT * FROM x")
            con.unregister("x")
    con.execute("CHECKPOINT")
    con.close()
    print(time.perf_counter() - t)
    """
)


def _time(script: str, target: Path) -> float:
    target.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", script, str(target)], check=False, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = [_time(OURS, Path(tmp) / "ours.duckdb") for _ in range(args.repeat)]
        raw = [_time(RAW, Path(tmp) / "raw.duckdb") for _ in range(args.repeat)]
    m_ours, m_raw = statistics.median(ours), statistics.median(raw)
    print(f"data build from bundled data, median of {args.repeat} runs (target < 30 s)")
    print(f"{'method':<40}{'seconds':>10}{'ratio':>8}")
    print(f"{'friendshore data build':<40}{m_ours:>10.2f}{m_ours / m_raw:>8.2f}")
    print(f"{'raw DuckDB load, no cleaning (baseline)':<40}{m_raw:>10.2f}{1.0:>8.2f}")
    print("PASS" if m_ours < 30 else "FAIL", f"(build {m_ours:.1f} s vs target 30 s)")


if __name__ == "__main__":
    main()
