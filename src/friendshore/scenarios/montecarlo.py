"""Monte Carlo over random export restrictions: shortfall distributions per member.

Each draw, every supplier country ``c`` restricts its exports of mineral ``m``
with probability ``p[c, m]`` (independent Bernoulli events), cutting
``cut_share`` of those exports to every destination but the other countries of
its own zone member (a bloc's internal market stays open, see
:func:`~friendshore.scenarios.cuts.exempt_fellow_members`); the scenario's own
shocks apply in every draw on top. The draws go through the same proportional-allocation
cascade as :func:`~friendshore.scenarios.propagate.propagate`, vectorised over a
chunk of draws with numpy (arrays draws × nodes and draws × edges; one Python
loop over chunks, then over mineral × stage layers, never over draws).

The Monte Carlo reports the **pre-response** shortfall: each member's fall of
domestic use after the cascade (``lost_t`` of ``scenario run``), before the
zone's re-routing, sharing and stockpiles. The response LP per draw (10,000 LPs)
is left out for speed; ``shortfall_basis = 'pre-response'`` says so in outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from friendshore._core.errors import DataError, ValidationError
from friendshore._core.records import frame_records
from friendshore.data.documents import parse_toml, parse_yaml, read_text
from friendshore.metrics.risk import pv_normalised
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.scenarios.cuts import (
    ByProductLink,
    ExportCut,
    ProductionCut,
    exempt_fellow_members,
)
from friendshore.scenarios.model import ExportRestriction, Scenario, load_scenario, scenario_ids
from friendshore.scenarios.network import LAYER, ScenarioNetwork
from friendshore.scenarios.propagate import (
    check_cuts,
    dependencies,
    flow_keep,
    levels,
    node_map,
    production_cut_share,
    propagate,
)
from friendshore.scenarios.run import member_table

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_CUT_SHARE",
    "HISTORY_UPLIFT",
    "HISTORY_UPLIFT_OTHER",
    "P_MAX",
    "P_MIN",
    "SUMMARY_COLUMNS",
    "MonteCarloModel",
    "MonteCarloResult",
    "chunk_seeds",
    "disruption_probabilities",
    "load_probability_overrides",
    "local_cluster",
    "prepare_model",
    "run_chunk",
    "run_montecarlo",
    "simulate",
    "summarise",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Cut = ExportCut | ProductionCut | ByProductLink

#: Draws per chunk: fixed, so that a seed gives the same numbers on any backend
#: and any number of workers (chunk ``i`` always draws from ``spawn(n)[i]``).
CHUNK_SIZE = 25
#: ASSUMPTION: yearly probability that a supplier with the best political
#: stability (``pv_normalised = 0``) restricts exports of a given mineral.
P_MIN = 0.01
#: ASSUMPTION: the same for the worst political stability (``pv_normalised = 1``).
P_MAX = 0.10
#: ASSUMPTION: factor on ``p`` for a (country, mineral) restricted in a shipped scenario.
HISTORY_UPLIFT = 3.0
#: ASSUMPTION: factor on ``p`` for that country's other minerals.
HISTORY_UPLIFT_OTHER = 1.5
#: Share of exports cut per event when the scenario has no export restriction.
DEFAULT_CUT_SHARE = 0.5
#: pv_normalised used for a supplier without any WGI estimate (WGI mean 0, documented).
PV_MISSING = 0.5

QUANTILES = (0.5, 0.95, 0.99)
SUMMARY_COLUMNS = [
    "member",
    "mineral",
    "stage",
    "baseline_t",
    "shortfall_t_mean",
    "shortfall_t_p50",
    "shortfall_t_p95",
    "shortfall_t_p99",
    "shortfall_share_mean",
    "shortfall_share_p50",
    "shortfall_share_p95",
    "shortfall_share_p99",
    "p_exceed",
    "estimated",
]


# --- disruption probabilities ------------------------------------------------------------


def _history(ids: Iterable[str], hs_codes: pd.DataFrame) -> set[tuple[str, str]]:
    """(country, mineral) pairs restricted in the shipped scenarios (HS codes mapped)."""
    code_mineral = dict(zip(hs_codes["hs6"], hs_codes["mineral_id"], strict=True))
    pairs: set[tuple[str, str]] = set()
    for scenario_id in ids:
        for shock in load_scenario(scenario_id).shocks:
            if isinstance(shock, ExportRestriction):
                minerals = {*shock.minerals, *(code_mineral.get(c) for c in shock.hs6)}
                pairs |= {(shock.country, m) for m in minerals if m}
    return pairs


def disruption_probabilities(
    net: ScenarioNetwork,
    governance: pd.DataFrame,
    *,
    overrides: Mapping[str, float] | None = None,
    history: Iterable[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Yearly probability (0–1) that each supplier restricts exports of each mineral.

    Parameters
    ----------
    net
        The network; suppliers are the exporters of its edges, per mineral.
    governance
        WGI frame (``country, year, pv``) as in ``SupplyNetwork.governance``.
    overrides
        ``{"CHN": 0.3, "CHN:graphite": 0.6, "*": 0.05}``: a value for every
        mineral of a country, for one country × mineral, or for all (``*``);
        the most specific wins, and it replaces the computed ``p``.
    history
        (country, mineral) pairs that restricted before; default: the export
        restrictions of the shipped scenarios.

    Returns
    -------
    pandas.DataFrame
        One row per exporter × mineral: ``exporter, mineral_id, pv_normalised,
        governance_year, governance_missing, history, p``.

    Notes
    -----
    ``p = clip((P_MIN + (P_MAX − P_MIN) · g) · u, 0, 1)`` with ``g`` the
    ``pv_normalised`` of :func:`friendshore.metrics.risk.pv_normalised` (WGI
    political stability mapped to 0 = stable … 1 = unstable, as in GeoPolRisk) of
    the latest WGI year up to the baseline year, and ``u = HISTORY_UPLIFT`` (3)
    for a mineral the country restricted in a shipped scenario,
    ``HISTORY_UPLIFT_OTHER`` (1.5) for its other minerals, else 1. ``P_MIN``,
    ``P_MAX`` and the uplifts are assumptions (no published base rate), chosen so
    that a stable supplier restricts about once a century and an unstable one
    about once a decade. A supplier without any WGI estimate gets ``g = 0.5``
    (the WGI mean), flagged in ``governance_missing``.
    """
    pairs = (
        net.edges[["exporter", "mineral_id"]]
        .drop_duplicates()
        .sort_values(["exporter", "mineral_id"], ignore_index=True)
    )
    gov = pv_normalised(governance).dropna(subset=["pv_normalised"])
    gov = gov[gov["year"] <= net.year].sort_values("year").groupby("country").last()
    pairs["pv_normalised"] = pairs["exporter"].map(gov["pv_normalised"]).astype("float64")
    pairs["governance_year"] = pairs["exporter"].map(gov["year"]).astype("Int64")
    pairs["governance_missing"] = pairs["pv_normalised"].isna()
    g = pairs["pv_normalised"].fillna(PV_MISSING)
    if history is None:
        history = _history(scenario_ids(), net.hs_codes)
    hist = set(history)
    hist_countries = {c for c, _ in hist}
    pairs["history"] = [
        (c, m) in hist for c, m in zip(pairs["exporter"], pairs["mineral_id"], strict=True)
    ]
    uplift = np.where(
        pairs["history"],
        HISTORY_UPLIFT,
        np.where(pairs["exporter"].isin(hist_countries), HISTORY_UPLIFT_OTHER, 1.0),
    )
    pairs["p"] = ((P_MIN + (P_MAX - P_MIN) * g) * uplift).clip(0.0, 1.0)
    for key, value in sorted((overrides or {}).items(), key=lambda kv: kv[0].count(":")):
        if not 0.0 <= float(value) <= 1.0:
            raise ValidationError(f"probability for {key!r} must be between 0 and 1, got {value}")
        if key == "*":
            sel = np.ones(len(pairs), dtype=bool)
        elif ":" in key:
            country, mineral = key.split(":", 1)
            sel = ((pairs["exporter"] == country) & (pairs["mineral_id"] == mineral)).to_numpy()
        else:
            sel = (pairs["exporter"] == key).to_numpy()
        pairs.loc[sel, "p"] = float(value)
    return pairs


