"""Benchmark: GeoPolRisk, friendshore against the geopolrisk-py 2.0.1 package, same cases.

The peer runs in its own virtual environment (``--venv``, created and filled
with ``pip install geopolrisk-py==2.0.1`` on first use; default
``benchmarks/out/geopolrisk-venv``), with ``HOME`` pointed at a scratch folder
because the package writes its logs and results under ``~/Documents``. It
computes every (country, raw material, year) case of the set below with its own
bundled BACI, WGI and World Mining Data (WMD). friendshore computes the same
cases on the store built from the bundled data (the same BACI release, USGS and
IEA production, the WGI 2024 update), and a second time on the package's own
inputs (its WMD production, its normalised WGI, its trade rows), which isolates
the method from the data: that row must agree to rounding.

Timings: the peer's public ``gprs_calc`` (which also writes an Excel file and a
SQLite table) and its core functions alone (``mapped_baci`` once, then
``aggregateTrade``, ``HHI``, ``GeoPolRisk`` per case); friendshore's
``production_shares`` + ``geopolrisk`` for every mineral, stage, year and
country at once. Loading the data is not timed on either side (the package
reads its SQLite files at import: about 25 s).

    python benchmarks/bench_geopolrisk.py [--repeat 3] [--peer-repeat 1] [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb
import pandas as pd

from friendshore.data.store import build_store

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _util import median, print_table, run_child  # noqa: E402

PEER = "geopolrisk-py==2.0.1"

#: The package's raw materials (``Reference ID`` of its HS Code Map) whose HS
#: codes are exactly those of one friendshore mineral and stage (checked at run
#: time against both concordances).
MATERIALS: dict[str, tuple[str, str]] = {
    "Aluminium": ("aluminum", "processing"),
    "Antimony": ("antimony", "mining"),
    "Baryte": ("barite", "mining"),
    "Bauxite": ("bauxite", "mining"),
    "Chromite": ("chromium", "mining"),
    "Cobalt": ("cobalt", "processing"),
    "Copper": ("copper", "mining"),
    "Fluorspar": ("fluorspar", "mining"),
    "Graphite": ("graphite", "mining"),
    "Lead": ("lead", "mining"),
    "Lithium": ("lithium", "processing"),
    "Manganese": ("manganese", "mining"),
    "Molybdenum": ("molybdenum", "mining"),
    "Nickel": ("nickel", "mining"),
    "Rare earth": ("rare_earths", "processing"),
    "Silver": ("silver", "mining"),
    "Tin": ("tin", "mining"),
    "Zinc": ("zinc", "mining"),
}
COUNTRIES: list[str] = ["USA", "JPN", "DEU", "FRA", "KOR", "IND"]
YEARS: list[int] = [2021, 2022, 2023]

PEER_SCRIPT = textwrap.dedent(
    r"""
    import json, sys, time
    from pathlib import Path
    spec = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    t = time.perf_counter()
    from geopolrisk.assessment import core, main, utils
    from geopolrisk.assessment.database import databases
    load_s = time.perf_counter() - t
    iso = databases.production["Country_ISO"]
    name_of = {c: iso.loc[iso["ISO"].astype(int) == code, "Country"].iloc[0]
               for c, code in spec["codes"].items()}
    iso3_of = {v: k for k, v in name_of.items()}
    years, materials = spec["years"], spec["materials"]
    names = [name_of[c] for c in spec["countries"]]

    gprs_s = []
    for _ in range(spec["peer_repeat"]):
        t = time.perf_counter()
        res = main.gprs_calc(years, names, materials)
        gprs_s.append(time.perf_counter() - t)

    t = time.perf_counter()
    data = utils.mapped_baci()
    rows = []
    for year in years:
        for name in names:
            for rm in materials:
                num, total, price = utils.aggregateTrade(year, [name], rm, data)
                prod, hhi = core.HHI(rm, int(year), name)
                score, cf, wta = core.GeoPolRisk(num, total, price, prod, hhi)
                rows.append({"country": iso3_of[name], "material": rm, "year": year,
                             "score": score, "hhi": hhi, "import_risk": wta,
                             "numerator": num, "imports_t": total, "production_t": prod})
    core_s = time.perf_counter() - t
    core_rows = {(r["country"], r["material"], r["year"]): r["score"] for r in rows}
    for _, r in res.iterrows():
        key = (iso3_of[r["Country [Economic Entity]"]], r["Raw Material"], int(r["Year"]))
        assert abs(core_rows[key] - r["GeoPolRisk Score"]) < 1e-12 or (
            core_rows[key] != core_rows[key]), key
    (out / "peer_results.json").write_text(json.dumps(rows))

    # the package's inputs, for friendshore to recompute the same cases from
    def g(x):  # utils.wgi_func: a missing WGI match counts 0.5
        if isinstance(x, float):
            return x
        if x is None or str(x).strip() == "NA":
            return 0.5
        return float(x)
    codes = set(spec["codes"].values())
    flows = data[data["period"].isin(years) & data["reporterCode"].isin(codes)
                 & data["rawMaterial"].isin(materials)].copy()
    flows["g"] = flows["partnerWGI"].apply(g).astype(float)
    flows[["period", "reporterCode", "partnerCode", "rawMaterial", "qty", "cifvalue", "g"]
          ].to_csv(out / "peer_flows.csv", index=False)
    prod = []
    for rm in materials:
        df = utils.getProd(rm)
        df = df[df["Country_Code"] != "DELETE"]
        for year in years:
            for _, r in df.iterrows():
                prod.append({"material": rm, "year": year, "code": int(r["Country_Code"]),
                             "value": r[str(year)], "unit": r["unit"]})
    pd = __import__("pandas")
    pd.DataFrame(prod).to_csv(out / "peer_production.csv", index=False)
    (out / "peer_hs.json").write_text(json.dumps(
        {k: sorted(str(c) for c in v) for k, v in utils.Mapping().items()}))
    print(json.dumps({"load_s": load_s, "gprs_s": gprs_s, "core_s": core_s}))
    """
)

OURS_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from _util import median, report_child
    from friendshore._core.types import ISO3
    from friendshore.metrics.risk import geopolrisk
    from friendshore.metrics.shares import production_shares
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    spec = json.loads(Path(sys.argv[2]).read_text())
    net = SupplyNetwork.from_store(Path(sys.argv[1]))
    rows, totals = net.default_production()
    zone = Zone(name="benchmark", members={c: frozenset({ISO3(c)}) for c in spec["countries"]})
    times = []
    for _ in range(spec["repeat"]):
        t = time.perf_counter()
        shares = production_shares(rows, totals)
        out = geopolrisk(shares, net.trade, net.governance, zone, totals=totals)
        times.append(time.perf_counter() - t)
    out.to_csv(sys.argv[3], index=False)
    report_child(median(times), times=times, rows=len(out))
    """
)

