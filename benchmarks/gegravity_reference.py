"""Compute the gegravity 0.3 reference numbers pinned in tests/policy/data/.

Runs **gegravity 0.3's own example** (``examples/examples_OneSectorGE.py`` of
``peter-herman/gegravity``): the 30-country sample of 2006, the PPML estimates
published with it (ppmlhdfe, exporter and importer fixed effects), sigma = 5,
reference importer DEU, and the Canada–Japan PTA counterfactual (``pta`` = 1
for CAN→JPN and JPN→CAN). gegravity is NOT a dependency of friendshore: run
this with a separate environment, once, and commit the JSON it writes::

    python3 -m venv /tmp/gegravity-venv
    /tmp/gegravity-venv/bin/pip install gegravity==0.3
    /tmp/gegravity-venv/bin/python benchmarks/gegravity_reference.py \
        src/friendshore/data/bundled/gegravity_sample/sample_data_set.dlm \
        tests/policy/data/gegravity_reference.json
    # the same with gegravity's MR solver converged further (its option)
    /tmp/gegravity-venv/bin/python benchmarks/gegravity_reference.py \
        src/friendshore/data/bundled/gegravity_sample/sample_data_set.dlm \
        tests/policy/data/gegravity_reference_tol1e-12.json --mr-tolerance 1e-12

Each JSON records the exact command in its ``command`` field.
``benchmarks/bench_ge.py`` runs it in that environment (``--pair``,
``--reference``) to time gegravity; ``seconds`` is its in-process time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import gegravity as ge  # type: ignore[import-not-found]
import pandas as pd

#: The estimates printed in gegravity's example (Stata ppmlhdfe on the sample).
ESTIMATES = [
    ("lndist", -0.3898623, 0.0729915),
    ("contiguity", 0.891577, 0.1327354),
    ("common_language", 0.0326249, 0.0840702),
    ("pta", 0.4711383, 0.1076578),
    ("international", -3.412584, 0.2151235),
    ("constant", 16.32434, 0.4844137),
]
COST_VARIABLES = [e[0] for e in ESTIMATES]


def run(  # noqa: PLR0917 (a script)
    data: pd.DataFrame,
    year: str,
    reference: str,
    sigma: float,
    pairs: list[tuple[str, str]],
    mr_tolerance: float = 1e-8,
) -> ge.OneSectorGE:
    """Build the baseline and simulate a PTA among ``pairs`` (both directions)."""
    data = data.copy()
    data["constant"] = 1
    baseline = ge.BaselineData(
        data,
        imp_var_name="importer",
        exp_var_name="exporter",
        year_var_name="year",
        trade_var_name="trade",
        expend_var_name="E",
        output_var_name="Y",
    )
    ests = pd.DataFrame(ESTIMATES, columns=["var", "beta", "stderr"])
    cost = ge.CostCoeffs(
        estimates=ests, identifier_col="var", coeff_col="beta", stderr_col="stderr"
    )
    model = ge.OneSectorGE(
        baseline=baseline,
        cost_coeff_values=cost,
        cost_variables=COST_VARIABLES,
        year=year,
        reference_importer=reference,
        sigma=sigma,
        quiet=True,
    )
    model.build_baseline(omr_rescale=1, mr_tolerance=mr_tolerance)
    exp_data = model.baseline_data.copy()
    for a, b in pairs:
        exp_data.loc[(exp_data["importer"] == a) & (exp_data["exporter"] == b), "pta"] = 1
        exp_data.loc[(exp_data["importer"] == b) & (exp_data["exporter"] == a), "pta"] = 1
    model.define_experiment(exp_data)
    model.simulate()
    return model


def main() -> None:
    """Write the reference JSON (or, with ``--time``, print seconds as JSON)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--year", default="2006")
    parser.add_argument("--reference", default="DEU")
    parser.add_argument("--sigma", type=float, default=5.0)
    parser.add_argument("--pair", action="append", default=[])
    parser.add_argument("--time", action="store_true")
    parser.add_argument("--mr-tolerance", type=float, default=1e-8)
    args = parser.parse_args()
    pairs = [tuple(p.split(",")) for p in args.pair] or [("CAN", "JPN")]
    data = pd.read_csv(args.data)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    model = run(data, args.year, args.reference, args.sigma, pairs, args.mr_tolerance)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    mr = model.country_mr_terms
    res = model.country_results
    agg = model.aggregate_trade_results
    countries = sorted(res.index)
    out = {
        "command": " ".join(["/tmp/gegravity-venv/bin/python", *sys.argv]),
        "gegravity_version": "0.3",
        "sigma": args.sigma,
        "mr_tolerance": args.mr_tolerance,
        "reference_importer": args.reference,
        "pairs": pairs,
        "estimates": ESTIMATES,
        "countries": {
            c: {
                "baseline_imr": float(mr.loc[c, "baseline imr"]),
                "baseline_omr": float(mr.loc[c, "baseline omr"]),
                "experiment_imr": float(mr.loc[c, "experiment imr"]),
                "experiment_omr": float(mr.loc[c, "experiment omr"]),
                "factory_gate_price_change_pct": float(
                    res.loc[c, "factory gate price change (percent)"]
                ),
                "terms_of_trade_change_pct": float(res.loc[c, "terms of trade change (percent)"]),
                "real_gdp_change_pct": float(res.loc[c, "GDP change (percent)"]),
                "welfare_statistic": float(res.loc[c, "welfare statistic"]),
                "exports_change_pct": float(agg.loc[c, "shipments change (percent)"]),
                "imports_change_pct": float(agg.loc[c, "consumption change (percent)"]),
                "foreign_exports_change_pct": float(agg.loc[c, "foreign exports change (percent)"]),
                "foreign_imports_change_pct": float(agg.loc[c, "foreign imports change (percent)"]),
                "intranational_trade_change_pct": float(
                    agg.loc[c, "intranational trade change (percent)"]
                ),
            }
            for c in countries
        },
        "seconds": seconds,
    }
    if args.time:
        print(json.dumps({"seconds": seconds, "countries": len(countries)}))
        return
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