def load_probability_overrides(path: Path) -> dict[str, float]:
    """Read probability overrides (each 0–1) from a YAML or TOML file.

    The file maps keys to probabilities (0–1), at the top level or under a
    ``probabilities`` table: ``CHN: 0.3``, ``"CHN:graphite": 0.6``, ``"*": 0.05``.

    Raises
    ------
    DataError
        If the file cannot be read or parsed, is not a mapping, or a value is not
        a number in 0–1; the message names the file, the line and the key.
    """
    text = read_text(path, what="probability")
    doc = parse_toml(text, path) if path.suffix == ".toml" else parse_yaml(text, path)
    data: Any = doc.data
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and isinstance(data.get("probabilities"), dict):
        data, prefix = data["probabilities"], ("probabilities",)
    if not isinstance(data, dict):
        line, _ = doc.locate(prefix)
        raise DataError(
            "expected a mapping of country[:mineral] to probability", file=path, line=line
        )
    out: dict[str, float] = {}
    for key, value in data.items():
        line, field = doc.locate((*prefix, str(key)))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(
                f"probability must be a number, got {value!r}", file=path, line=line, field=field
            )
        if not 0.0 <= float(value) <= 1.0:
            raise DataError(
                f"probability must be in 0–1, got {value}", file=path, line=line, field=field
            )
        out[str(key)] = float(value)
    return out


