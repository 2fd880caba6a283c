"""The scenario network: one supply graph per mineral × stage, built for a baseline year.

Nodes are countries with their production; edges are the BACI flows of the
baseline year in tonnes. The propagation engine (:mod:`.propagate`) runs on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.metrics.shares import SERIES_KEYS, world_denominator
from friendshore.model.supply import SupplyNetwork

LAYER: list[str] = ["mineral_id", "stage"]

#: Where a mineral × stage has several production products that measure the same
#: material twice, the one product used (others are left out, and named in
#: ``layers.products_left_out``). Iron ore is published both as usable ore and as
#: its iron content; raw steel is made from pig iron. Every other multi-product
#: series (ilmenite + rutile, the three clays, sheet + scrap mica, ferrosilicon +
#: silicon metal) is summed.
PRODUCT_CHOICE: Mapping[tuple[str, str], str] = {
    ("iron_ore", "mining"): "usable ore",
    ("iron_and_steel", "processing"): "raw steel",
}

BASIS_CONTAINED = "contained"
BASIS_GROSS = "gross"
BASIS_ESTIMATED = "estimated"

PROXY_OWN = "own import shares"
PROXY_ALL = "processed-minerals import value shares"

#: Left out of the fallback consumption proxy (bullion trade, not industrial use).
PRECIOUS: tuple[str, ...] = ("gold", "silver", "platinum", "palladium")

NODE_COLUMNS = [
    "mineral_id",
    "stage",
    "country",
    "production_t",
    "production_status",
    "production_year",
    "products",
]
EDGE_COLUMNS = [
    "mineral_id",
    "stage",
    "exporter",
    "importer",
    "quantity_t",
    "value_usd",
    "basis",
    "hs6",
    "n_flows",
    "n_missing_quantity",
    "estimated",
]
FLOW_COLUMNS = [
    "mineral_id",
    "stage",
    "exporter",
    "importer",
    "hs6",
    "quantity_t",
    "value_usd",
    "basis",
    "estimated",
]


@dataclass(frozen=True, eq=False)
class ScenarioNetwork:
    """Supply network of one baseline year, per mineral × stage, in tonnes.

    Attributes
    ----------
    year
        Baseline year of the flows and (where published) of production.
    nodes
        One row per mineral × stage × country (producers and trading countries):
        ``production_t`` (t on the catalog basis; NaN where withheld, missing or
        not in tonnes, never zero), ``production_status`` (reported / estimated /
        withheld / missing / absent = the country trades but the source lists no
        production), ``production_year`` (the baseline year, or the latest earlier
        year with any figure where the baseline year has none), ``products``.
        ``node`` is the row position, used by the edges.
    edges
        One row per mineral × stage × exporter × importer: ``quantity_t`` (t on the
        layer's ``basis``: ``contained`` where every HS code of the layer has a
        content factor, else ``gross`` product weight for every code, or
        ``estimated`` for layers without trade rows, see
        :func:`estimate_missing_trade`), ``value_usd``, ``hs6`` (the codes the edge
        aggregates, ';'-joined; empty for estimated edges), ``n_flows``,
        ``n_missing_quantity`` (flows whose tonnes BACI does not give: counted as
        0 t, their value is in ``layers.missing_quantity_usd``), ``estimated``,
        ``src``/``dst`` (node positions).
    flows
        The HS6-level rows behind the edges (``edge`` = edge position), used to
        apply export cuts to selected codes.
    layers
        One row per mineral × stage: ``basis``, ``production_basis`` (catalog
        basis of production), ``bases_differ`` (gross trade weight added to a
        production figure on another basis), ``estimated``, ``consumption_proxy``,
        ``world_production_t``, ``production_year``, ``products_left_out``,
        ``n_flows``, ``missing_quantity_usd``, ``excluded_usd`` (flows with a
        non-country partner, left out of the graph).
    hs_codes
        Concordance of every HS6 code seen in the trade frame: ``hs6, mineral_id,
        stage``.
    """

    year: int
    nodes: pd.DataFrame
    edges: pd.DataFrame
    flows: pd.DataFrame
    layers: pd.DataFrame
    hs_codes: pd.DataFrame

    @classmethod
    def from_supply(
        cls,
        supply: SupplyNetwork,
        year: int,
        *,
        product_choice: Mapping[tuple[str, str], str] = PRODUCT_CHOICE,
        minerals: Collection[str] | None = None,
    ) -> ScenarioNetwork:
        """Build the network of ``year`` from the supply network's default sources.

        Production comes from :meth:`SupplyNetwork.default_production`; flows from
        the BACI rows of ``year``. Layers with production but no usable trade rows
        get estimated edges (:func:`estimate_missing_trade`). ``minerals``: only
        the layers of these catalog minerals (every stage); layers are independent
        (a cascade stays in its mineral × stage), so a scenario touching only
        them gives the same figures for them as on the whole network. Consumption
        proxies still come from the whole year's trade; ``hs_codes`` stay whole.
        """
        trade = supply.trade
        if not (trade["year"] == year).any():
            years = sorted(int(y) for y in trade["year"].unique())
            raise ValidationError(
                f"baseline year {year} has no trade rows; the store has {years[0]}–{years[-1]}"
            )
        rows, totals = supply.default_production()
        year_trade = trade[trade["year"] == year]
        if minerals is not None:
            keep = set(minerals)
            rows = rows[rows["mineral_id"].isin(keep)]
            totals = totals[totals["mineral_id"].isin(keep)]
            year_trade = year_trade[year_trade["mineral_id"].isin(keep)]
        rows, totals, left_out = _choose_products(rows, totals, product_choice)
        production, world = _layer_production(rows, totals, year)
        hs_codes = (
            trade[["hs6", "mineral_id", "stage"]].drop_duplicates().sort_values("hs6")
        ).reset_index(drop=True)
        unit_basis = supply.minerals.set_index("mineral_id")["unit_basis"]
        proxies = _consumption_proxies(trade, year)
        return cls.from_frames(
            year,
            production=production,
            trade=year_trade,
            world=world,
            proxies=proxies,
            hs_codes=hs_codes,
            unit_basis=unit_basis,
            left_out=left_out,
        )

    @classmethod
    def from_frames(
        cls,
        year: int,
        *,
        production: pd.DataFrame,
        trade: pd.DataFrame,
        world: pd.DataFrame | None = None,
        proxies: Mapping[str, tuple[str, pd.Series]] | None = None,
        hs_codes: pd.DataFrame | None = None,
        unit_basis: pd.Series | None = None,
        left_out: pd.Series | None = None,
    ) -> ScenarioNetwork:
        """Build the network from plain frames (the core of :meth:`from_supply`).

        Parameters
        ----------
        production
            ``mineral_id, stage, country, production_t`` and optionally
            ``production_status, production_year, products``.
        trade
            Flows of the year: ``exporter, importer, hs6, mineral_id, stage,
            value_usd, quantity_t, content_t``.
        world
            ``mineral_id, stage, world_production_t`` (needed only to estimate
            layers without trade).
        proxies
            Per mineral id (``'*'`` = fallback): (proxy name, consumption shares by
            country) used by :func:`estimate_missing_trade`.
        """
        production = production.copy()
        if "production_status" not in production:
            production["production_status"] = np.where(
                production["production_t"].notna(), "reported", "missing"
            )
        if "production_year" not in production:
            production["production_year"] = year
        if "products" not in production:
            production["products"] = ""
        flows, layers = _flows(trade)
        # Layers with production but no usable trade rows get estimated edges.
        known = production[production["production_t"].fillna(0.0) > 0]
        prod_layers = known[LAYER].drop_duplicates()
        usable = layers.loc[layers["n_usable"] > 0, LAYER]
        missing = prod_layers.merge(usable, on=LAYER, how="left", indicator=True)
        missing = missing.loc[missing["_merge"] == "left_only", LAYER]
        world_t = (
            world.set_index(LAYER)["world_production_t"]
            if world is not None
            else pd.Series(dtype="float64")
        )
        proxies = proxies or {}
        est_frames = []
        proxy_used: dict[tuple[str, str], str] = {}
        for mineral, stage in missing.itertuples(index=False, name=None):
            name_shares = proxies.get(mineral, proxies.get("*"))
            if name_shares is None:
                continue
            name, shares = name_shares
            layer_prod = production[
                (production["mineral_id"] == mineral) & (production["stage"] == stage)
            ].set_index("country")["production_t"]
            total = world_t.get((mineral, stage), np.nan)
            est = estimate_missing_trade(layer_prod, float(total), shares)
            est["mineral_id"] = mineral
            est["stage"] = stage
            est_frames.append(est)
            proxy_used[(mineral, stage)] = name
        if est_frames:
            est_flows = pd.concat(est_frames, ignore_index=True)
            est_flows["hs6"] = ""
            est_flows["value_usd"] = np.nan
            est_flows["basis"] = BASIS_ESTIMATED
            est_flows["estimated"] = True
            flows = pd.concat([flows, est_flows[FLOW_COLUMNS]], ignore_index=True)

        # Nodes: every producing or trading country of every layer.
        traders = pd.concat(
            [
                flows[[*LAYER, "exporter"]].rename(columns={"exporter": "country"}),
                flows[[*LAYER, "importer"]].rename(columns={"importer": "country"}),
            ]
        ).drop_duplicates()
        nodes = production[NODE_COLUMNS].merge(traders, on=[*LAYER, "country"], how="outer")
        nodes["production_status"] = nodes["production_status"].fillna("absent")
        nodes["production_year"] = nodes["production_year"].fillna(year).astype("int64")
        nodes["products"] = nodes["products"].fillna("")
        nodes = nodes.sort_values([*LAYER, "country"]).reset_index(drop=True)
        nodes["node"] = np.arange(len(nodes), dtype=np.int64)
        key = nodes.set_index([*LAYER, "country"])["node"]

        flows = flows.sort_values([*LAYER, "exporter", "importer", "hs6"]).reset_index(drop=True)
        flows["quantity_missing"] = flows["quantity_t"].isna() & ~flows["estimated"]
        grouped = flows.groupby([*LAYER, "exporter", "importer"], sort=True)
        edges = grouped.agg(
            quantity_t=("quantity_t", "sum"),
            basis=("basis", "first"),
            n_flows=("hs6", "size"),
            n_missing_quantity=("quantity_missing", "sum"),
            estimated=("estimated", "any"),
        )
        edges["value_usd"] = grouped["value_usd"].sum(min_count=1)
        edges["hs6"] = _joined_codes(flows, grouped.ngroup().to_numpy(), len(edges))
        edges = edges.reset_index()[[*EDGE_COLUMNS[:6], "basis", "hs6", *EDGE_COLUMNS[8:]]]
        edges["n_missing_quantity"] = edges["n_missing_quantity"].astype("int64")
        edge_key = pd.MultiIndex.from_frame(edges[[*LAYER, "exporter", "importer"]])
        flows["edge"] = edge_key.get_indexer(
            pd.MultiIndex.from_frame(flows[[*LAYER, "exporter", "importer"]])
        )
        edges["src"] = key.reindex(
            pd.MultiIndex.from_frame(
                edges[[*LAYER, "exporter"]].set_axis([*LAYER, "country"], axis=1)
            )
        ).to_numpy()
        edges["dst"] = key.reindex(
            pd.MultiIndex.from_frame(
                edges[[*LAYER, "importer"]].set_axis([*LAYER, "country"], axis=1)
            )
        ).to_numpy()

        layer_frame = _layer_frame(nodes, layers, missing, world_t, proxy_used)
        if unit_basis is not None:
            basis = layer_frame["mineral_id"].map(unit_basis).fillna("")
            layer_frame["production_basis"] = basis
            layer_frame["bases_differ"] = (
                layer_frame["basis"] == BASIS_GROSS
            ) & ~basis.str.contains("gross weight")
        else:
            layer_frame["production_basis"] = ""
            layer_frame["bases_differ"] = False
        layer_frame["products_left_out"] = pd.MultiIndex.from_frame(layer_frame[LAYER]).map(
            lambda k: left_out.get(k, "") if left_out is not None else ""
        )
        if hs_codes is None:
            hs_codes = flows.loc[flows["hs6"] != "", ["hs6", *LAYER]].drop_duplicates()
        return cls(
            year=year,
            nodes=nodes,
            edges=edges,
            flows=flows,
            layers=layer_frame,
            hs_codes=hs_codes.reset_index(drop=True),
        )


def estimate_missing_trade(
    production: pd.Series, world_t: float, consumption_share: pd.Series
) -> pd.DataFrame:
    """Estimated bilateral flows (t) of one mineral × stage that has no trade rows.

    Parameters
    ----------
    production
        Production by country (t), indexed by ISO3; NaN where withheld or missing.
    world_t
        World production (t): the published world total, else the sum of countries.
    consumption_share
        Each country's share (0–1) of world apparent consumption, or a proxy of it,
        indexed by ISO3 (it need not sum to 1; it is normalised).

    Returns
    -------
    pandas.DataFrame
        ``exporter, importer, quantity_t, basis = 'estimated', estimated = True``:
        one row per surplus producer × deficit country with a positive flow.

    Notes
    -----
    A proportional-pool estimate, the same market-share assumption as the
    import-share estimates of GeoPolRisk (Gemechu et al. 2016): every country
    consumes its share of world output, ``C_j = w_j · W``; producers serve
    themselves first, so producer ``x`` exports its surplus
    ``E_x = max(P_x − w_x·W, 0)`` and country ``j`` imports its deficit
    ``D_j = max(w_j·W − P_j, 0)`` (``P_j`` = 0 where unknown); deficits are met from
    the pool of surpluses in proportion:

    .. math:: X_{xj} = E_x \\, D_j / \\textstyle\\sum_k D_k .

    An importer's estimated loss when ``x`` cuts a share ``s`` of its exports is
    then ``s · X_xj`` (its share of world deficits times the restricted exports).
    With no world figure, no proxy or no deficit the result is empty: the layer is
    still flagged ``estimated`` in ``ScenarioNetwork.layers`` (with an empty
    ``consumption_proxy``), so its zero losses are never mistaken for observed ones.
    """
    cols = ["exporter", "importer", "quantity_t", "basis", "estimated"]
    w = consumption_share[consumption_share > 0]
    if not np.isfinite(world_t) or world_t <= 0 or w.empty:
        return pd.DataFrame(columns=cols)
    w = w / w.sum()
    countries = w.index.union(production.index)
    p = production.reindex(countries).fillna(0.0).to_numpy(dtype="float64")
    c = w.reindex(countries).fillna(0.0).to_numpy(dtype="float64") * world_t
    surplus = np.maximum(p - c, 0.0)
    deficit = np.maximum(c - p, 0.0)
    if deficit.sum() <= 0 or surplus.sum() <= 0:
        return pd.DataFrame(columns=cols)
    flows = np.outer(surplus, deficit / deficit.sum())
    src, dst = np.nonzero(flows > 0)
    names = np.asarray(countries, dtype=object)
    return pd.DataFrame(
        {
            "exporter": names[src],
            "importer": names[dst],
            "quantity_t": flows[src, dst],
            "basis": BASIS_ESTIMATED,
            "estimated": True,
        }
    )


def _joined_codes(flows: pd.DataFrame, group: np.ndarray, n: int) -> np.ndarray:
    """The HS6 codes of each edge, ';'-joined (vectorised: codes pivoted to columns)."""
    frame = pd.DataFrame({"g": group, "hs6": flows["hs6"].to_numpy()})
    frame = frame[frame["hs6"] != ""].drop_duplicates().sort_values(["g", "hs6"])
    frame["k"] = frame.groupby("g").cumcount()
    wide = frame.pivot(index="g", columns="k", values="hs6").reindex(range(n))
    out = pd.Series([""] * n, dtype=object)
    for k in wide.columns:
        col = wide[k].reset_index(drop=True)
        has = col.notna()
        sep = np.where((out != "") & has, ";", "")
        out = out + sep + col.fillna("").astype(object)
    return out.to_numpy()


def _choose_products(
    rows: pd.DataFrame, totals: pd.DataFrame, choice: Mapping[tuple[str, str], str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    chosen = pd.DataFrame([(m, s, p) for (m, s), p in choice.items()], columns=[*LAYER, "chosen"])

    def keep(frame: pd.DataFrame) -> pd.Series:
        merged = frame[[*LAYER, "product"]].merge(chosen, on=LAYER, how="left")
        return pd.Series(
            (merged["chosen"].isna() | (merged["chosen"] == merged["product"])).to_numpy(),
            index=frame.index,
        )

    dropped = rows.loc[~keep(rows), [*LAYER, "product"]].drop_duplicates()
    left_out = dropped.groupby(LAYER)["product"].agg(lambda s: ";".join(sorted(s)))
    return rows[keep(rows)], totals[keep(totals)], left_out


def _layer_production(
    rows: pd.DataFrame, totals: pd.DataFrame, year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Production per layer × country of ``year`` (or the latest earlier year with figures)."""
    rows = rows[rows["year"] <= year]
    known = rows[rows["quantity_t"].notna()]
    latest = known.groupby(LAYER)["year"].max()
    in_year = known[known["year"] == year].groupby(LAYER).size().index
    # The baseline year where it has any figure for the layer, else the latest known year;
    # layers with no figure at all keep the baseline year's (unknown) rows.
    layer_year = latest.where(~latest.index.isin(in_year), year).astype("int64")
    ly = layer_year.rename("production_year").reset_index()
    sel = rows.merge(ly, on=LAYER, how="left")
    sel["production_year"] = sel["production_year"].fillna(year).astype("int64")
    sel = sel[sel["year"] == sel["production_year"]]
    status = sel["status"].where(
        sel["quantity_t"].notna() | sel["status"].eq("withheld"), "missing"
    )
    sel = sel.assign(status=status)
    grouped = sel.groupby([*LAYER, "country"], sort=True)
    out = grouped.agg(
        production_t=("quantity_t", lambda s: s.sum(min_count=1)),
        production_year=("production_year", "first"),
        products=("product", lambda s: ";".join(sorted(set(s) - {""}))),
    )
    st = sel.assign(
        _rank=sel["status"].map({"withheld": 3, "missing": 2, "estimated": 1}).fillna(0)
    )
    worst = st.sort_values("_rank").groupby([*LAYER, "country"])["status"].last()
    out["production_status"] = worst
    # A partly known sum is not a figure: NaN as soon as one product is unknown.
    any_nan = sel["quantity_t"].isna().groupby([sel[c] for c in [*LAYER, "country"]]).any()
    out.loc[any_nan[any_nan].index, "production_t"] = np.nan
    production = out.reset_index()
    series = sel[SERIES_KEYS].drop_duplicates()
    tot = totals.merge(series, on=SERIES_KEYS)
    world = world_denominator(sel, tot)
    world = (
        world.groupby(LAYER)["world_quantity_t"]
        .sum(min_count=1)
        .rename("world_production_t")
        .reset_index()
    )
    return production, world


