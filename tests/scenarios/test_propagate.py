"""Propagation engine: the graphite 2023 case on real data, hand-computed cascades, invariants."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore._core.errors import ValidationError
from friendshore._core.types import ISO3
from friendshore.data.store import connect
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.cuts import ByProductLink, ExportCut, ProductionCut
from friendshore.scenarios.model import ExportRestriction
from friendshore.scenarios.network import ScenarioNetwork, estimate_missing_trade
from friendshore.scenarios.propagate import Cut, Propagation, propagate

CHN = ISO3("CHN")
GRAPHITE = ("250410", "250490")


@pytest.fixture(scope="module")
def network(store_path: Path) -> ScenarioNetwork:
    return ScenarioNetwork.from_supply(SupplyNetwork.from_store(store_path), 2022)


def _node(p: Propagation, mineral: str, stage: str) -> pd.DataFrame:
    nodes = p.nodes
    return nodes[(nodes["mineral_id"] == mineral) & (nodes["stage"] == stage)].set_index("country")


# --- graphite 2023 on the bundled data ----------------------------------------------


def test_graphite_direct_loss_equals_chinas_2022_exports(
    network: ScenarioNetwork, store_path: Path
) -> None:
    p = propagate(network, [ExportCut(CHN, 1.0, hs6=GRAPHITE)])
    with contextlib.closing(connect(store_path)) as con:
        expected = con.execute(
            "SELECT importer, sum(quantity_t) AS t FROM trade_latest "
            "WHERE exporter = 'CHN' AND hs6 IN ('250410', '250490') AND year = 2022 "
            "AND importer IS NOT NULL GROUP BY importer"
        ).df()
    expected = expected.set_index("importer")["t"]
    got = _node(p, "graphite", "mining")["direct_loss_t"]
    # Every importer of Chinese graphite loses exactly what China shipped to it ...
    assert np.allclose(got.reindex(expected.index), expected, rtol=1e-12, atol=0)
    # ... and nobody else loses anything directly.
    assert got.drop(expected.index).eq(0).all()
    assert len(expected) > 50

    zone = default_zone()
    member = pd.Series(zone.country_to_member())
    by_member = got.groupby(member.reindex(got.index)).sum()
    exp_member = expected.groupby(member.reindex(expected.index)).sum()
    assert set(exp_member.index) == {"USA", "MEX", "EU27", "JPN"}
    for m in exp_member.index:
        assert by_member[m] == pytest.approx(exp_member[m], rel=1e-12)
    # EU27 is the sum of its countries (Germany alone imported 22,359 t in 2022).
    assert exp_member["EU27"] > got["DEU"] > 20_000

    g = _node(p, "graphite", "mining")
    assert (g["total_loss_t"] >= g["direct_loss_t"] - 1e-9).all()
    # China loses nothing directly; partners short of Chinese graphite pass a little back.
    assert g.loc["CHN", "direct_loss_t"] == 0.0
    assert g.loc["CHN", "total_loss_t"] < 0.01 * g.loc["CHN", "baseline_supply_t"]
    assert p.converged
    assert not g["estimated"].any()
    # What partners pass back to China is covered by the graphite it withholds.
    assert g.loc["CHN", "shortfall_t"] == 0.0
    assert g.loc["CHN", "absorbed_t"] == pytest.approx(g.loc["CHN", "total_loss_t"], rel=1e-9)
    layer = p.layers.set_index(["mineral_id", "stage"]).loc[("graphite", "mining")]
    assert layer["shortfall_t"] + layer["absorbed_t"] == pytest.approx(
        layer["injected_t"], rel=1e-8
    )
    assert layer["injected_t"] == pytest.approx(expected.sum(), rel=1e-12)


def test_graphite_edges_say_their_codes_and_basis(network: ScenarioNetwork) -> None:
    e = network.edges
    edge = e[(e["mineral_id"] == "graphite") & (e["exporter"] == "CHN") & (e["importer"] == "USA")]
    assert edge["hs6"].tolist() == ["250410;250490"]
    assert edge["basis"].tolist() == ["contained"]
    # One basis per mineral × stage, never mixed.
    assert (e.groupby(["mineral_id", "stage"])["basis"].nunique() == 1).all()
    clays = network.layers.set_index(["mineral_id", "stage"]).loc[("clays", "mining")]
    assert clays["basis"] == "gross"  # fireclay and clays n.e.s. have no factor


def test_exempt_destinations_lose_nothing(network: ScenarioNetwork) -> None:
    p = propagate(network, [ExportCut(CHN, 0.5, hs6=GRAPHITE, exempt=frozenset({ISO3("USA")}))])
    g = _node(p, "graphite", "mining")
    assert g.loc["USA", "direct_loss_t"] == 0.0
    full = _node(propagate(network, [ExportCut(CHN, 1.0, hs6=GRAPHITE)]), "graphite", "mining")
    assert g.loc["JPN", "direct_loss_t"] == pytest.approx(0.5 * full.loc["JPN", "direct_loss_t"])


def test_a_cut_with_destinations_cuts_only_the_flows_to_them(network: ScenarioNetwork) -> None:
    usa = frozenset({ISO3("USA")})
    p = propagate(network, [ExportCut(CHN, 1.0, hs6=GRAPHITE, destinations=usa)])
    g = _node(p, "graphite", "mining")
    flows = network.flows
    to_usa = flows[
        (flows["exporter"] == "CHN") & (flows["importer"] == "USA") & flows["hs6"].isin(GRAPHITE)
    ]
    assert to_usa["quantity_t"].sum() > 0
    assert g.loc["USA", "direct_loss_t"] == pytest.approx(to_usa["quantity_t"].sum())
    assert (g.drop(index="USA")["direct_loss_t"] == 0.0).all()


def test_destinations_and_exempt_cannot_name_the_same_country() -> None:
    with pytest.raises(pydantic.ValidationError, match="both a destination and exempt"):
        ExportRestriction(
            country="CHN", minerals=["gallium"], share=1.0, destinations=["USA"], exempt=["USA"]
        )


# --- gallium and germanium: estimated trade ---------------------------------------------


def test_gallium_2023_losses_are_estimated_not_zero(network: ScenarioNetwork) -> None:
    p = propagate(network, [ExportCut(CHN, 1.0, minerals=("gallium", "germanium"))])
    ga = _node(p, "gallium", "processing")
    for importer in ("USA", "JPN", "DEU", "MEX"):
        assert ga.loc[importer, "direct_loss_t"] > 0
        assert ga.loc[importer, "estimated"]
    assert ga.loc["CHN", "total_loss_t"] == 0.0
    layer = network.layers.set_index(["mineral_id", "stage"])
    assert layer.loc[("gallium", "processing"), "estimated"]
    assert layer.loc[("gallium", "processing"), "world_production_t"] == 610.0
    # China's estimated exports cannot exceed its production (600 t in 2022).
    assert ga["direct_loss_t"].sum() <= 600.0
    # Germanium: USGS gives no figure after 2020 (MCS2022: China 95 t of 140 t).
    ge = _node(p, "germanium", "processing")
    assert ge.loc["CHN", "production_t"] == 95.0
    assert layer.loc[("germanium", "processing"), "production_year"] == 2020
    assert ge.loc["USA", "direct_loss_t"] > 0
    assert ge.loc["USA", "estimated"]
    # Naming the code instead of the mineral cuts the same estimated flows.
    by_code = _node(
        propagate(network, [ExportCut(CHN, 1.0, hs6=("811230",))]), "germanium", "processing"
    )
    assert by_code["direct_loss_t"].to_dict() == ge["direct_loss_t"].to_dict()


def test_estimate_missing_trade_formula() -> None:
    production = pd.Series({"X": 100.0, "Y": 0.0, "Z": np.nan})
    shares = pd.Series({"X": 2.0, "Y": 5.0, "Z": 3.0})  # normalised to 0.2, 0.5, 0.3
    est = estimate_missing_trade(production, 100.0, shares).set_index(["exporter", "importer"])
    # E_X = 100 − 0.2·100 = 80; D_Y = 50, D_Z = 30; X_Xj = 80 · D_j / 80.
    assert est["quantity_t"].to_dict() == pytest.approx({("X", "Y"): 50.0, ("X", "Z"): 30.0})
    assert est["estimated"].all()
    assert estimate_missing_trade(production, float("nan"), shares).empty


# --- hand-computed networks ----------------------------------------------------------


def _net(
    production: Sequence[tuple[str, str, str, float]],
    flows: Sequence[tuple[str, str, str, str, str, float]],
) -> ScenarioNetwork:
    prod = pd.DataFrame(production, columns=["mineral_id", "stage", "country", "production_t"])
    trade = pd.DataFrame(
        flows, columns=["mineral_id", "stage", "exporter", "importer", "hs6", "quantity_t"]
    )
    trade["value_usd"] = trade["quantity_t"] * 1000.0
    trade["content_t"] = trade["quantity_t"]
    return ScenarioNetwork.from_frames(2022, production=prod, trade=trade)


def test_chain_cascade_hand_computed() -> None:
    # A (P=100) -> B 60; B (P=0) -> C 30; C (P=10). A loses half its production.
    net = _net(
        [("x", "mining", "A", 100.0), ("x", "mining", "C", 10.0)],
        [("x", "mining", "A", "B", "000001", 60.0), ("x", "mining", "B", "C", "000001", 30.0)],
    )
    p = propagate(net, [ProductionCut(ISO3("A"), "x", "mining", 0.5)])
    n = _node(p, "x", "mining")
    # A passes 60/100 of its 50 t on to B (30 t); B passes 30/60 of 30 t on to C (15 t).
    assert n["total_loss_t"].to_dict() == pytest.approx({"A": 50.0, "B": 30.0, "C": 15.0})
    assert n["shortfall_t"].to_dict() == pytest.approx({"A": 20.0, "B": 15.0, "C": 15.0})
    assert n["shortfall_share"].to_dict() == pytest.approx({"A": 0.5, "B": 0.5, "C": 15 / 40})
    assert n["direct_loss_t"].to_dict() == {"A": 50.0, "B": 0.0, "C": 0.0}
    e = p.edges.set_index(["exporter", "importer"])
    assert e["after_t"].to_dict() == pytest.approx({("A", "B"): 30.0, ("B", "C"): 15.0})


def test_cycle_cascade_converges_to_the_geometric_sum() -> None:
    # A and B each produce 100 and export 50 to the other: a_AB = a_BA = 50/150 = 1/3.
    # A loses 30 t: L_A = 30 + L_B/3, L_B = L_A/3, so L_A = 30/(1 − 1/9) = 33.75, L_B = 11.25.
    net = _net(
        [("x", "mining", "A", 100.0), ("x", "mining", "B", 100.0)],
        [("x", "mining", "A", "B", "000001", 50.0), ("x", "mining", "B", "A", "000001", 50.0)],
    )
    p = propagate(net, [ProductionCut(ISO3("A"), "x", "mining", 0.3)], tol=1e-13)
    n = _node(p, "x", "mining")
    assert n["total_loss_t"].to_dict() == pytest.approx({"A": 33.75, "B": 11.25}, rel=1e-10)
    assert n["shortfall_t"].to_dict() == pytest.approx({"A": 22.5, "B": 7.5}, rel=1e-10)
    assert n["cascade_loss_t"].to_dict() == pytest.approx({"A": 3.75, "B": 11.25}, rel=1e-10)
    assert p.converged
    assert 5 < n["iterations"].iloc[0] < 100
    short = propagate(net, [ProductionCut(ISO3("A"), "x", "mining", 0.3)], max_iter=2)
    assert not short.converged
    assert short.layers["in_transit_t"].iloc[0] > 0


def test_withheld_exports_are_not_lost_twice() -> None:
    # A (P=100) ships 40 to B, then withholds all of it and loses all its production.
    # B loses its 40 t; A's domestic use (60 t) falls to 0: 60 t, not 100 t (hypothesis
    # found the double count: shortfall_share 2.0).
    net = _net([("x", "mining", "A", 100.0)], [("x", "mining", "A", "B", "000001", 40.0)])
    cuts: list[Cut] = [
        ExportCut(ISO3("A"), 1.0, hs6=("000001",)),
        ProductionCut(ISO3("A"), "x", "mining", 1.0),
    ]
    n = _node(propagate(net, cuts), "x", "mining")
    assert n["shortfall_t"].to_dict() == {"A": 60.0, "B": 40.0}
    assert n["shortfall_share"].to_dict() == {"A": 1.0, "B": 1.0}
    assert n.loc["A", "exports_withheld_t"] == 40.0
    assert n.loc["A", "absorbed_t"] == 40.0
    # The world lost A's 100 t of output, no more.
    assert n["shortfall_t"].sum() == 100.0
    # Half the production lost: the withheld 40 t cover 40 of A's 50 t.
    cuts[1] = ProductionCut(ISO3("A"), "x", "mining", 0.5)
    n = _node(propagate(net, cuts), "x", "mining")
    assert n["shortfall_t"].to_dict() == {"A": 10.0, "B": 40.0}


def test_ore_loss_cuts_processed_output_and_by_products() -> None:
    # A mines 100 and ships 50 ore to B; B refines 40 (processing) and recovers 2 of "y".
    net = _net(
        [
            ("x", "mining", "A", 100.0),
            ("x", "processing", "B", 40.0),
            ("y", "processing", "B", 2.0),
        ],
        [
            ("x", "mining", "A", "B", "000001", 50.0),
            ("x", "processing", "B", "C", "000002", 20.0),
        ],
    )
    cuts: list[Cut] = [
        ExportCut(ISO3("A"), 0.5, hs6=("000001",)),
        ByProductLink("x", "processing", "y", "processing", ratio=1.0),
    ]
    p = propagate(net, cuts)
    ore = _node(p, "x", "mining")
    assert ore.loc["B", "direct_loss_t"] == 25.0  # half its ore supply
    proc = _node(p, "x", "processing")
    # B's ore supply fell by 25/50: its 40 t of processed output falls by 20 t, upstream.
    assert proc.loc["B", "upstream_loss_t"] == pytest.approx(20.0)
    assert proc.loc["B", "direct_loss_t"] == 0.0
    # B passes 20/40 of that on to C (10 t).
    assert proc.loc["C", "total_loss_t"] == pytest.approx(10.0)
    # The by-product falls with its host: 50% of 2 t.
    assert _node(p, "y", "processing").loc["B", "upstream_loss_t"] == pytest.approx(1.0)
    assert p.layers.set_index(["mineral_id", "stage"])["level"].to_dict() == {
        ("x", "mining"): 0,
        ("x", "processing"): 1,
        ("y", "processing"): 2,
    }


# --- invariants ----------------------------------------------------------------------


def test_zero_shock_changes_nothing(network: ScenarioNetwork) -> None:
    for cuts in ([], [ExportCut(CHN, 0.0, minerals=("graphite", "gallium"))]):
        p = propagate(network, cuts)
        for col in ("direct_loss_t", "upstream_loss_t", "cascade_loss_t", "total_loss_t"):
            assert (p.nodes[col] == 0.0).all()
        assert (p.edges["after_t"] == p.edges["quantity_t"]).all()
        assert p.converged


@st.composite
def _networks(draw: st.DrawFn) -> tuple[ScenarioNetwork, list[Cut]]:
    n = draw(st.integers(2, 5))
    names = [f"C{i}" for i in range(n)]
    qty = st.floats(0.0, 100.0, allow_nan=False)
    production = [("x", "mining", c, draw(qty)) for c in names]
    flows = [
        ("x", "mining", a, b, "000001", draw(qty))
        for a in names
        for b in names
        if a != b and draw(st.booleans())
    ]
    cuts: list[Cut] = [
        ExportCut(ISO3(draw(st.sampled_from(names))), draw(st.floats(0, 1)), hs6=("000001",)),
        ProductionCut(ISO3(draw(st.sampled_from(names))), "x", "mining", draw(st.floats(0, 1))),
    ]
    return _net(production, flows or [("x", "mining", "C0", "C1", "000001", 1.0)]), cuts


@settings(max_examples=60, deadline=None)
@given(_networks())
def test_invariants_hold_on_random_networks(case: tuple[ScenarioNetwork, list[Cut]]) -> None:
    net, cuts = case
    p = propagate(net, cuts, max_iter=10_000, tol=1e-12)
    n = p.nodes
    eps = 1e-7
    assert p.converged
    assert (n["direct_loss_t"] >= 0).all()
    assert (n["total_loss_t"] >= n["direct_loss_t"] - eps).all()
    assert (n["total_loss_t"] <= n["baseline_supply_t"] + eps).all()  # nothing below zero
    assert (n["shortfall_t"] >= -eps).all()
    assert (p.edges["after_t"] >= -eps).all()
    # Withheld exports cover only the exporter's own kept loss, never more than withheld.
    assert (n["absorbed_t"] >= 0).all()
    assert (n["absorbed_t"] <= n["exports_withheld_t"]).all()
    assert (n["absorbed_t"] <= n["total_loss_t"] - n["passed_on_t"] + eps).all()
    # No country loses more than its domestic use.
    ok = n["baseline_supply_t"] >= n["exports_t"]
    assert (n.loc[ok, "shortfall_t"] <= n.loc[ok, "domestic_use_t"] + eps).all()
    # Conservation: every tonne the shock removes ends as a fall of domestic use, or is
    # covered at home by the exports its country withheld.
    kept = n["shortfall_t"].sum() + n["absorbed_t"].sum()
    assert kept == pytest.approx(n["direct_loss_t"].sum(), rel=1e-6, abs=eps)
    share = n["shortfall_share"].dropna()
    assert ((share >= -eps) & (share <= 1 + eps)).all()


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (ExportCut(CHN, 1.5, hs6=GRAPHITE), "between 0 and 1"),
        (ExportCut(CHN, 1.0), "give minerals or hs6"),
        (ExportCut(CHN, 1.0, hs6=("999999",)), "not mapped"),
        (ExportCut(CHN, 1.0, minerals=("unobtainium",)), "unknown mineral"),
        (ProductionCut(CHN, "graphite", "components", 0.5), "no graphite components layer"),
        (ByProductLink("bauxite", "processing", "gallium", "processing", ratio=-1), "ratio"),
    ],
)
def test_invalid_cuts_are_clear_errors(network: ScenarioNetwork, cut: Cut, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        propagate(network, [cut])


def test_by_product_cycle_is_an_error(network: ScenarioNetwork) -> None:
    cuts: list[Cut] = [
        ByProductLink("bauxite", "processing", "gallium", "processing"),
        ByProductLink("gallium", "processing", "bauxite", "processing"),
    ]
    with pytest.raises(ValidationError, match="cycle"):
        propagate(network, cuts)


def test_unknown_baseline_year_is_an_error(store_path: Path) -> None:
    with pytest.raises(ValidationError, match="no trade rows"):
        ScenarioNetwork.from_supply(SupplyNetwork.from_store(store_path), 1990)