# --- the vectorised engine ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MonteCarloModel:
    """Everything a chunk needs, as plain numpy arrays (picklable for Dask workers).

    ``edge_pair`` maps each edge to its row of ``p`` (exporter × mineral);
    ``edge_share`` is the share of the edge an event of its pair cuts
    (``cut_share``, 0 inside a zone member);
    ``rows`` are the member × mineral × stage result rows; ``node_row`` maps each
    node to its row (−1 outside the zone). ``groups`` lists, per stage level, the
    node and edge positions of each convergence group (one layer by default).
    """

    n_nodes: int
    n_edges: int
    p: FloatArray
    cut_share: float
    edge_pair: IntArray
    edge_share: FloatArray
    flow_edge: IntArray
    flow_q: FloatArray
    flow_keep: FloatArray
    src: IntArray
    dst: IntArray
    q: FloatArray
    supply: FloatArray
    exports: FloatArray
    prod: FloatArray
    f_direct: FloatArray
    domestic: FloatArray
    node_level: IntArray
    ore_node: IntArray
    links: tuple[tuple[float, IntArray, IntArray], ...]
    groups: tuple[tuple[int, IntArray, IntArray, IntArray], ...]
    max_iter: int
    tol: float
    node_row: IntArray
    n_rows: int
    row_baseline: FloatArray


