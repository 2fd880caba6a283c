"""Helpers shared by the benchmarks: run a measured step in a fresh child process.

Each measured step runs in its own interpreter so that its peak resident set size
(RSS) is its own and not inflated by earlier steps or by the parent. The child
prints one JSON object on its last stdout line; :func:`run_child` parses it.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ChildResult:
    """What one child run measured.

    Attributes
    ----------
    seconds
        Wall-clock seconds of the measured step (excluding interpreter start-up).
    peak_rss_mib
        Peak resident set size of the child process, in MiB.
    payload
        Any other values the child reported (row counts …).
    """

    seconds: float
    peak_rss_mib: float
    payload: dict[str, Any]


def peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB.

    On Linux this is ``VmHWM`` from ``/proc/self/status``, which starts afresh at
    ``exec``; ``ru_maxrss`` would not do, as Linux carries it over from the
    parent across ``fork`` and ``exec``. Elsewhere ``ru_maxrss`` is used.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024


def report_child(seconds: float, **payload: Any) -> None:
    """Print the child's result as the last line of stdout (called in the child)."""
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(), **payload}))


def run_child(argv: Sequence[str]) -> ChildResult:
    """Run ``python argv…`` in a fresh process and return what it reported.

    Raises
    ------
    RuntimeError
        If the child fails; its stderr is included.
    """
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}):\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    seconds = float(data.pop("seconds"))
    rss = float(data.pop("peak_rss_mib"))
    return ChildResult(seconds, rss, data)


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``."""
    return float(statistics.median(values))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain, right-aligned text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def command_seconds(cmd: Sequence[str]) -> float:
    """Wall-clock seconds of one run of ``cmd``, start-up included; exit if it fails."""
    start = time.perf_counter()
    out = subprocess.run(list(cmd), check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return elapsed
