"""Benchmark: import a full-size BACI year file into the store vs ``pandas.read_csv``.

Generates a file in BACI's real release format (``t,i,j,k,v,q``; real BACI
country codes, the 72 HS6 codes of the bundled product list, 2015–2024, values in
thousand USD with 3 decimals, some empty quantities; sorted by year, exporter,
importer and product like a release file, unique keys), then measures, each in a
fresh subprocess so peak RSS is the step's own:

* ``load_baci``: friendshore's streaming import into a fresh DuckDB file store;
* ``pandas.read_csv``: a plain read of the same file into memory (baseline).

Run ``python benchmarks/bench_baci_import.py`` (``--rows`` to shrink, ``--repeat``
for the number of runs; the median is reported). Targets: at least one million
rows per second and under 2 GiB peak RSS for ``load_baci``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import ChildResult, median, print_table, report_child, run_child

OUT = Path(__file__).resolve().parent / "out"
RELEASE = "V202401b"
YEARS = tuple(range(2015, 2025))


def _weights(values: pd.Series, universe: np.ndarray) -> np.ndarray:
    """Frequency of each code of ``universe`` in ``values`` (at least 1), normalised."""
    import numpy as np  # noqa: PLC0415

    counts = values.value_counts().reindex(universe, fill_value=0).to_numpy(dtype=float)
    w = np.maximum(counts, 1.0)
    return w / w.sum()


def generate(path: Path, rows: int, *, seed: int = 20240101) -> None:
    """Write a ``rows``-row BACI-format CSV to ``path``.

    Country and product frequencies follow the bundled real BACI subset; each
    (year, exporter, importer, product) key is drawn at most once.
    """
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pacsv  # noqa: PLC0415

    from friendshore.data.resources import bundled_path  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    real = pd.read_csv(
        bundled_path("baci", "baci_HS92_V202401b_trade_2015_2024.csv.gz"),
        dtype={"k": "int32"},
        usecols=["i", "j", "k", "v"],
    )
    products = pd.read_csv(
        bundled_path("baci", "baci_product_codes_HS92_V202401b_subset.csv"), dtype=str
    )["code"].to_numpy(dtype=np.int32)
    countries = np.union1d(real["i"].unique(), real["j"].unique()).astype(np.int32)
    wi = _weights(real["i"], countries)
    wj = _weights(real["j"], countries)
    wk = _weights(real["k"], products)
    n_c, n_k = len(countries), len(products)
    # Probability of each (i, j, k) key in a year, proportional to the weights.
    base = (wi[:, None, None] * wj[None, :, None] * wk[None, None, :]).ravel()
    base[np.repeat(np.eye(n_c, dtype=bool).ravel(), n_k)] = 0.0
    per_year = rows * 1.02 / len(YEARS)
    if per_year > (base > 0).sum() * 0.95:
        raise SystemExit(f"--rows {rows} is too many for unique keys")
    lo, hi = 0.0, per_year / base[base > 0].min()
    for _ in range(60):  # scale so that sum(min(1, c * base)) == per_year
        c = (lo + hi) / 2
        if np.minimum(1.0, c * base).sum() < per_year:
            lo = c
        else:
            hi = c
    prob = np.minimum(1.0, hi * base)
    keys = [np.flatnonzero(rng.random(prob.size) < prob) for _ in YEARS]
    year = np.concatenate(
        [np.full(len(k), y, dtype=np.int32) for y, k in zip(YEARS, keys, strict=True)]
    )
    flat = np.concatenate(keys)
    keep = np.sort(rng.choice(len(flat), size=min(rows, len(flat)), replace=False))
    year, flat = year[keep], flat[keep]
    i = countries[flat // (n_c * n_k)]
    j = countries[(flat // n_k) % n_c]
    k = products[flat % n_k]
    n = len(flat)
    v = np.round(np.maximum(rng.lognormal(mean=2.0, sigma=2.8, size=n), 0.001), 3)
    q = np.round(v * rng.lognormal(mean=0.0, sigma=1.5, size=n), 3)
    q_mask = rng.random(n) < 0.05  # BACI has no quantity for a few percent of flows
    table = pa.table(
        {
            "t": year,
            "i": i,
            "j": j,
            "k": k,
            "v": v,
            "q": pa.array(q, mask=q_mask),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(
        table, path, write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    )


def child_load(file: Path, db: Path) -> None:
    """Measured step: ``load_baci`` into a fresh DuckDB file (run in a child).

    Imports happen here, not at module level, so that each child's peak RSS
    holds only what its own method needs.
    """
    import duckdb  # noqa: PLC0415

    from friendshore.data.readers.baci import load_baci  # noqa: PLC0415
    from friendshore.data.resources import bundled_path  # noqa: PLC0415
    from friendshore.data.schema import create_table_sql  # noqa: PLC0415

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(create_table_sql("trade"))
    con.execute(create_table_sql("unmapped"))
    codes = bundled_path("baci", "baci_country_codes_V202401b.csv")
    calls: list[tuple[int, int]] = []
    start = time.perf_counter()
    report = load_baci(
        con,
        file,
        release=RELEASE,
        country_codes=codes,
        progress=lambda done, total: calls.append((done, total)),
    )
    seconds = time.perf_counter() - start
    con.close()
    db.unlink(missing_ok=True)
    report_child(seconds, rows=report.rows, progress_calls=len(calls))


def child_pandas(file: Path) -> None:
    """Measured step: plain ``pandas.read_csv`` of the same file (run in a child)."""
    import pandas as pd  # noqa: PLC0415

    start = time.perf_counter()
    frame = pd.read_csv(file)
    seconds = time.perf_counter() - start
    report_child(seconds, rows=len(frame), progress_calls=0)


def main(argv: list[str] | None = None) -> None:
    """Generate the file, run each method ``--repeat`` times and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--dir", type=Path, default=None, help="work dir (default: a temp dir)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated file in benchmarks/out and reuse it"
    )
    parser.add_argument("--child", choices=["load", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "load":
        child_load(args.file, args.db)
        return
    if args.child == "pandas":
        child_pandas(args.file)
        return

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = OUT if args.keep else Path(tmp)
        file = work / f"BACI_HS92_Ybench_{RELEASE}.csv"
        if args.keep and file.exists() and _rows_in(file) == args.rows:
            print(f"reusing {file}")
        else:
            start = time.perf_counter()
            generate(file, args.rows)
            print(
                f"generated {file.name}: {args.rows:,} rows, "
                f"{file.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - start:.1f} s"
            )
        script = str(Path(__file__).resolve())
        db = str(Path(tmp) / "bench.duckdb")
        results: dict[str, list[ChildResult]] = {"load_baci": [], "pandas.read_csv": []}
        for _ in range(args.repeat):
            results["load_baci"].append(
                run_child([script, "--child", "load", "--file", str(file), "--db", db])
            )
            results["pandas.read_csv"].append(
                run_child([script, "--child", "pandas", "--file", str(file)])
            )
        _print_results(results, args.repeat)


def _print_results(results: dict[str, list[ChildResult]], repeat: int) -> None:
    base_s = median([r.seconds for r in results["pandas.read_csv"]])
    base_rss = median([r.peak_rss_mib for r in results["pandas.read_csv"]])
    rows_out = []
    for name, runs in results.items():
        s = median([r.seconds for r in runs])
        rss = median([r.peak_rss_mib for r in runs])
        n = int(runs[0].payload["rows"])
        rows_out.append(
            [
                name,
                f"{n:,}",
                f"{s:.2f}",
                f"{n / s:,.0f}",
                f"{rss:,.0f}",
                f"{s / base_s:.2f}",
                f"{rss / base_rss:.2f}",
                str(runs[0].payload["progress_calls"]),
            ]
        )
    print(f"median of {repeat} run(s), each in a fresh process")
    print_table(
        [
            "method",
            "rows",
            "seconds",
            "rows/s",
            "peak RSS MiB",
            "time vs pandas",
            "RSS vs pandas",
            "progress calls",
        ],
        rows_out,
    )


def _rows_in(file: Path) -> int:
    with file.open("rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b"")) - 1


if __name__ == "__main__":
    main()