def prepare_model(
    net: ScenarioNetwork,
    cuts: Iterable[Cut],
    probabilities: pd.DataFrame,
    *,
    cut_share: float,
    zone: Zone | None = None,
    rows: pd.DataFrame | None = None,
    per_layer: bool = True,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> MonteCarloModel:
    """Precompute the arrays of the network, the fixed cuts and the probabilities.

    ``per_layer=True`` stops each layer's cascade when that layer has converged
    (fast); ``False`` iterates every layer of a stage level until the whole level
    has converged, exactly as :func:`propagate` does (bit-identical results).
    ``rows`` (``mineral_id, stage, member, baseline_t``) default to the members'
    rows of a zero-shock run for ``zone``; without a zone, every node is a row.
    """
    cuts = tuple(cuts)
    if not 0.0 <= cut_share <= 1.0:
        raise ValidationError(f"cut share must be between 0 and 1, got {cut_share}")
    check_cuts(net, cuts)
    nodes, edges, flows = net.nodes, net.edges, net.flows
    n = len(nodes)
    layer_index = pd.MultiIndex.from_frame(net.layers[LAYER])
    layer_id = layer_index.get_indexer(pd.MultiIndex.from_frame(nodes[LAYER])).astype(np.int64)
    src = edges["src"].to_numpy(dtype=np.int64)
    dst = edges["dst"].to_numpy(dtype=np.int64)
    q = edges["quantity_t"].fillna(0.0).to_numpy(dtype=np.float64)
    prod = nodes["production_t"].fillna(0.0).to_numpy(dtype=np.float64)
    imports = np.bincount(dst, q, minlength=n).astype(np.float64, copy=False)
    exports = np.bincount(src, q, minlength=n).astype(np.float64, copy=False)
    supply = prod + imports
    fq = flows["quantity_t"].to_numpy(dtype=np.float64)
    keep = flow_keep(net, [c for c in cuts if isinstance(c, ExportCut)])
    f_direct = production_cut_share(net, [c for c in cuts if isinstance(c, ProductionCut)])
    links = [c for c in cuts if isinstance(c, ByProductLink)]
    deps, ore_node = dependencies(net, layer_index, links)
    level = levels(layer_index, deps)
    node_level = level[layer_id]
    link_arrays = tuple(
        (
            link.ratio,
            *node_map(net, (link.host_mineral, link.host_stage), (link.mineral, link.stage)),
        )
        for link in links
    )
    edge_layer = layer_id[src]
    groups = []
    for lv in range(int(level.max()) + 1 if len(level) else 0):
        members = np.flatnonzero(level == lv)
        for grp in [np.array([g]) for g in members] if per_layer else [members]:
            g_nodes = np.flatnonzero(np.isin(layer_id, grp))
            g_edges = np.flatnonzero(np.isin(edge_layer, grp))
            # nodes are sorted by layer: segment starts of each layer in the group
            starts = np.flatnonzero(np.r_[True, np.diff(layer_id[g_nodes]) != 0])
            groups.append((lv, g_nodes, g_edges, starts.astype(np.int64)))

    pairs = pd.MultiIndex.from_frame(probabilities[["exporter", "mineral_id"]])
    edge_pair = pairs.get_indexer(pd.MultiIndex.from_frame(edges[["exporter", "mineral_id"]]))
    if (edge_pair < 0).any():
        raise ValidationError("the probability table lacks some exporter × mineral of the network")

    edge_share = np.full(len(edges), float(cut_share))
    if zone is not None:
        c2m_all = pd.Series(zone.country_to_member())
        exp_m, imp_m = edges["exporter"].map(c2m_all), edges["importer"].map(c2m_all)
        edge_share[(exp_m.notna() & (exp_m == imp_m)).to_numpy()] = 0.0

    if zone is None:
        rows = nodes[[*LAYER, "country"]].rename(columns={"country": "member"})
        rows = rows.assign(baseline_t=supply)
        node_row = np.arange(n, dtype=np.int64)
    else:
        if rows is None:
            rows = member_table(propagate(net, []), pd.Series(zone.country_to_member()))
        c2m = nodes["country"].map(pd.Series(zone.country_to_member()))
        key = pd.MultiIndex.from_frame(rows[[*LAYER, "member"]])
        node_row = key.get_indexer(
            pd.MultiIndex.from_arrays([nodes["mineral_id"], nodes["stage"], c2m])
        ).astype(np.int64)
    return MonteCarloModel(
        n_nodes=n,
        n_edges=len(edges),
        p=probabilities["p"].to_numpy(dtype=np.float64),
        cut_share=float(cut_share),
        edge_pair=edge_pair.astype(np.int64),
        edge_share=edge_share,
        flow_edge=flows["edge"].to_numpy(dtype=np.int64),
        flow_q=np.where(np.isnan(fq), 0.0, fq),
        flow_keep=keep,
        src=src,
        dst=dst,
        q=q,
        supply=supply,
        exports=exports,
        prod=prod,
        f_direct=f_direct,
        domestic=supply - exports,
        node_level=node_level,
        ore_node=ore_node,
        links=link_arrays,
        groups=tuple(groups),
        max_iter=max_iter,
        tol=tol,
        node_row=node_row,
        n_rows=len(rows),
        row_baseline=rows["baseline_t"].to_numpy(dtype=np.float64),
    )


def _flat_bincount(idx: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """``bincount`` of each row of ``weights`` (draws × k) into ``size`` bins, row-wise."""
    b = weights.shape[0]
    flat = (np.arange(b, dtype=np.int64)[:, None] * size + idx[None, :]).ravel()
    out = np.bincount(flat, weights.ravel(), minlength=b * size)
    return out.astype(np.float64, copy=False).reshape(b, size)


def simulate(model: MonteCarloModel, events: npt.NDArray[np.bool_]) -> FloatArray:
    """Shortfall per draw and node (t/yr) for given restriction events (draws × pairs).

    For one draw whose events are the export cuts ``E``, the result equals
    ``propagate(net, fixed_cuts + E).nodes['shortfall_t']`` (the fixed cuts first,
    then the random ones; bit-identical with ``per_layer=False``, within the
    cascade tolerance otherwise).
    """
    m = model
    b, n = events.shape[0], m.n_nodes
    # 1. Direct cuts: each flow keeps its fixed share times (1 - s) if its pair restricts.
    kr = 1.0 - events[:, m.edge_pair] * m.edge_share[None, :]  # draws × edges
    keep = m.flow_keep[None, :] * kr[:, m.flow_edge]
    cut_t = m.flow_q[None, :] * (1.0 - keep)
    direct_cut = _flat_bincount(m.flow_edge, cut_t, m.n_edges)
    del kr, keep, cut_t
    import_loss = _flat_bincount(m.dst, direct_cut, n)
    withheld = _flat_bincount(m.src, direct_cut, n)
    remaining = np.maximum(m.q[None, :] - direct_cut, 0.0)
    del direct_cut
    denom = np.maximum(m.supply, m.exports)[m.src]
    a = np.divide(
        remaining, denom[None, :], out=np.zeros_like(remaining), where=(denom > 0)[None, :]
    )
    del remaining
    alpha = _flat_bincount(m.src, a, n)

    loss = np.zeros((b, n))
    direct = import_loss + (m.f_direct * m.prod)[None, :]
    f_total = np.broadcast_to(m.f_direct, (b, n)).copy()
    inject = np.zeros((b, n))
    local = np.full(n, -1, dtype=np.int64)
    for lv in sorted({g[0] for g in m.groups}):
        # integer positions of the level's nodes (faster than boolean column masks)
        lv_idx = np.flatnonzero(m.node_level == lv)
        local[lv_idx] = np.arange(len(lv_idx))
        # 2. Upstream falls (ore -> processed, host -> by-product), as in propagate.
        keep_share = np.broadcast_to(1.0 - m.f_direct[lv_idx], (b, len(lv_idx))).copy()
        j = np.flatnonzero(m.ore_node[lv_idx] >= 0)
        ore = m.ore_node[lv_idx[j]]
        s_ore = m.supply[ore]
        ore_share = np.divide(
            loss[:, ore], s_ore[None, :], out=np.zeros((b, len(ore))), where=(s_ore > 0)[None, :]
        ).clip(0.0, 1.0)
        keep_share[:, j] *= 1.0 - ore_share
        for ratio, host_all, target_all in m.links:
            sel = m.node_level[target_all] == lv
            host, target = host_all[sel], local[target_all[sel]]
            keep_share[:, target] *= 1.0 - ratio * f_total[:, host]
        f_total[:, lv_idx] = 1.0 - keep_share
        upstream = (f_total[:, lv_idx] - m.f_direct[lv_idx]) * m.prod[lv_idx]
        inject[:, lv_idx] = direct[:, lv_idx] + upstream
        # 3. Cascade per convergence group, each draw stopped at its own convergence.
        for g_lv, g_nodes, g_edges, starts in m.groups:
            if g_lv == lv:
                loss[:, g_nodes] = _cascade(m, inject, a, g_nodes, g_edges, starts)
    passed = alpha * loss
    kept = loss - passed
    absorbed = np.clip(kept, 0.0, withheld)
    return kept - absorbed


def _cascade(  # noqa: PLR0917 (internal helper)
    m: MonteCarloModel,
    inject: FloatArray,
    a: FloatArray,
    g_nodes: IntArray,
    g_edges: IntArray,
    starts: IntArray,
) -> FloatArray:
    """``L = d + AᵀL`` iterated on one group's nodes; each draw stops when converged."""
    b = inject.shape[0]
    k_nodes = len(g_nodes)
    pos = np.full(m.n_nodes, -1, dtype=np.int64)
    pos[g_nodes] = np.arange(k_nodes)
    es, ed = pos[m.src[g_edges]], pos[m.dst[g_edges]]
    ea = a[:, g_edges]
    d = inject[:, g_nodes]
    # tolerance per draw and layer, as propagate: tol * max(1, injected into the layer),
    # the injection summed in node order with bincount as propagate does
    lay = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, k_nodes]))
    injected = _flat_bincount(lay, d, len(starts))
    scale = m.tol * np.maximum(1.0, injected)
    cur = d.copy()
    active = np.arange(b)
    layer_done = np.zeros((b, len(starts)), dtype=bool)
    for _ in range(m.max_iter):
        if not len(active):
            break
        ca = cur[active]
        new = d[active] + _flat_bincount(ed, ea[active] * ca[:, es], k_nodes)
        change = np.maximum.reduceat(np.abs(new - ca), starts, axis=1)
        cur[active] = new
        layer_done[active] |= change <= scale[active]
        active = active[~layer_done[active].all(axis=1)]
    return cur


