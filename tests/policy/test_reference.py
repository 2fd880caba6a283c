"""Reference-price rule files: shipped files, methods on bundled data, errors with file, line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from friendshore._core.errors import DataError, InputError
from friendshore.data.queries import annual_prices, read_unit_values
from friendshore.model.zone import Zone, default_zone
from friendshore.policy.reference import (
    PRICE_UNITS,
    ReferenceFile,
    capital_recovery_factor,
    list_reference_files,
    load_reference_file,
    reference_file_ids,
    reference_prices,
    weighted_percentile,
)

HEAD = """\
id: test
name: Test rules
version: "1"
date: 2026-01-01
source: a test
rules:
"""


def write(tmp_path: Path, rules: str, *, head: str = HEAD, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(head + rules, encoding="utf-8")
    return path


def load_text(tmp_path: Path, rules: str, *, head: str = HEAD) -> ReferenceFile:
    """Write ``rules`` under the test header and load them."""
    return load_reference_file(write(tmp_path, rules, head=head))


def test_shipped_files_are_listed_and_valid() -> None:
    assert reference_file_ids() == ["illustrative", "mp-ndpr"]
    listed = list_reference_files()
    assert list(listed["id"]) == ["illustrative", "mp-ndpr"]
    assert list(listed["illustrative"]) == [True, False]
    illustrative = load_reference_file("illustrative")
    assert "ILLUSTRATIVE" in illustrative.name
    methods = {r.method for r in illustrative.rules}
    assert methods == {
        "fixed",
        "percentile",
        "moving_average",
        "non_rival_unit_value",
        "cost_basis",
    }
    minerals = {r.mineral for r in illustrative.rules}
    assert {"lithium", "cobalt", "nickel", "graphite", "gallium", "germanium"} <= minerals
    assert {"antimony", "tungsten", "rare_earths"} <= minerals


def test_mp_ndpr_is_110_usd_per_kg_on_rare_earth_refining(store_path: Path) -> None:
    ref = load_reference_file("mp-ndpr")
    assert not ref.illustrative
    assert ref.date.isoformat() == "2025-07-10"
    (rule,) = ref.rules
    assert (rule.mineral, rule.stage, rule.method) == ("rare_earths", "processing", "fixed")
    assert ref.codes(0) == ["284690"]
    prices = reference_prices(ref, store_path, default_zone(), years=[2023, 2024])
    assert prices["reference_usd_per_t"].tolist() == [110_000.0, 110_000.0]
    assert prices["explanation"].iloc[0] == "fixed 110 USD/kg"


def test_moving_average_of_usgs_lithium_is_the_mean_of_its_rows(
    tmp_path: Path, store_path: Path
) -> None:
    path_rules = """\
  - mineral: lithium
    stage: processing
    product: Li2CO3
    method: moving_average
    series: usgs:lithi:dt
    window_years: 3
"""
    rows = annual_prices(store_path, series="usgs:lithi:dt")
    rows = rows[rows["year"].between(2021, 2023)]
    assert len(rows) == 3
    ref = load_text(tmp_path, path_rules)
    out = reference_prices(ref, store_path, default_zone(), years=[2023])
    assert out["reference_usd_per_t"].item() == pytest.approx(rows["usd_per_t"].mean(), rel=1e-12)
    # battery-grade carbonate 2021-2023: US$14,200, 71,100, 41,300 per tonne (USGS MCS)
    assert out["reference_usd_per_t"].item() == pytest.approx((14_200 + 71_100 + 41_300) / 3)
    # the default codes: the concordance's lithium processing codes
    assert sorted(ref.codes(0)) == ["282520", "283691"]


def test_percentile_of_a_pink_sheet_series_with_a_lag(tmp_path: Path, store_path: Path) -> None:
    ref = load_text(
        tmp_path,
        """\
  - mineral: nickel
    stage: processing
    product: cathode
    method: percentile
    series: wb:NICKEL
    percentile: 25
    window_years: 5
    lag_years: 1
""",
    )
    rows = annual_prices(store_path, series="wb:NICKEL").set_index("year")["usd_per_t"]
    out = reference_prices(ref, store_path, default_zone(), years=[2020])
    expected = np.percentile(rows.loc[2015:2019].to_numpy(), 25)
    assert out["reference_usd_per_t"].item() == pytest.approx(expected, rel=1e-12)
    assert "2015–2019" in out["explanation"].item()


def test_series_without_values_in_the_window_gives_no_reference(
    tmp_path: Path, store_path: Path
) -> None:
    ref = load_text(
        tmp_path,
        """\
  - mineral: cobalt
    stage: processing
    product: metal
    method: moving_average
    series: usgs:cobal:LME:dlb
    window_years: 2
