"""The ``dependence`` objective's inputs from the material balance, on the bundled data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from friendshore.invest.pipeline import load_pipeline
from friendshore.invest.results import (
    BASIS_SOURCING,
    BASIS_WORLD,
    dependence_targets,
    network_with_capacity,
    restrict_network,
    supply_metrics,
)
from friendshore.metrics.balance import material_balance
from friendshore.metrics.published import ADDED_PRODUCTION
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone

EXAMPLE = load_pipeline("example-illustrative")
EXAMPLE_MINERALS = sorted({p.mineral for p in EXAMPLE.projects})


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def inputs(supply: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    before = supply_metrics(supply, zone, minerals=EXAMPLE_MINERALS)
    return dependence_targets(before)[2]


def test_every_mineral_of_the_example_is_considered_with_its_basis_or_reason(
    inputs: pd.DataFrame,
) -> None:
    # every mineral x stage of the example's minerals is listed, entered or not
    assert set(inputs["mineral"]) == set(EXAMPLE_MINERALS)
    assert inputs["note"].notna().all()
    entered = inputs[inputs["included"]]
    left = inputs[~inputs["included"]]
    assert entered["note"].str.startswith("entered: rival share").all()
    assert left["note"].str.startswith("left out: ").all()
    # the minerals the issue names now enter (through the balance or the world shares)
    for mineral in ("lithium", "rare_earths", "gallium", "antimony", "tungsten", "graphite"):
        assert mineral in set(entered["mineral"]), mineral
    # each entered row has all three inputs; a left-out row lacks one and says which
    for col in ("china_zone_supply_share", "supply_risk", "zone_supply_t"):
        assert entered[col].notna().all(), col
    assert (entered["zone_supply_t"] > 0).all()
    assert (left["china_zone_supply_share"].isna() | left["supply_risk"].isna()).all()
    # germanium: no zone trade and no country shares in the USGS world table
    germanium = inputs[inputs["mineral"] == "germanium"].iloc[0]
    assert not germanium["included"]
    assert "no country production shares" in germanium["note"]


def test_a_stage_without_zone_trade_takes_the_rivals_world_share(
    inputs: pd.DataFrame,
) -> None:
    row = inputs[(inputs["mineral"] == "lithium") & (inputs["stage"] == "mining")].iloc[0]
    assert row["share_basis"] == BASIS_WORLD
    assert "no HS code" in row["note"]
    # r = China's share of world production, S = world production (the upper end)
    assert row["china_zone_supply_share"] == pytest.approx(row["china_world_share"])
    assert row["zone_supply_t"] == pytest.approx(row["world_quantity_t"])
    assert row["rival_supply_t"] == pytest.approx(
        row["china_world_share"] * row["world_quantity_t"]
    )
    # its supply risk: the world's mix, HHI_WGI(world) (1 - EoL-RIR); the withheld U.S.
    # share (the 2024 world total excludes U.S. production) makes that mix an interval,
    # whose lower end the objective takes
    assert row["supply_risk"] > 0
    assert row["supply_risk_basis"] in {
        "world production shares as the zone's sourcing",
        "world production shares as the zone's sourcing; lower end of its interval",
    }
    assert row["supply_risk_min"] <= row["supply_risk"] <= row["supply_risk_max"]


def test_interval_inputs_take_the_lower_end_or_stay_inside_the_interval(
    inputs: pd.DataFrame,
) -> None:
    share = inputs["china_zone_supply_share"]
    lo, hi = inputs["china_zone_supply_share_min"], inputs["china_zone_supply_share_max"]
    bounded = lo.notna() & share.notna()
    assert (share[bounded] >= lo[bounded] - 1e-12).all()
    assert (share[bounded] <= hi[bounded] + 1e-12).all()
    low = inputs["share_basis"] == "lower end of the zone's sourcing interval (material balance)"
    assert low.any()
    pd.testing.assert_series_equal(share[low], lo[low], check_names=False)
    # a point sourcing mix gives the same share and tonnes as before (graphite mining)
    graphite = inputs[(inputs["mineral"] == "graphite") & (inputs["stage"] == "mining")].iloc[0]
    assert graphite["share_basis"] == BASIS_SOURCING
    assert graphite["rival_supply_t"] / graphite["zone_supply_t"] == pytest.approx(
        graphite["china_zone_supply_share"]
    )


def test_a_us_lithium_project_lowers_the_usas_computed_reliance(
    supply: SupplyNetwork, zone: Zone
) -> None:
    network = restrict_network(supply, ["lithium"])
    new = pd.DataFrame(
        {
            "mineral": ["lithium"],
            "stage": ["mining"],
            "country": ["USA"],
            "capacity_t_per_year": [2000.0],
        }
    )
    after = network_with_capacity(network, zone, new)
    added = after.salient[after.salient["component"] == ADDED_PRODUCTION]
    assert len(added) == 1
    assert added["quantity_t"].iloc[0] == 2000.0

    def usa(net: SupplyNetwork) -> pd.Series:
        bal = material_balance(net, zone, us=us_balance_of(net.salient))
        rows = bal[
            (bal["member"] == "USA") & (bal["mineral_id"] == "lithium") & (bal["stage"] == "mining")
        ]
        return rows[rows["year"] == int(added["year"].iloc[0])].iloc[0]

    before_row, after_row = usa(network), usa(after)
    # USGS's U.S. balance (production and consumption withheld): net imports I - X
    us = us_balance_of(network.salient)
    li = us[(us["usgs_key"] == "lithi") & (us["year"] == int(added["year"].iloc[0]))].iloc[0]
    net = float(li["imports"] - li["exports"])
    assert net > 0
    assert before_row["import_reliance_max"] == pytest.approx(1.0)
    # fixed demand: the 2,000 t replace imports; consumption >= production + net imports
    # = net imports before, so the reliance is at most (net - 2,000) / net
    assert after_row["import_reliance_max"] <= max((net - 2000.0) / net, 0.0) + 1e-12
    assert after_row["import_reliance_max"] < before_row["import_reliance_max"]
    assert after_row["import_reliance_min"] <= before_row["import_reliance_min"]