def run_chunk(
    model: MonteCarloModel, seed: np.random.SeedSequence, draws: int
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Draw ``draws`` event sets from ``seed`` and return shortfall per draw × row (t/yr).

    Also returns the number of restriction events per draw.
    """
    rng = np.random.default_rng(seed)
    events = rng.random((draws, len(model.p))) < model.p[None, :]
    shortfall = simulate(model, events)
    inside = model.node_row >= 0
    rows = _flat_bincount(model.node_row[inside], shortfall[:, inside], model.n_rows)
    return rows, events.sum(axis=1).astype(np.int64)


# --- driver ------------------------------------------------------------------------------


def local_cluster(n_workers: int, *, processes: bool = True) -> Any:
    """Start a ``distributed.LocalCluster`` of ``n_workers`` one-thread workers for this engine.

    Notes
    -----
    Dask's nanny starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``). Setting that variable switches
    off glibc's dynamic mmap threshold, so every large numpy temporary of the
    Monte Carlo engine is mapped and unmapped afresh: measured here, 1,500 draws
    took 43.5 s on one such worker against 15.2 s without the variable (and the
    local backend slowed from 24 s to 36 s when given it). The cluster is
    started without it; set the same configuration on the workers of a remote
    cluster.
    """
    import dask  # noqa: PLC0415 (heavy, dask only)
    from distributed import LocalCluster  # noqa: PLC0415

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """A Monte Carlo run: inputs, probabilities, samples and the summary per member row.

    Attributes
    ----------
    samples
        Pre-response shortfall (t/yr) per draw × row of ``rows`` (the engine's
        round-off below 0, ~1e-11 t, clipped to 0).
    events
        Number of restriction events per draw.
    rows
        ``mineral_id, stage, member, baseline_t, estimated`` of each sample column.
    summary
        :data:`SUMMARY_COLUMNS`: per member × mineral × stage, the mean, p50, p95
        and p99 of ``shortfall_t`` and of ``shortfall_share = shortfall_t /
        baseline_t`` (NaN where the baseline is 0), and ``p_exceed`` =
        P(shortfall_share > threshold). Shortfalls are pre-response.
    """

    scenario: Scenario
    draws: int
    seed: int
    chunk_size: int
    threshold: float
    cut_share: float
    backend: str
    probabilities: pd.DataFrame
    rows: pd.DataFrame
    samples: FloatArray
    events: npt.NDArray[np.int64]
    summary: pd.DataFrame
    shortfall_basis: str = "pre-response"


def chunk_seeds(seed: int, draws: int, chunk_size: int = CHUNK_SIZE) -> list[tuple[Any, int]]:
    """(seed sequence, draws) of each chunk: ``SeedSequence(seed).spawn(n_chunks)``."""
    if draws < 1:
        raise ValidationError(f"draws must be at least 1, got {draws}")
    n_chunks = -(-draws // chunk_size)
    children = np.random.SeedSequence(seed).spawn(n_chunks)
    return [(c, min(chunk_size, draws - i * chunk_size)) for i, c in enumerate(children)]


def summarise(samples: FloatArray, rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Distribution statistics per row (see :class:`MonteCarloResult`)."""
    base = rows["baseline_t"].to_numpy(dtype=np.float64)
    share = np.divide(
        samples,
        base[None, :],
        out=np.full(samples.shape, np.nan),
        where=(base > 0)[None, :],
    )
    out = rows[[*LAYER, "member", "baseline_t", "estimated"]].rename(
        columns={"mineral_id": "mineral"}
    )
    out = out.reset_index(drop=True)
    qs = np.quantile(samples, QUANTILES, axis=0)
    out["shortfall_t_mean"] = samples.mean(axis=0)
    for q, values in zip(("p50", "p95", "p99"), qs, strict=True):
        out[f"shortfall_t_{q}"] = values
    valid = base > 0
    share_q = np.full((len(QUANTILES), len(base)), np.nan)
    share_q[:, valid] = np.quantile(share[:, valid], QUANTILES, axis=0)
    out["shortfall_share_mean"] = np.where(valid, share.mean(axis=0, where=valid[None, :]), np.nan)
    for q, values in zip(("p50", "p95", "p99"), share_q, strict=True):
        out[f"shortfall_share_{q}"] = values
    out["p_exceed"] = np.where(valid, (share > threshold).mean(axis=0), np.nan)
    out["estimated"] = out["estimated"].astype(bool)
    return out.sort_values(["mineral", "stage", "member"], ignore_index=True)[SUMMARY_COLUMNS]


def run_montecarlo(
    supply: SupplyNetwork,
    scenario: Scenario,
    zone: Zone,
    draws: int,
    seed: int = 0,
    *,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    threshold: float = 0.1,
    cut_share: float | None = None,
    overrides: Mapping[str, float] | None = None,
    per_layer: bool = True,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """Monte Carlo of random export restrictions on top of ``scenario``, per member.

    Parameters
    ----------
    draws, seed
        Number of draws and the seed: chunk ``i`` of ``chunk_size`` draws uses
        ``SeedSequence(seed).spawn(n_chunks)[i]``, so a seed gives the same numbers
        on both backends and any number of workers.
    backend, client
        ``local`` (numpy, chunks in turn) or ``dask`` (the same chunk function
        mapped over chunks on ``client``, a ``distributed.Client``).
    threshold
        Shortfall share (0–1) whose exceedance probability is reported.
    cut_share
        Share of exports cut per event; default: the largest share among the
        scenario's export restrictions, else :data:`DEFAULT_CUT_SHARE` (0.5).
    overrides
        Probability overrides (see :func:`disruption_probabilities`).
    progress
        Called with the number of draws of each finished chunk.

    Notes
    -----
    Pre-response: the zone's response (LP) is not run per draw. The scenario's
    own shocks apply in every draw; each random event is an export cut of
    ``cut_share`` of one supplier's exports of one mineral (every stage, every
    destination, no exemption), applied after them.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError(f"threshold must be between 0 and 1, got {threshold}")
    cuts = exempt_fellow_members(scenario.cuts(), zone.country_to_member())
    if cut_share is None:
        shares = [c.share for c in cuts if isinstance(c, ExportCut)]
        cut_share = max(shares) if shares else DEFAULT_CUT_SHARE
    net = ScenarioNetwork.from_supply(supply, scenario.year)
    probs = disruption_probabilities(net, supply.governance, overrides=overrides)
    rows = member_table(propagate(net, []), pd.Series(zone.country_to_member()))
    model = prepare_model(
        net, cuts, probs, cut_share=cut_share, zone=zone, rows=rows, per_layer=per_layer
    )
    chunks = chunk_seeds(seed, draws, chunk_size)
    results: list[tuple[FloatArray, npt.NDArray[np.int64]]] = []
    if backend == "local":
        for child, size in chunks:
            results.append(run_chunk(model, child, size))
            if progress is not None:
                progress(size)
    elif backend == "dask":
        if client is None:
            raise ValidationError("the dask backend needs a distributed.Client")
        from distributed import as_completed  # noqa: PLC0415 (optional at import time)

        shared = client.scatter(model, broadcast=True)
        futures = [
            client.submit(run_chunk, shared, child, size, pure=False) for child, size in chunks
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, tuple[FloatArray, npt.NDArray[np.int64]]] = {}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            i = index[fut.key]
            done[i] = fut.result()
            if progress is not None:
                progress(chunks[i][1])
        results = [done[i] for i in range(len(chunks))]
    else:
        raise ValidationError(f"unknown backend {backend!r}: use local or dask")
    # the engine's round-off (kept − absorbed, ~1e-11 t, as in propagate) is clipped at 0
    samples = np.maximum(np.concatenate([r[0] for r in results], axis=0), 0.0)
    events = np.concatenate([r[1] for r in results])
    return MonteCarloResult(
        scenario=scenario,
        draws=draws,
        seed=seed,
        chunk_size=chunk_size,
        threshold=threshold,
        cut_share=float(cut_share),
        backend=backend,
        probabilities=probs,
        rows=rows[[*LAYER, "member", "baseline_t", "estimated"]].reset_index(drop=True),
        samples=samples,
        events=events,
        summary=summarise(samples, rows, threshold),
    )


def montecarlo_payload(result: MonteCarloResult) -> dict[str, Any]:
    """Return the JSON document of a Monte Carlo run (shortfalls in t/yr and shares; docs/cli.md).

    Keys: ``scenario``, ``baseline_year``, ``draws``, ``seed``, ``chunk_size``,
    ``backend``, ``threshold``, ``cut_share``, ``shortfall_basis``,
    ``mean_events_per_draw`` and ``records``: the rows of
    :attr:`MonteCarloResult.summary`.
    """
    return {
        "scenario": result.scenario.id,
        "baseline_year": result.scenario.year,
        "draws": result.draws,
        "seed": result.seed,
        "chunk_size": result.chunk_size,
        "backend": result.backend,
        "threshold": result.threshold,
        "cut_share": result.cut_share,
        "shortfall_basis": result.shortfall_basis,
        "mean_events_per_draw": float(result.events.mean()),
        "records": frame_records(result.summary),
    }