""",
    )
    out = reference_prices(ref, store_path, default_zone(), years=[2016, 2019])
    assert np.isnan(out["reference_usd_per_t"].iloc[0])
    assert out["explanation"].iloc[0] == "no price of usgs:cobal:LME:dlb in 2015–2016"
    assert out["reference_usd_per_t"].iloc[1] > 0


def test_non_rival_unit_value_is_the_tonne_weighted_landed_mean(
    tmp_path: Path, store_path: Path
) -> None:
    ref = load_text(
        tmp_path,
        """\
  - mineral: cobalt
    stage: processing
    product: oxides
    method: non_rival_unit_value
    hs6: ["282200"]
""",
        head=HEAD.replace("rules:\n", "cif_margin: 0.1\nrules:\n"),
    )
    flows = read_unit_values(store_path, hs6=["282200"], years=[2022])
    ok = (flows["exporter"] != "CHN") & (flows["quantity_t"] > 0) & (flows["value_usd"] > 0)
    expected = flows.loc[ok, "value_usd"].sum() / flows.loc[ok, "quantity_t"].sum() * 1.1
    out = reference_prices(ref, store_path, default_zone(), years=[2022])
    assert out["reference_usd_per_t"].item() == pytest.approx(expected, rel=1e-12)


def test_cost_basis_from_a_pipeline_is_hand_computed(tmp_path: Path, store_path: Path) -> None:
    (tmp_path / "pipe.csv").write_text(
        "id,name,country,mineral,stage,capacity_t_per_year,capex_usd,opex_usd_per_year\n"
        "A,a,USA,graphite,mining,100,1000,10\n"
        "B,b,DEU,graphite,mining,300,0,600\n"
        "C,c,DEU,lithium,mining,5,0,1\n",
        encoding="utf-8",
    )
    rule = """\
  - mineral: graphite
    stage: mining
    product: flake
    method: cost_basis
    pipeline: pipe.csv
    share: {share}
    discount_rate: 0
    life_years: 10
"""
    # unit costs: A (1000 × 0.1 + 10) / 100 = 1.1 on 25% of capacity, B 600 / 300 = 2.0
    for share, expected in ((0.25, 1.1), (0.5, 2.0), (0.0, 1.1), (1.0, 2.0)):
        ref = load_reference_file(write(tmp_path, rule.format(share=share)))
        out = reference_prices(ref, store_path, default_zone(), years=[2020, 2021])
        assert out["reference_usd_per_t"].tolist() == pytest.approx([expected, expected])
    assert "2 graphite mining projects" in out["explanation"].iloc[0]


def test_fixed_price_units_and_factor(tmp_path: Path, store_path: Path) -> None:
    ref = load_reference_file(
        write(
            tmp_path,
            """\
  - mineral: cobalt
    stage: processing
    product: metal
    method: fixed
    price: 10
    unit: USD/lb
    factor: 0.5
    valid_from: 2019
    valid_to: 2020-12-31