REPLAY_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import pandas as pd
    sys.path.insert(0, sys.argv[4])
    from _util import median, report_child
    from friendshore._core.types import ISO3
    from friendshore.metrics.risk import geopolrisk
    from friendshore.model.zone import Zone
    spec = json.loads(Path(sys.argv[2]).read_text())
    folder = Path(sys.argv[1])
    iso3_of = {code: c for c, code in spec["codes"].items()}
    # production as the package reads it: NULL -> 0, HHI on whole tonnes (it
    # casts to int), the importer's own figure in tonnes (kg converted)
    prod = pd.read_csv(folder / "peer_production.csv")
    prod["value"] = prod["value"].fillna(0.0).astype(float)
    prod["hhi_value"] = prod["value"].astype(int).astype(float)
    total = prod.groupby(["material", "year"])["hhi_value"].transform("sum")
    to_t = prod["unit"].map({"kg": 0.001}).fillna(1.0)
    shares = pd.DataFrame({
        "source": "WMD", "mineral_id": prod["material"], "stage": "package",
        "product": "", "year": prod["year"],
        "country": prod["code"].map(iso3_of).fillna("C" + prod["code"].astype(str)),
        "quantity_t": prod["value"] * to_t, "status": "reported",
        "world_quantity_t": total, "share": prod["hhi_value"] / total,
    })
    flows = pd.read_csv(folder / "peer_flows.csv")
    trade = pd.DataFrame({
        "year": flows["period"], "exporter": "C" + flows["partnerCode"].astype(str),
        "importer": flows["reporterCode"].map(iso3_of), "hs6": "",
        "mineral_id": flows["rawMaterial"], "stage": "package",
        "value_usd": flows["cifvalue"] * 1000.0, "quantity_t": flows["qty"],
        "content_t": float("nan"),
    })
    # a PV estimate whose normalisation is the package's g exactly
    gov = (flows.assign(country="C" + flows["partnerCode"].astype(str))
           .drop_duplicates(["country", "period"]))
    governance = pd.DataFrame({"country": gov["country"], "year": gov["period"],
                               "pv": 2.5 - 5.0 * gov["g"]})
    for col in ("va", "ge", "rq", "rl", "cc"):
        governance[col] = float("nan")
    zone = Zone(name="benchmark", members={c: frozenset({ISO3(c)}) for c in spec["countries"]})
    times = []
    for _ in range(spec["repeat"]):
        t = time.perf_counter()
        out = geopolrisk(shares, trade, governance, zone, min_coverage=0.0)
        times.append(time.perf_counter() - t)
    out.to_csv(sys.argv[3], index=False)
    report_child(median(times), times=times, rows=len(out))
    """
)


def _peer_python(venv: Path) -> Path:
    """The peer's interpreter, creating its virtual environment on first use."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('geopolrisk-py'))"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == PEER.split("==")[1]:
            return python
    print(f"creating {venv} with {PEER} …", flush=True)
    for step in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", PEER],
    ):
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"cannot set up the peer ({' '.join(step)}):\n{done.stderr[-2000:]}")
    return python