def _flows(trade: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HS6 flows between countries on one basis per layer, and per-layer coverage."""
    trade = trade.copy()
    excluded = trade["exporter"].isna() | trade["importer"].isna()
    same = trade["content_t"].notna() == trade["quantity_t"].notna()
    contained = same.groupby([trade["mineral_id"], trade["stage"]]).all().rename("contained")
    trade = trade.merge(contained.reset_index(), on=LAYER)
    trade["basis"] = np.where(trade["contained"], BASIS_CONTAINED, BASIS_GROSS)
    trade["quantity_t"] = trade["content_t"].where(trade["contained"], trade["quantity_t"])
    trade["estimated"] = False
    excluded = trade["exporter"].isna() | trade["importer"].isna()
    missing = trade["quantity_t"].isna()
    g = trade.assign(
        _excl_usd=trade["value_usd"].where(excluded, 0.0),
        _miss_usd=trade["value_usd"].where(missing & ~excluded, 0.0),
        _usable=(trade["quantity_t"].fillna(0.0) > 0) & ~excluded,
    ).groupby(LAYER)
    layers = g.agg(
        basis=("basis", "first"),
        n_flows=("hs6", "size"),
        n_usable=("_usable", "sum"),
        missing_quantity_usd=("_miss_usd", "sum"),
        excluded_usd=("_excl_usd", "sum"),
    ).reset_index()
    flows = trade.loc[~excluded, FLOW_COLUMNS].reset_index(drop=True)
    return flows, layers


def _consumption_proxies(trade: pd.DataFrame, year: int) -> dict[str, tuple[str, pd.Series]]:
    """Consumption-share proxies for layers without trade rows, per mineral (``'*'`` = fallback).

    A mineral's own import shares by quantity in ``year`` (any stage: e.g. the
    mining layer of cobalt borrows the shares of cobalt's processed trade);
    failing that, each country's share of the value of world imports of
    processed minerals in ``year``, precious metals (gold, silver, platinum,
    palladium) left out because their trade follows bullion refining and vaulting
    (Switzerland, Hong Kong) rather than industrial use. Earlier years are not
    used: germanium's last rows (2016) list three importers.
    """
    base = trade[(trade["year"] == year) & trade["importer"].notna()]
    rows = base[base["quantity_t"].fillna(0.0) > 0]
    own = rows.groupby(["mineral_id", "importer"])["quantity_t"].sum()
    out: dict[str, tuple[str, pd.Series]] = {
        str(m): (PROXY_OWN, s.droplevel("mineral_id")) for m, s in own.groupby(level="mineral_id")
    }
    industrial = base[(base["stage"] == "processing") & ~base["mineral_id"].isin(PRECIOUS)]
    out["*"] = (PROXY_ALL, industrial.groupby("importer")["value_usd"].sum())
    return out


def _layer_frame(
    nodes: pd.DataFrame,
    layers: pd.DataFrame,
    missing: pd.DataFrame,
    world_t: pd.Series,
    proxy_used: Mapping[tuple[str, str], str],
) -> pd.DataFrame:
    all_layers = nodes[LAYER].drop_duplicates().reset_index(drop=True)
    out = all_layers.merge(layers.drop(columns="n_usable"), on=LAYER, how="left")
    key = pd.MultiIndex.from_frame(out[LAYER])
    est = key.isin(pd.MultiIndex.from_frame(missing)) if len(missing) else np.zeros(len(out), bool)
    out["estimated"] = est
    out["basis"] = out["basis"].where(~out["estimated"], BASIS_ESTIMATED).fillna("none")
    out["consumption_proxy"] = [proxy_used.get((m, s), "") for m, s in key]
    out["world_production_t"] = world_t.reindex(key).to_numpy()
    listed = nodes[nodes["production_status"] != "absent"]
    py = listed.groupby(LAYER)["production_year"].max()
    out["production_year"] = py.reindex(key).to_numpy()  # NaN: no production listed
    for col in ("n_flows",):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("missing_quantity_usd", "excluded_usd"):
        out[col] = out[col].fillna(0.0)
    return out
