"""Propagation of supply shocks through the trade network (proportional-allocation cascade).

:func:`propagate` takes a :class:`~friendshore.scenarios.network.ScenarioNetwork`
and the plain shock records of :mod:`friendshore.scenarios.cuts`, and returns a
frozen :class:`Propagation` with the loss of every country × mineral × stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from friendshore._core.errors import ValidationError
from friendshore.scenarios.cuts import ByProductLink, ExportCut, ProductionCut
from friendshore.scenarios.network import LAYER, ScenarioNetwork

Cut = ExportCut | ProductionCut | ByProductLink
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NODE_COLUMNS = [
    "mineral_id",
    "stage",
    "country",
    "production_t",
    "production_status",
    "imports_t",
    "exports_t",
    "baseline_supply_t",
    "domestic_use_t",
    "direct_loss_t",
    "upstream_loss_t",
    "cascade_loss_t",
    "total_loss_t",
    "passed_on_t",
    "exports_withheld_t",
    "absorbed_t",
    "shortfall_t",
    "shortfall_share",
    "direct_loss_unquantified_usd",
    "estimated",
    "iterations",
    "converged",
]


@dataclass(frozen=True, eq=False)
class Propagation:
    """Result of :func:`propagate`: inputs, per-node losses, per-edge flows before and after.

    Attributes
    ----------
    network, cuts, max_iter, tol
        The inputs, as given.
    nodes
        One row per country × mineral × stage (tonnes a year on the layer's basis):
        ``production_t``, ``imports_t``, ``exports_t``, ``baseline_supply_t``
        (production + imports; production counted 0 where withheld or missing, see
        ``production_status``), ``domestic_use_t`` (supply − exports),
        ``direct_loss_t`` (imports cut by export restrictions + production cut by
        production losses), ``upstream_loss_t`` (processed output lost because the
        country's ore supply fell, or because a host mineral's output fell, for
        by-products), ``cascade_loss_t`` (total − direct: upstream plus losses
        passed on by trade partners), ``total_loss_t``, ``passed_on_t`` (part of the
        loss passed on to the country's export partners), ``exports_withheld_t`` (exports
        the country itself withholds under its export cuts: kept at home, no gain
        credited), ``absorbed_t`` (part of the loss it keeps that those withheld
        tonnes cover: ``min(total − passed_on, withheld)``), ``shortfall_t`` (the
        rest: the fall of domestic use below its baseline, at most
        ``domestic_use_t``), ``shortfall_share`` (shortfall / domestic use, 0–1; NaN
        where domestic use is not positive), ``direct_loss_unquantified_usd``
        (value of cut flows whose tonnes BACI does not give: not in the tonnes,
        never counted as 0 silently), ``estimated`` (the layer's trade is estimated,
        or the loss comes upstream from an estimated layer), ``iterations``,
        ``converged`` (of the node's layer).
    edges
        The network's edges with ``quantity_t`` (before), ``direct_cut_t``,
        ``cascade_cut_t`` and ``after_t`` (t).
    layers
        One row per mineral × stage: ``basis``, ``estimated``, ``level`` (order of
        computation across stages), ``iterations``, ``converged``, ``injected_t``
        (direct + upstream losses), ``shortfall_t``, ``absorbed_t``, ``in_transit_t``
        (injected − shortfall − absorbed: 0 at convergence, up to ``tol``).
    """

    network: ScenarioNetwork
    cuts: tuple[Cut, ...]
    max_iter: int
    tol: float
    nodes: pd.DataFrame
    edges: pd.DataFrame
    layers: pd.DataFrame

    @property
    def converged(self) -> bool:
        """Whether every layer's cascade converged."""
        return bool(self.layers["converged"].all())


def propagate(
    net: ScenarioNetwork,
    cuts: Sequence[Cut],
    *,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> Propagation:
    """Propagate shocks through the network: loss per country × mineral × stage (t/yr).

    Parameters
    ----------
    net
        The network of the baseline year.
    cuts
        Export cuts, production cuts and by-product links.
    max_iter
        Most cascade iterations per stage level.
    tol
        Convergence tolerance, relative: a layer has converged when no node's loss
        changes by more than ``tol × max(1, injected_t)`` in one iteration.

    Returns
    -------
    Propagation
        See :class:`Propagation`.

    Raises
    ------
    ValidationError
        For shares or ratios outside 0–1, an export cut with neither minerals nor
        codes, unknown minerals, stages or HS codes, by-product links that form a
        cycle, ``max_iter < 1`` or ``tol <= 0``.

    Notes
    -----
    Per mineral × stage with production ``P``, flows ``X_ij`` (exporter ``i`` to
    importer ``j``), imports ``M``, exports ``E`` and supply ``S = P + M``:

    1. **Direct loss.** An export cut of share ``s`` removes ``s · X_ij`` from every
       selected flow to a non-exempt destination (several cuts on one flow
       multiply: ``X_ij · (1 − Π(1 − s_k))``); the importer loses it. The exporter
       keeps the withheld tonnes ``W_i = Σ_j s · X_ij`` (no gain is credited, but
       see step 4). A production cut of share ``f`` removes ``f · P_i``.
    2. **Across stages.** A country's processed output falls in the proportion its
       ore supply fell: ``f_i^proc = L_i^mining / S_i^mining`` (where both stages
       exist for the mineral), and a by-product's output falls by
       ``ratio × (host output lost / host output)``. Several falls combine as
       ``1 − Π(1 − f)``. Layers are computed in dependency order (``level``).
    3. **Cascade** (proportional allocation of shortfalls, Marchand et al. 2016,
       "Reserves and trade jointly determine exposure to food supply shocks",
       Environ. Res. Lett. 11 095009, and the allocation rule of Puma et al.
       2015): a country whose supply falls by ``L_i`` passes ``a_ij · L_i`` on to
       each export partner, with ``a_ij = X'_ij / max(S_i, E_i)`` (``X'`` the flows
       left after direct cuts), and keeps the rest, ``(1 − Σ_j a_ij) L_i``, as a
       fall of its domestic use: the loss is shared between exports and domestic
       use in proportion to their shares of supply. The losses solve
       ``L = d + Aᵀ L`` (``d`` = direct + upstream), computed by the iteration
       ``L⁽ᵏ⁺¹⁾ = d + Aᵀ L⁽ᵏ⁾`` from ``L⁽⁰⁾ = d`` (a vectorised sparse product per
       step; no per-edge loop).
    4. **Withheld tonnes.** The part a country keeps, ``K_i = (1 − Σ_j a_ij) L_i``,
       first uses up the tonnes it withholds itself: ``absorbed_i = min(K_i, W_i)``
       and ``shortfall_i = K_i − absorbed_i``. Without this, an exporter that
       withholds ``W_i`` and also loses production would count those tonnes twice
       (once at its importers, once again at home), and its shortfall could exceed
       its domestic use: ``K_i ≤ S_i − E'_i = D_i + W_i`` with ``E'`` the exports
       left, so ``shortfall_i ≤ D_i``.

    Identities (tested): ``L ≥ d ≥ 0``; ``L_i ≤ S_i`` and no edge is cut below 0
    (row sums of ``A`` are at most 1 and each ``L_i ≤ S_i`` by induction);
    ``0 ≤ shortfall_i ≤ D_i`` where ``S_i ≥ E_i``; and, at convergence, per layer
    ``Σ_i (shortfall_i + absorbed_i) = Σ_i d_i`` (summing ``L = d + AᵀL`` over
    nodes): every tonne the shock removes ends as a fall of some country's
    domestic use or is covered by exports that country withheld, and nothing else
    is lost or created. Before convergence the difference is in
    ``layers.in_transit_t``.

    Quantities are annual rates of the baseline year; the cut's ``months`` is not
    applied here (the response and results scale to the duration).
    """
    cuts = tuple(cuts)
    if max_iter < 1:
        raise ValidationError(f"max_iter must be at least 1, got {max_iter}")
    if not tol > 0:
        raise ValidationError(f"tol must be positive, got {tol}")
    check_cuts(net, cuts)

    nodes, edges, flows = net.nodes, net.edges, net.flows
    n = len(nodes)
    layer_index = pd.MultiIndex.from_frame(net.layers[LAYER])
    layer_id = layer_index.get_indexer(pd.MultiIndex.from_frame(nodes[LAYER])).astype(np.int64)
    n_layers = len(layer_index)
    src = edges["src"].to_numpy(dtype=np.int64)
    dst = edges["dst"].to_numpy(dtype=np.int64)
    q = edges["quantity_t"].fillna(0.0).to_numpy(dtype=np.float64)
    prod = nodes["production_t"].fillna(0.0).to_numpy(dtype=np.float64)
    imports = np.bincount(dst, q, minlength=n)
    exports = np.bincount(src, q, minlength=n)
    supply = prod + imports

    # 1. Direct loss from export cuts, applied to the HS6 flows.
    keep = flow_keep(net, [c for c in cuts if isinstance(c, ExportCut)])
    fq = flows["quantity_t"].to_numpy(dtype=np.float64)
    cut_t = np.where(np.isnan(fq), 0.0, fq) * (1.0 - keep)
    fval = flows["value_usd"].to_numpy(dtype=np.float64)
    unq_usd = np.where(np.isnan(fq) & ~np.isnan(fval), fval, 0.0) * (1.0 - keep)
    fedge = flows["edge"].to_numpy(dtype=np.int64)
    direct_cut = np.bincount(fedge, cut_t, minlength=len(edges))
    direct_unq = np.bincount(dst, np.bincount(fedge, unq_usd, minlength=len(edges)), minlength=n)
    import_loss = np.bincount(dst, direct_cut, minlength=n)
    withheld = np.bincount(src, direct_cut, minlength=n)

    # Pass-on shares of the flows left after direct cuts.
    remaining = np.maximum(q - direct_cut, 0.0)
    denom = np.maximum(supply, exports)[src]
    a = np.divide(remaining, denom, out=np.zeros_like(remaining), where=denom > 0)
    alpha = np.bincount(src, a, minlength=n)

    # Production cut shares and cross-stage dependencies.
    f_direct = production_cut_share(net, [c for c in cuts if isinstance(c, ProductionCut)])
    links = [c for c in cuts if isinstance(c, ByProductLink)]
    deps, ore_node = dependencies(net, layer_index, links)
    level = levels(layer_index, deps)
    node_level = level[layer_id]
    layer_est = net.layers["estimated"].to_numpy(dtype=bool)
    link_nodes = [
        (link, node_map(net, (link.host_mineral, link.host_stage), (link.mineral, link.stage)))
        for link in links
    ]

    loss = np.zeros(n)
    direct = import_loss + f_direct * prod
    upstream = np.zeros(n)
    f_total = f_direct.copy()
    estimated = layer_est[layer_id].copy()
    iterations = np.zeros(n_layers, dtype=np.int64)
    converged = np.zeros(n_layers, dtype=bool)
    injected_layer = np.zeros(n_layers)

    for lv in range(int(level.max()) + 1 if n_layers else 0):
        in_lv = node_level == lv
        # 2. Upstream production falls (ore -> processed, host -> by-product).
        keep_share = 1.0 - f_direct
        has_ore = in_lv & (ore_node >= 0)
        ore = ore_node[has_ore]
        ore_share = np.divide(
            loss[ore], supply[ore], out=np.zeros(len(ore)), where=supply[ore] > 0
        ).clip(0.0, 1.0)
        keep_share[has_ore] *= 1.0 - ore_share
        estimated[has_ore] |= estimated[ore] & (ore_share > 0)
        for link, (host_all, target_all) in link_nodes:
            sel = in_lv[target_all]
            host, target = host_all[sel], target_all[sel]
            fall = link.ratio * f_total[host]
            keep_share[target] *= 1.0 - fall
            estimated[target] |= estimated[host] & (fall > 0)
        f_total = np.where(in_lv, 1.0 - keep_share, f_total)
        upstream = np.where(in_lv, (f_total - f_direct) * prod, upstream)
        inject = np.where(in_lv, direct + upstream, 0.0)
        lv_layers = np.unique(layer_id[in_lv])
        injected_layer[lv_layers] = np.bincount(layer_id, inject, minlength=n_layers)[lv_layers]
        scale = tol * np.maximum(1.0, injected_layer)

        # 3. Cascade: L = d + A^T L, iterated.
        e_sel = in_lv[src]
        es, ed, ea = src[e_sel], dst[e_sel], a[e_sel]
        cur = inject.copy()
        done = np.zeros(n_layers, dtype=bool)
        done[~np.isin(np.arange(n_layers), lv_layers)] = True
        for k in range(1, max_iter + 1):
            new = inject + np.bincount(ed, ea * cur[es], minlength=n)
            change = np.zeros(n_layers)
            np.maximum.at(change, layer_id, np.abs(new - cur))
            cur = new
            now = ~done & (change <= scale)
            iterations[now] = k
            converged[now] = True
            done |= now
            if done.all():
                break
        iterations[~done] = max_iter
        loss = np.where(in_lv, cur, loss)

    passed = alpha * loss
    kept = loss - passed
    absorbed = np.clip(kept, 0.0, withheld)
    shortfall = kept - absorbed
    domestic = supply - exports
    share = np.divide(shortfall, domestic, out=np.full(n, np.nan), where=domestic > 0)
    out = nodes[["mineral_id", "stage", "country", "production_t", "production_status"]].copy()
    out["imports_t"] = imports
    out["exports_t"] = exports
    out["baseline_supply_t"] = supply
    out["domestic_use_t"] = domestic
    out["direct_loss_t"] = direct
    out["upstream_loss_t"] = upstream
    out["cascade_loss_t"] = loss - direct
    out["total_loss_t"] = loss
    out["passed_on_t"] = passed
    out["exports_withheld_t"] = withheld
    out["absorbed_t"] = absorbed
    out["shortfall_t"] = shortfall
    out["shortfall_share"] = share
    out["direct_loss_unquantified_usd"] = direct_unq
    out["estimated"] = estimated
    out["iterations"] = iterations[layer_id]
    out["converged"] = converged[layer_id]

    edge_out = edges.drop(columns=["src", "dst"]).copy()
    edge_out["direct_cut_t"] = direct_cut
    edge_out["cascade_cut_t"] = a * loss[src]
    edge_out["after_t"] = q - direct_cut - edge_out["cascade_cut_t"].to_numpy()

    layers = net.layers[[*LAYER, "basis", "estimated"]].copy()
    layers["level"] = level
    layers["iterations"] = iterations
    layers["converged"] = converged
    layers["injected_t"] = injected_layer
    layers["shortfall_t"] = np.bincount(layer_id, shortfall, minlength=n_layers)
    layers["absorbed_t"] = np.bincount(layer_id, absorbed, minlength=n_layers)
    layers["in_transit_t"] = layers["injected_t"] - layers["shortfall_t"] - layers["absorbed_t"]
    return Propagation(
        network=net,
        cuts=cuts,
        max_iter=max_iter,
        tol=tol,
        nodes=out[NODE_COLUMNS],
        edges=edge_out,
        layers=layers,
    )


def _check_share(value: float, what: str, field: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"{what}: {field} must be between 0 and 1, got {value}")


def check_cuts(net: ScenarioNetwork, cuts: Sequence[Cut]) -> None:
    """Check shock records against the network before any computation.

    Parameters
    ----------
    net
        The network the cuts apply to.
    cuts
        Export cuts, production cuts and by-product links.

    Raises
    ------
    ValidationError
        For a share or ratio outside 0–1, an export cut with neither minerals nor
        HS6 codes, a mineral not in the network, an HS6 code not mapped to a
        mineral, or a production cut or by-product link naming a mineral × stage
        layer the network of ``net.year`` lacks.
    """
    minerals = set(net.layers["mineral_id"])
    codes = set(net.hs_codes["hs6"])
    layers = set(zip(net.layers["mineral_id"], net.layers["stage"], strict=True))
    for cut in cuts:
        if isinstance(cut, ExportCut):
            what = f"export cut by {cut.exporter}"
            _check_share(cut.share, what, "share")
            if not cut.minerals and not cut.hs6:
                raise ValidationError(f"{what}: give minerals or hs6 codes to cut")
            for m in cut.minerals:
                if m not in minerals:
                    raise ValidationError(f"{what}: unknown mineral {m!r} (not in the network)")
            for code in cut.hs6:
                if code not in codes:
                    raise ValidationError(
                        f"{what}: HS6 code {code!r} is not mapped to a mineral in the concordance"
                    )
        elif isinstance(cut, ProductionCut):
            what = f"production cut in {cut.country}"
            _check_share(cut.share, what, "share")
            if (cut.mineral, cut.stage) not in layers:
                raise ValidationError(
                    f"{what}: no {cut.mineral} {cut.stage} layer in the network "
                    f"of {net.year} (unknown mineral or stage)"
                )
        elif isinstance(cut, ByProductLink):
            what = f"by-product link {cut.host_mineral} -> {cut.mineral}"
            _check_share(cut.ratio, what, "ratio")
            for m, s in ((cut.host_mineral, cut.host_stage), (cut.mineral, cut.stage)):
                if (m, s) not in layers:
                    raise ValidationError(f"{what}: no {m} {s} layer in the network of {net.year}")
        else:  # pragma: no cover - guarded by the type checker
            raise ValidationError(f"unknown shock record {cut!r}")


def flow_keep(net: ScenarioNetwork, cuts: Sequence[ExportCut]) -> FloatArray:
    """Share (0–1) of each HS6 flow of ``net.flows`` left after the export cuts.

    Parameters
    ----------
    net
        The network whose flows are cut.
    cuts
        The export cuts (checked by :func:`check_cuts`).

    Returns
    -------
    numpy.ndarray
        One value per row of ``net.flows``, in that order: ``Π_k (1 − s_k)`` over
        the cuts ``k`` that select the flow (1 where none does).

    Notes
    -----
    A cut selects the flows from its exporter to every importer in its
    ``destinations`` (every importer where it has none) and not in its
    ``exempt`` list whose mineral is in ``minerals``, or whose HS6 code is in
    ``hs6``; on an estimated layer (trade not by HS6 code) a code selects the
    flows of every layer the code maps to.
    """
    flows = net.flows
    keep = np.ones(len(flows))
    if not cuts:
        return keep
    estimated = flows["estimated"].to_numpy(dtype=bool)
    flow_layer = pd.MultiIndex.from_frame(flows[LAYER])
    for cut in cuts:
        code_layers = net.hs_codes[net.hs_codes["hs6"].isin(cut.hs6)][LAYER]
        by_code = flows["hs6"].isin(cut.hs6).to_numpy() & ~estimated
        by_layer = estimated & flow_layer.isin(pd.MultiIndex.from_frame(code_layers))
        by_mineral = flows["mineral_id"].isin(cut.minerals).to_numpy()
        sel = (
            (flows["exporter"] == cut.exporter).to_numpy()
            & ~flows["importer"].isin(cut.exempt).to_numpy()
            & (by_code | by_layer | by_mineral)
        )
        if cut.destinations is not None:
            sel &= flows["importer"].isin(cut.destinations).to_numpy()
        keep[sel] *= 1.0 - cut.share
    return keep


def production_cut_share(net: ScenarioNetwork, cuts: Sequence[ProductionCut]) -> FloatArray:
    """Share (0–1) of each node's production removed by the production cuts.

    Parameters
    ----------
    net
        The network whose nodes are cut.
    cuts
        The production cuts (checked by :func:`check_cuts`).

    Returns
    -------
    numpy.ndarray
        One value per row of ``net.nodes``, in that order: ``1 − Π_k (1 − f_k)``
        over the cuts ``k`` on the node's country × mineral × stage (0 where none
        is; a cut on a country without a node in that layer removes nothing).
    """
    keep = np.ones(len(net.nodes))
    if not cuts:
        return 1.0 - keep
    key = pd.MultiIndex.from_frame(net.nodes[[*LAYER, "country"]])
    wanted = pd.MultiIndex.from_tuples([(c.mineral, c.stage, c.country) for c in cuts])
    pos = key.get_indexer(wanted)
    for cut, i in zip(cuts, pos, strict=True):
        if i >= 0:
            keep[i] *= 1.0 - cut.share
    return 1.0 - keep


def node_map(
    net: ScenarioNetwork, source: tuple[str, str], target: tuple[str, str]
) -> tuple[IntArray, IntArray]:
    """Node positions of the countries present in both a source and a target layer.

    Parameters
    ----------
    net
        The network.
    source, target
        ``(mineral_id, stage)`` of the two layers.

    Returns
    -------
    tuple of numpy.ndarray
        ``(source_positions, target_positions)``, aligned: row positions in
        ``net.nodes`` of each target-layer country that also has a source-layer
        node (countries without one are left out), in target-layer order.
    """
    nodes = net.nodes
    tgt = nodes[(nodes["mineral_id"] == target[0]) & (nodes["stage"] == target[1])]
    key = pd.MultiIndex.from_frame(nodes[[*LAYER, "country"]])
    want = pd.MultiIndex.from_arrays(
        [np.full(len(tgt), source[0]), np.full(len(tgt), source[1]), tgt["country"].to_numpy()]
    )
    src_pos = key.get_indexer(want).astype(np.int64)
    ok = src_pos >= 0
    return src_pos[ok], tgt["node"].to_numpy(dtype=np.int64)[ok]


def dependencies(
    net: ScenarioNetwork, layer_index: pd.MultiIndex, links: Sequence[ByProductLink]
) -> tuple[dict[int, set[int]], IntArray]:
    """Cross-stage dependencies of the layers, and each node's ore node.

    Parameters
    ----------
    net
        The network.
    layer_index
        ``(mineral_id, stage)`` of each layer, in the order of ``net.layers``.
    links
        The by-product links (checked by :func:`check_cuts`).

    Returns
    -------
    deps : dict of int to set of int
        For each layer position, the positions of the layers its output depends
        on: a processing layer on the same mineral's mining layer (where the
        network has both), a by-product layer on its host layer.
    ore_node : numpy.ndarray
        For each row of ``net.nodes``, the row of the same country's mining node
        of the same mineral where the node is a processing node and that mining
        node exists; −1 otherwise.
    """
    deps: dict[int, set[int]] = {i: set() for i in range(len(layer_index))}
    ore_node = np.full(len(net.nodes), -1, dtype=np.int64)
    pos = {k: i for i, k in enumerate(layer_index)}
    for (mineral, stage), i in pos.items():
        if stage == "processing" and (mineral, "mining") in pos:
            deps[i].add(pos[(mineral, "mining")])
            src, tgt = node_map(net, (mineral, "mining"), (mineral, "processing"))
            ore_node[tgt] = src
    for link in links:
        deps[pos[(link.mineral, link.stage)]].add(pos[(link.host_mineral, link.host_stage)])
    return deps, ore_node


def levels(layer_index: pd.MultiIndex, deps: dict[int, set[int]]) -> IntArray:
    """Computation level of each layer: the longest chain of dependencies below it.

    Parameters
    ----------
    layer_index
        ``(mineral_id, stage)`` of each layer.
    deps
        Dependencies per layer position, as returned by :func:`dependencies`.

    Returns
    -------
    numpy.ndarray
        One int per layer: 0 without dependencies, else ``1 + max`` of the levels
        of the layers it depends on; layers are computed in increasing level.

    Raises
    ------
    ValidationError
        Where the dependencies form a cycle (by-product links only can).
    """
    level = np.zeros(len(layer_index), dtype=np.int64)
    for _ in range(len(layer_index) + 1):
        changed = False
        for i, ds in deps.items():
            want = max((int(level[d]) + 1 for d in ds), default=0)
            if want != level[i]:
                level[i] = want
                changed = True
        if not changed:
            return level
    n = len(layer_index)
    cyclic = sorted(f"{m} {s}" for i, (m, s) in enumerate(layer_index) if level[i] >= n)
    raise ValidationError(
        "by-product links form a cycle (a mineral's output would depend on itself): "
        + ", ".join(cyclic)
    )