def _store(path: Path | None, scratch: Path) -> Path:
    if path is not None:
        return path
    target = scratch / "bench.duckdb"
    build_store(target)
    return target


def _check_materials(store: Path, peer_hs: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(store), read_only=True)
    ours = con.execute(
        "SELECT mineral_id, stage, list(hs6 ORDER BY hs6) FROM hs_concordance "
        "WHERE mineral_id IS NOT NULL GROUP BY ALL"
    ).fetchall()
    con.close()
    codes = {(m, s): sorted(c) for m, s, c in ours}
    kept = {}
    for material, key in MATERIALS.items():
        if sorted(peer_hs.get(material, [])) == codes.get(key):
            kept[material] = key
        else:
            print(
                f"  dropped {material}: HS codes differ {peer_hs.get(material)} vs {codes.get(key)}"
            )
    return kept


def _baci_codes(store: Path) -> dict[str, int]:
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute(
        "SELECT importer, min(importer_code) FROM trade_latest WHERE importer IN "
        f"({', '.join('?' for _ in COUNTRIES)}) GROUP BY importer",
        COUNTRIES,
    ).fetchall()
    con.close()
    return {str(c): int(code) for c, code in rows}


def _fmt(x: float, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of friendshore")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs of gprs_calc")
    parser.add_argument("--venv", type=Path, default=HERE / "out" / "geopolrisk-venv")
    parser.add_argument("--store", type=Path, default=None, help="a built store (else built)")
    args = parser.parse_args()
    python = _peer_python(args.venv)

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        store = _store(args.store, scratch)
        spec = {
            "countries": COUNTRIES,
            "codes": _baci_codes(store),
            "years": YEARS,
            "materials": list(MATERIALS),
            "repeat": args.repeat,
            "peer_repeat": args.peer_repeat,
        }
        (scratch / "spec.json").write_text(json.dumps(spec))
        (scratch / "home").mkdir()
        env = {**os.environ, "HOME": str(scratch / "home")}
        peer = subprocess.run(
            [str(python), "-c", PEER_SCRIPT, str(scratch / "spec.json"), str(scratch)],
            capture_output=True,
            text=True,
            check=False,
            cwd=scratch,
            env=env,
        )
        if peer.returncode != 0:
            raise SystemExit(f"geopolrisk-py failed:\n{peer.stderr[-3000:]}")
        timing = json.loads(peer.stdout.strip().splitlines()[-1])
        materials = _check_materials(store, json.loads((scratch / "peer_hs.json").read_text()))
        peer_rows = pd.DataFrame(json.loads((scratch / "peer_results.json").read_text()))
        peer_rows = peer_rows[peer_rows["material"].isin(materials)]

        ours = run_child(
            [
                "-c",
                OURS_SCRIPT,
                str(store),
                str(scratch / "spec.json"),
                str(scratch / "ours.csv"),
                str(HERE),
            ]
        )
        replay = run_child(
            [
                "-c",
                REPLAY_SCRIPT,
                str(scratch),
                str(scratch / "spec.json"),
                str(scratch / "replay.csv"),
                str(HERE),
            ]
        )
        ours_frame = pd.read_csv(scratch / "ours.csv")
        replay_frame = pd.read_csv(scratch / "replay.csv")

    key = pd.DataFrame(
        [(m, mineral, stage) for m, (mineral, stage) in materials.items()],
        columns=["material", "mineral_id", "stage"],
    )
    cases = peer_rows.merge(key, on="material").rename(columns={"country": "member"})
    own = cases.merge(
        ours_frame[
            [
                "mineral_id",
                "stage",
                "year",
                "member",
                "geopolrisk",
                "hhi",
                "production_t",
                "imports_t",
                "note",
            ]
        ],
        on=["mineral_id", "stage", "year", "member"],
        how="left",
        suffixes=("_peer", ""),
    )
    rep = cases.merge(
        replay_frame[["mineral_id", "year", "member", "geopolrisk"]].rename(
            columns={"mineral_id": "material"}
        ),
        on=["material", "year", "member"],
        how="left",
    )

    def diffs(frame: pd.DataFrame) -> tuple[int, float, float]:
        both = frame[frame["geopolrisk"].notna() & frame["score"].notna()]
        absd = (both["geopolrisk"] - both["score"]).abs()
        reld = absd / both["score"].abs().where(both["score"] != 0)
        return len(both), float(absd.max()), float(reld.max())

    n_cases = len(cases)
    peer_s = median(timing["gprs_s"])
    n_rep, abs_rep, rel_rep = diffs(rep)
    n_own, abs_own, rel_own = diffs(own)
    print(
        f"GeoPolRisk: {len(COUNTRIES)} countries × {len(materials)} raw materials × "
        f"{len(YEARS)} years = {n_cases} cases; peer {PEER} "
        f"(its data load at import, {timing['load_s']:.0f} s, not timed)"
    )
    print_table(
        ["method", "cases", "median s", "ratio", "max abs diff", "max rel diff"],
        [
            [
                f"{PEER} gprs_calc (peer, with its file output)",
                str(n_cases),
                f"{peer_s:.2f}",
                "1.000",
                "—",
                "—",
            ],
            [
                f"{PEER} core functions only",
                str(n_cases),
                f"{timing['core_s']:.2f}",
                f"{timing['core_s'] / peer_s:.3f}",
                "—",
                "—",
            ],
            [
                "friendshore on the package's inputs",
                str(n_rep),
                f"{replay.seconds:.3f}",
                f"{replay.seconds / peer_s:.4f}",
                _fmt(abs_rep),
                _fmt(rel_rep),
            ],
            [
                "friendshore on its store (all minerals, years)",
                str(n_own),
                f"{ours.seconds:.3f}",
                f"{ours.seconds / peer_s:.4f}",
                _fmt(abs_own),
                _fmt(rel_own),
            ],
        ],
    )
    print(
        "\nfriendshore on its store computes every mineral × stage × year × country of the "
        f"store in one pass ({ours.payload['rows']} rows), not just the {n_cases} cases."
    )
    missing = own[own["geopolrisk"].isna()]
    if len(missing):
        print(f"\n{len(missing)} cases without a friendshore value on its store, by reason:")
        for reason, count in missing["note"].fillna("no trade row").value_counts().items():
            print(f"  {count:4d}  {reason}")
    per = own[own["geopolrisk"].notna()].copy()
    per["rel"] = (per["geopolrisk"] - per["score"]) / per["score"].where(per["score"] != 0)
    by = per.groupby("material").agg(
        cases=("rel", "size"),
        hhi_peer=("hhi_peer", "median"),
        hhi_ours=("hhi", "median"),
        median_rel_diff=("rel", "median"),
        max_abs_rel_diff=("rel", lambda s: s.abs().max()),
    )
    print("\nfriendshore on its store vs the peer, by raw material (HHI medians over cases):")
    print_table(
        ["material", "cases", "HHI peer (WMD)", "HHI ours", "median rel diff", "max |rel diff|"],
        [
            [
                m,
                str(int(r.cases)),
                _fmt(r.hhi_peer),
                _fmt(r.hhi_ours),
                f"{r.median_rel_diff:+.3f}",
                _fmt(r.max_abs_rel_diff),
            ]
            for m, r in by.iterrows()
        ],
    )
    top = per.reindex(per["rel"].abs().sort_values(ascending=False).index).head(8)
    print("\nlargest relative differences (p: the importer's production, F: its imports, t):")
    print_table(
        ["country", "material", "year", "peer", "ours", "p peer", "p ours", "F peer", "F ours"],
        [
            [
                r.member,
                r.material,
                str(r.year),
                _fmt(r.score),
                _fmt(r.geopolrisk),
                _fmt(r.production_t_peer),
                _fmt(r.production_t),
                _fmt(r.imports_t_peer),
                _fmt(r.imports_t),
            ]
            for r in top.itertuples()
        ],
    )
    print(
        "\nDifferences on the store come from the data, not the method (the package's-inputs row "
        "agrees to rounding):\n"
        "  production: USGS MCS / IEA CMDE (the default source per stage) vs World Mining Data, "
        "which counts mine output even where the HS codes are a refined product (cobalt, "
        "lithium, rare earths: the package's HHI is mine concentration, ours refining);\n"
        "  the importer's own production p: USGS lists fewer countries (unlisted = 0) and "
        "rounds;\n"
        "  governance: WGI 2024 update (to 2023) vs the package's newer WGI (to 2024) and its "
        "0 for missing estimates / 0.5 for unmatched partners, where friendshore leaves the "
        "partner out and reports pv_coverage."
    )


if __name__ == "__main__":
    main()