""",
        )
    )
    out = reference_prices(ref, store_path, default_zone(), years=range(2018, 2023))
    assert out["year"].tolist() == [2019, 2020]
    assert out["reference_usd_per_t"].iloc[0] == pytest.approx(10 * 2204.62262 * 0.5)
    assert PRICE_UNITS["USD/troy oz"] == pytest.approx(32_150.7466, rel=1e-9)


def test_toml_rule_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'id = "t"\nname = "T"\nversion = "2"\ndate = 2026-01-01\nsource = "s"\n\n'
        '[[rules]]\nmineral = "lithium"\nstage = "processing"\nproduct = "x"\n'
        'method = "fixed"\nprice = -5\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_reference_file(path)
    assert (err.value.line, err.value.field) == (12, "rules[0].price")


@pytest.mark.parametrize(
    ("rules", "line", "field", "words"),
    [
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: guess\n",
            10,
            "rules[0].method",
            "unknown method 'guess'",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n"
            "    price: -110\n",
            11,
            "rules[0].price",
            "price must be > 0",
        ),
        (
            "  - mineral: unobtainium\n    stage: processing\n    product: x\n"
            "    method: fixed\n    price: 1\n",
            7,
            "rules[0].mineral",
            "unknown mineral 'unobtainium'",
        ),
        (
            "  - mineral: lithium\n    stage: refining\n    product: x\n"
            "    method: fixed\n    price: 1\n",
            8,
            "rules[0].stage",
            "mining",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n",
            7,
            "rules[0].price",
            "required field is missing",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n"
            "    price: 1\n    hs6: ['283691', '999999']\n",
            12,
            "rules[0].hs6[1]",
            "unknown HS6 code '999999'",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n"
            "    price: 1\n    hs6: ['810510']\n",
            12,
            "rules[0].hs6[0]",
            "mapped to cobalt",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n"
            "    price: 1\n  - mineral: lithium\n    stage: processing\n    product: y\n"
            "    method: fixed\n    price: 2\n    hs6: ['282520']\n",
            17,
            "rules[1].hs6",
            "already levied by the rule at line 7",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n"
            "    method: percentile\n    series: wb:NICKEL\n    percentile: 120\n",
            12,
            "rules[0].percentile",
            "less than or equal to 100",
        ),
        (
            "  - mineral: lithium\n    stage: processing\n    product: x\n    method: fixed\n"
            "    price: 1\n    colour: red\n",
            12,
            "rules[0].colour",
            "unknown field",
        ),
    ],
)
def test_bad_rules_name_file_line_and_field(
    tmp_path: Path, rules: str, line: int, field: str, words: str
) -> None:
    path = write(tmp_path, rules)
    with pytest.raises(DataError) as err:
        load_reference_file(path)
    assert err.value.file == str(path)
    assert (err.value.line, err.value.field) == (line, field)
    assert words in err.value.message


def test_unknown_series_names_file_line_and_field(tmp_path: Path, store_path: Path) -> None:
    path = write(
        tmp_path,
        "  - mineral: lithium\n    stage: processing\n    product: x\n    method: moving_average\n"
        "    series: usgs:lithi:nope\n",
    )
    ref = load_reference_file(path)
    with pytest.raises(DataError) as err:
        reference_prices(ref, store_path, default_zone(), years=[2020])
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 11, "rules[0].series")
    assert "unknown price series 'usgs:lithi:nope'" in err.value.message


def test_series_without_a_mass_price_is_refused(tmp_path: Path, store_path: Path) -> None:
    path = write(
        tmp_path,
        "  - mineral: iron_ore\n    stage: mining\n    product: x\n    method: moving_average\n"
        "    series: usgs:feste:Index:index\n",
    )
    with pytest.raises(DataError) as err:
        reference_prices(load_reference_file(path), store_path, default_zone(), years=[2020])
    assert err.value.field == "rules[0].series"
    assert "not a price per mass" in err.value.message


def test_missing_pipeline_names_the_rule(tmp_path: Path, store_path: Path) -> None:
    path = write(
        tmp_path,
        "  - mineral: graphite\n    stage: mining\n    product: x\n    method: cost_basis\n"
        "    pipeline: nowhere.csv\n    share: 0.5\n    discount_rate: 0.08\n    life_years: 20\n",
    )
    with pytest.raises(DataError) as err:
        reference_prices(load_reference_file(path), store_path, default_zone(), years=[2020])
    assert (err.value.line, err.value.field) == (11, "rules[0].pipeline")


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_reference_file(write(tmp_path, "", head=HEAD.replace("rules:\n", "rules: []\n")))
    assert err.value.field == "rules"
    with pytest.raises(DataError) as err:
        load_reference_file(write(tmp_path, "  - 5\n"))
    assert (err.value.line, err.value.field) == (7, "rules[0]")
    with pytest.raises(DataError) as err:
        load_reference_file(
            write(tmp_path, "  - mineral: lithium\n", head=HEAD.replace("date: 2026-01-01\n", ""))
        )
    assert err.value.field == "date"
    with pytest.raises(InputError, match="unknown reference rule file 'nope'"):
        load_reference_file("nope")


def test_helpers() -> None:
    assert capital_recovery_factor(0.08, 20) == pytest.approx(0.10185220882)
    assert math.isnan(weighted_percentile(np.array([1.0, 2.0]), np.zeros(2), 50))
    values = np.array([5.0, 1.0, 3.0])
    assert weighted_percentile(values, np.ones(3), 50) == 3.0
    assert weighted_percentile(values, np.array([1.0, 10.0, 1.0]), 50) == 1.0


def test_zone_rivals_change_non_rival_values(tmp_path: Path, store_path: Path) -> None:
    ref = load_text(
        tmp_path,
        "  - mineral: cobalt\n    stage: processing\n    product: oxides\n"
        "    method: non_rival_unit_value\n    hs6: ['282200']\n",
    )
    zone = default_zone()
    other = Zone.from_mapping({"name": "z", "members": ["USA"], "rivals": ["CHN", "FIN"]})
    a = reference_prices(ref, store_path, zone, years=[2022])["reference_usd_per_t"].item()
    b = reference_prices(ref, store_path, other, years=[2022])["reference_usd_per_t"].item()
    assert a != b
