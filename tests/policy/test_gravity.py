"""PPML estimation and the gravity file readers, on gegravity's public sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import DataError
from friendshore.data.gravity_files import (
    gravity_sample_path,
    read_coefficients,
    read_gravity_data,
)
from friendshore.policy.gravity import estimate_ppml

COSTS = ["lndist", "contiguity", "common_language", "pta", "international"]
#: Published with the sample (gegravity's example, Stata ppmlhdfe, robust standard errors).
PUBLISHED = {
    "lndist": (-0.3898623, 0.0729915),
    "contiguity": (0.891577, 0.1327354),
    "common_language": (0.0326249, 0.0840702),
    "pta": (0.4711383, 0.1076578),
    "international": (-3.412584, 0.2151235),
}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_gravity_data(gravity_sample_path())


def test_sample_is_the_30_country_2006_square(sample: pd.DataFrame) -> None:
    assert len(sample) == 900
    assert sample["exporter"].nunique() == sample["importer"].nunique() == 30
    assert set(sample["year"]) == {2006}
    gbr_aus = sample[(sample["exporter"] == "GBR") & (sample["importer"] == "AUS")].iloc[0]
    assert gbr_aus["trade"] == 4310
    assert gbr_aus["lndist"] == pytest.approx(9.7126)


def test_ppml_reproduces_the_published_estimates(sample: pd.DataFrame) -> None:
    est = estimate_ppml(sample, COSTS)
    assert est.n_obs == 900
    assert est.dropped == ()
    # the check: lndist -0.390, pta 0.471, international -3.413 to 3 decimals
    assert round(est.coefficients["lndist"], 3) == -0.390
    assert round(est.coefficients["pta"], 3) == 0.471
    assert round(est.coefficients["international"], 3) == -3.413
    for name, (beta, se) in PUBLISHED.items():
        assert est.coefficients[name] == pytest.approx(beta, abs=5e-7)
        # robust errors with ppmlhdfe's N/(N-1) scaling, to the published 7 digits
        assert est.std_errors[name] == pytest.approx(se, abs=5e-7)
    cov = est.covariance.to_numpy()
    assert np.allclose(cov, cov.T)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_panel_pair_effects_recover_a_known_preference_effect(sample: pd.DataFrame) -> None:
    # 2007 = 2006 with pta switched on for CAN-JPN and trade scaled by exp(0.3) on those
    # pairs: with pair and exporter/importer-year effects, PPML fits it exactly (β = 0.3)
    later = sample.copy()
    later["year"] = 2007
    pair = later["exporter"].isin(["CAN", "JPN"]) & later["importer"].isin(["CAN", "JPN"])
    pair &= later["exporter"] != later["importer"]
    later.loc[pair, "pta"] = 1.0
    later.loc[pair, "trade"] *= np.exp(0.3)
    panel = pd.concat([sample, later], ignore_index=True)
    est = estimate_ppml(panel, COSTS, fixed_effects="panel", vcov="pair")
    assert set(est.dropped) == {"lndist", "contiguity", "common_language", "international"}
    assert est.coefficients["pta"] == pytest.approx(0.3, abs=1e-6)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reader_sniffs_semicolons(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.csv", "exporter;importer;year;trade;lndist\nCAN;JPN;2006;10;9.1\n")
    frame = read_gravity_data(path)
    assert frame.loc[0, "lndist"] == pytest.approx(9.1)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("exporter,importer,year,lndist\nCAN,JPN,2006,1\n", 1, "trade"),
        ("exporter,importer,year,trade,lndist\nCAN,JPN,2006,10,1\nJPN,CAN,2006,x,1\n", 3, "trade"),
        ("exporter,importer,year,trade,lndist\nCAN,JPN,2006,10,\n", 2, "lndist"),
        ("exporter,importer,year,trade,lndist\nCAN,JPN,2006,-1,1\n", 2, "trade"),
        ("exporter,importer,year,trade,lndist\n,JPN,2006,1,1\n", 2, "exporter"),
        ("exporter,importer,year,trade,lndist\nCAN,JPN,2006.5,1,1\n", 2, "year"),
        (
            "exporter,importer,year,trade\nCAN,JPN,2006,1\nJPN,CAN,2006,1\nCAN,JPN,2006,2\n",
            4,
            "exporter",
        ),
    ],
)
def test_reader_errors_name_file_line_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError) as err:
        read_gravity_data(path)
    assert err.value.file == str(path)
    assert err.value.line == line
    assert err.value.field == field


def test_coefficients_with_covariance(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.csv",
        "variable,coefficient,std_error,lndist,pta\n"
        "lndist,-0.39,0.07,0.0049,0.001\npta,0.47,0.1,0.001,0.01\n",
    )
    coef = read_coefficients(path)
    assert coef.loc["pta", "coefficient"] == pytest.approx(0.47)
    assert coef.loc["lndist", "pta"] == pytest.approx(0.001)
    bad = _write(tmp_path / "b.csv", "variable,coefficient\nlndist,-0.39\npta,abc\n")
    with pytest.raises(DataError) as err:
        read_coefficients(bad)
    assert (err.value.line, err.value.field) == (3, "coefficient")
