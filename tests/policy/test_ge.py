"""Structural gravity GE: reproduction of gegravity 0.3, invariants, draws on Dask."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from friendshore._core.errors import InputError, ValidationError
from friendshore.data.gravity_files import gravity_sample_path, read_gravity_data
from friendshore.policy import ge
from friendshore.policy.gravity import estimate_ppml

DATA = Path(__file__).parent / "data"
COSTS = ["lndist", "contiguity", "common_language", "pta", "international"]
#: gegravity country results compared, with our column of the same quantity.
MEASURES = {
    "experiment_imr": "experiment_imr",
    "experiment_omr": "experiment_omr",
    "factory_gate_price_change_pct": "factory_gate_price_change_pct",
    "terms_of_trade_change_pct": "terms_of_trade_change_pct",
    "real_gdp_change_pct": "real_gdp_change_pct",
    "welfare_statistic": "welfare_statistic",
    "exports_change_pct": "exports_change_pct",
    "imports_change_pct": "imports_change_pct",
    "foreign_exports_change_pct": "foreign_exports_change_pct",
    "foreign_imports_change_pct": "foreign_imports_change_pct",
    "intranational_trade_change_pct": "intranational_trade_change_pct",
}


def _reference(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_gravity_data(gravity_sample_path())


def _run(sample: pd.DataFrame, ref: dict[str, Any]) -> tuple[ge.GEBaseline, ge.GEResult]:
    coef = {name: beta for name, beta, _ in ref["estimates"]}
    base = ge.build_baseline(sample, coef, sigma=ref["sigma"], reference=ref["reference_importer"])
    members = sorted({c for pair in ref["pairs"] for c in pair})
    return base, ge.simulate(base, ge.with_zone(sample, members), members=members)


def _rel(ours: float, theirs: float) -> float:
    return abs(ours - theirs) / abs(theirs)


@pytest.mark.parametrize("name", ["gegravity_reference.json", "gegravity_reference_tol1e-12.json"])
def test_baseline_mrs_reproduce_gegravity(sample: pd.DataFrame, name: str) -> None:
    ref = _reference(name)
    base, _ = _run(sample, ref)
    mr = base.mr_table()
    for country, row in ref["countries"].items():
        assert _rel(mr.loc[country, "imr"], row["baseline_imr"]) < 1e-6
        assert _rel(mr.loc[country, "omr"], row["baseline_omr"]) < 1e-6
    assert mr.loc["DEU", "imr"] == 1.0


def test_can_jpn_pta_reproduces_gegravity(sample: pd.DataFrame) -> None:
    # gegravity's example solved to mr_tolerance 1e-12 (its default 1e-8 leaves ~1e-9
    # relative error in its baseline MRs, which the small percent changes amplify)
    ref = _reference("gegravity_reference_tol1e-12.json")
    _, result = _run(sample, ref)
    ours = result.countries.set_index("country")
    worst = max(
        _rel(float(ours.loc[c, col]), row[key])
        for c, row in ref["countries"].items()
        for key, col in MEASURES.items()
    )
    assert worst < 1e-6
    # the example's published-tolerance figure for Canada, 0.41826131648%
    assert ours.loc["CAN", "real_gdp_change_pct"] == pytest.approx(0.41826131648, rel=1e-6)


def test_gegravity_default_tolerance_differs_only_by_its_solver_error(
    sample: pd.DataFrame,
) -> None:
    ref = _reference("gegravity_reference.json")
    _, result = _run(sample, ref)
    ours = result.countries.set_index("country")
    for c, row in ref["countries"].items():
        assert _rel(float(ours.loc[c, "welfare_statistic"]), row["welfare_statistic"]) < 1e-6
        assert _rel(float(ours.loc[c, "experiment_omr"]), row["experiment_omr"]) < 1e-6
        for key in ("real_gdp_change_pct", "exports_change_pct", "imports_change_pct"):
            # levels agree to 1e-9 of the baseline: within 1e-6 percentage points
            assert abs(float(ours.loc[c, key]) - row[key]) < 1e-6


def test_mr_solution_solves_the_equations(sample: pd.DataFrame) -> None:
    base = ge.build_baseline(sample, {"lndist": -0.39, "international": -3.4, "pta": 0.47})
    r1, r2 = ge.mr_residuals(base.a, base.b, base.cost, base.y, base.e)
    assert np.max(np.abs(np.delete(r1, base.ref))) < 1e-12
    assert np.max(np.abs(r2)) < 1e-12
    assert base.a[base.ref] == 1.0


def test_baseline_reproduces_observed_flows(sample: pd.DataFrame) -> None:
    # with output and expenditure equal to observed row and column sums and the PPML
    # estimates, the baseline's modeled flows are PPML's fitted flows, which add up to
    # the observed exports and imports of every country (Yotov et al. 2016, ch. 2)
    data = sample.drop(columns=["Y", "E"])
    est = estimate_ppml(data, COSTS)
    base = ge.build_baseline(data, est.coefficients)
    modeled = base.modeled_trade()
    assert np.allclose(modeled.sum(axis=1), base.trade.sum(axis=1), rtol=1e-10)
    assert np.allclose(modeled.sum(axis=0), base.trade.sum(axis=0), rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's own pandas deprecation warnings
        fit = pf.fepois(
            f"trade ~ {' + '.join(COSTS)} | exporter + importer",
            data=base.data,
            iwls_tol=1e-10,
            fixef_tol=1e-12,
            iwls_maxiter=100,
        )
        fitted = np.exp(np.asarray(fit.predict(), dtype=np.float64)).reshape(modeled.shape)
    assert np.allclose(modeled, fitted, rtol=1e-7)


@pytest.mark.parametrize("formulation", ["gegravity", "endogenous"])
def test_no_change_gives_zero_change_everywhere(sample: pd.DataFrame, formulation: str) -> None:
    base = ge.build_baseline(sample, {"lndist": -0.39, "international": -3.4, "pta": 0.47})
    result = ge.simulate(base, sample, formulation=formulation)  # type: ignore[arg-type]
    assert list(result.countries.columns) == ge.RESULT_COLUMNS
    changes = result.countries.filter(like="change_pct").to_numpy(dtype=np.float64)
    assert np.nanmax(np.abs(changes)) < 1e-9
    assert np.allclose(result.prices, 1.0, atol=1e-12)
    assert np.allclose(result.countries["welfare_statistic"], 1.0, atol=1e-12)


def test_endogenous_prices_clear_markets(sample: pd.DataFrame) -> None:
    base = ge.build_baseline(sample, {"lndist": -0.39, "international": -3.4, "pta": 0.47})
    members = ["CAN", "JPN"]
    res = ge.simulate(
        base, ge.with_zone(sample, members), members=members, formulation="endogenous"
    )
    out = res.prices * base.output
    y1 = out / out.sum()
    e1 = base.expenditure / base.output * out
    r1, r2 = ge.mr_residuals(res.a, res.b, res.cost, y1, e1 / e1.sum())
    assert np.max(np.abs(np.delete(r1, base.ref))) < 1e-10
    assert np.max(np.abs(r2)) < 1e-10
    beta = base.y * base.b
    assert np.max(np.abs(ge.price_residuals(res.prices, res.b, y1, beta, base.sigma))) < 1e-10
    by = res.countries.set_index("country")
    assert (by.loc[members, "intra_zone_exports_change_pct"] > 0).all()
    assert (by.loc[members, "welfare_change_pct"] > 0).all()


def test_zone_of_blocs_leaves_intra_bloc_pairs_alone(sample: pd.DataFrame) -> None:
    out = ge.with_zone(sample, {"EU": {"DEU", "FRA"}, "JPN": {"JPN"}}, variable="pta", value=7)
    changed = out[out["pta"] == 7][["exporter", "importer"]].apply(tuple, axis=1)
    assert set(changed) == {("DEU", "JPN"), ("JPN", "DEU"), ("FRA", "JPN"), ("JPN", "FRA")}


def test_tariff_shift_is_minus_sigma_log_tariff_factor(sample: pd.DataFrame) -> None:
    out = ge.tariff_shift(
        sample, importers=["USA"], exporters=["CHN"], rate_before=0.0, rate_after=0.25, sigma=5
    )
    hit = (out["importer"] == "USA") & (out["exporter"] == "CHN")
    assert out.loc[hit, "shift"].item() == pytest.approx(-5 * np.log(1.25))
    assert (out.loc[~hit, "shift"] == 0).all()
    base = ge.build_baseline(sample, {"lndist": -0.39, "international": -3.4, "pta": 0.47})
    res = ge.simulate(base, out).bilateral.set_index(["exporter", "importer"])
    assert res.loc[("CHN", "USA"), "trade_change_pct"] < -60  # 1.25^-5 = 0.33 before GE


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_draws_agree_exactly_on_dask(sample: pd.DataFrame, client: object) -> None:
    est = estimate_ppml(sample, COSTS)
    base = ge.build_baseline(sample, est.coefficients)
    exp = ge.with_zone(sample, ["CAN", "JPN"])
    local = ge.simulate_draws(base, exp, est.covariance, 30, seed=11, members=["CAN", "JPN"])
    dask = ge.simulate_draws(
        base,
        exp,
        est.covariance,
        30,
        seed=11,
        backend="dask",
        client=client,
        members=["CAN", "JPN"],
    )
    assert local.samples.shape == (30, 30, len(ge.DRAW_MEASURES))
    assert np.array_equal(local.samples, dask.samples)
    # the point estimate lies inside the draws' 5-95% band for Canada's welfare
    row = local.summary.set_index("country").loc["CAN"]
    point = ge.simulate(base, exp).countries.set_index("country").loc["CAN", "welfare_change_pct"]
    assert row["welfare_change_pct_p05"] < point < row["welfare_change_pct_p95"]


def test_join_then_leave_are_mirror_experiments(sample: pd.DataFrame) -> None:
    coef = pd.DataFrame(
        {"coefficient": [-0.39, -3.41, 0.47], "std_error": [0.07, 0.2, 0.1]},
        index=pd.Index(["lndist", "international", "pta"], name="variable"),
    )
    zone = {"CAN": {"CAN"}, "JPN": {"JPN"}}
    join = ge.run_zone(sample, zone, coefficients=coef, join="KOR")
    leave = ge.run_zone(sample, {**zone, "KOR": {"KOR"}}, coefficients=coef, leave="KOR")
    assert join.experiment == "KOR joins the zone"
    # the joining experiment's equilibrium is the leaving experiment's baseline
    assert np.allclose(join.result.a, leave.result.baseline.a, rtol=1e-12)
    assert np.allclose(join.result.b, leave.result.baseline.b, rtol=1e-12)
    kor = join.result.countries.set_index("country").loc["KOR"]
    assert kor["member"]
    assert kor["welfare_change_pct"] > 0
    coefs = join.coefficients.set_index("variable")
    assert (coefs["origin"] == "file").all()


def test_zone_tariff_on_a_rival_cuts_its_exports_to_members(sample: pd.DataFrame) -> None:
    zone = {"USA": {"USA"}, "MEX": {"MEX"}, "JPN": {"JPN"}}
    run = ge.run_zone(sample, zone, preference=0.0, variable="pta", tariff=0.25, tariff_on=["CHN"])
    assert run.preference == 0.0
    bil = run.result.bilateral.set_index(["exporter", "importer"])
    for member in zone:
        assert bil.loc[("CHN", member), "trade_change_pct"] < -50
    assert bil.loc[("CHN", "DEU"), "trade_change_pct"] > 0  # diverted to outsiders


def test_data_must_be_square(sample: pd.DataFrame) -> None:
    coef = {"lndist": -0.39, "international": -3.4, "pta": 0.47}
    with pytest.raises(InputError, match=r"missing: CAN → JPN"):
        ge.build_baseline(
            sample[~((sample["exporter"] == "CAN") & (sample["importer"] == "JPN"))], coef
        )
    base = ge.build_baseline(sample, coef)
    other = sample.replace({"exporter": {"CAN": "XXX"}, "importer": {"CAN": "XXX"}})
    with pytest.raises(ValidationError, match="not in the baseline: XXX"):
        ge.simulate(base, other)
