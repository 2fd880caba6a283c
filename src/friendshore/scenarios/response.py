"""The zone's response to a disruption as a linear programme (HiGHS).

Built PyPSA-style from small steps: :func:`define_variables`,
:func:`define_constraints` and :func:`define_objective` add the parts of the
model to a :class:`highspy.Highs` instance; :func:`solve_response` runs the
lexicographic solve and returns a frozen :class:`ResponseSolution` carrying the
solver status, the objectives and its inputs.

The problem (:class:`ResponseProblem`) is given as plain frames, one row per
mineral × stage ("layer") and member, source or arc, so it can be built from
any propagation (see :mod:`friendshore.scenarios.run`) or by hand (the tests
solve a small instance whose optimum is computed by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from friendshore._core.errors import InfeasibleError
from friendshore._core.quiet import quiet_stdout
from friendshore.scenarios.network import LAYER

__all__ = [
    "MEMBER_COLUMNS",
    "ROUTE_REROUTING",
    "ROUTE_SHARING",
    "ResponseProblem",
    "ResponseSolution",
    "Variables",
    "define_constraints",
    "define_objective",
    "define_variables",
    "solve_response",
]

ROUTE_REROUTING = "rerouting"
ROUTE_SHARING = "sharing"
ROUTES = (ROUTE_REROUTING, ROUTE_SHARING)

#: Absolute and relative tolerance with which an objective is fixed before the next stage.
FIX_ABS = 1e-9
FIX_REL = 1e-7

MEMBER_COLUMNS = [
    "mineral_id",
    "stage",
    "member",
    "baseline_t",
    "lost_t",
    "stock_t",
    "recovered_rerouting_t",
    "recovered_sharing_t",
    "recovered_stockpile_t",
    "recovered_t",
    "shortfall_t",
    "shortfall_share",
]


@dataclass(frozen=True, eq=False)
class ResponseProblem:
    """Inputs of the response optimisation (tonnes a year during the disruption).

    Attributes
    ----------
    members
        One row per layer × member: ``mineral_id, stage, member, baseline_t``
        (the member's supply before the shock), ``lost_t`` (its loss after the
        cascade) and ``stock_t`` (stockpile it can release, 0 where none).
    sources
        One row per layer × route × source: ``mineral_id, stage, route``
        (``rerouting`` or ``sharing``), ``source`` (a supplier country or a
        member) and ``capacity_t`` (what it can send in all, at most).
    arcs
        The routes that exist: ``mineral_id, stage, route, source, member``.
    sharing, rerouting
        Whether zone sharing and re-routing are allowed (off: their arcs carry 0).
    """

    members: pd.DataFrame
    sources: pd.DataFrame
    arcs: pd.DataFrame
    sharing: bool = True
    rerouting: bool = True


@dataclass(frozen=True, eq=False)
class Variables:
    """The model's variables, aligned with the problem's rows.

    ``flow`` (one per arc, t), ``release`` (one per member row, t),
    ``shortfall`` (one per member row, t) and ``max_share`` (one per layer, 0–1).
    All tonnes are divided by the layer's ``scale`` (its largest baseline) in
    the model, so every layer is solved on numbers of order 1.
    """

    flow: list[highspy.highs.highs_var]
    release: list[highspy.highs.highs_var]
    shortfall: list[highspy.highs.highs_var]
    max_share: list[highspy.highs.highs_var]
    sharing_arcs: list[int]
    layers: pd.DataFrame = field(repr=False)


@dataclass(frozen=True, eq=False)
class ResponseSolution:
    """Result of :func:`solve_response`.

    Attributes
    ----------
    problem
        The inputs, as given.
    status
        HiGHS model status of the last stage (``Optimal``; ``Empty`` for a
        problem with no member row).
    max_shortfall_share
        First objective: the largest shortfall share among members, largest over
        layers (0–1).
    total_shortfall_t
        Second objective: the members' total shortfall (t), all layers.
    members
        :data:`MEMBER_COLUMNS`: recovery per route, ``recovered_t``,
        ``shortfall_t = lost_t − recovered_t`` (≥ 0) and ``shortfall_share =
        shortfall_t / baseline_t`` (NaN where the baseline is 0).
    flows
        The arcs with ``flow_t``.
    layers
        One row per layer: ``scale_t``, ``max_shortfall_share``, ``shortfall_t``.
    """

    problem: ResponseProblem
    status: str
    max_shortfall_share: float
    total_shortfall_t: float
    members: pd.DataFrame
    flows: pd.DataFrame
    layers: pd.DataFrame


def _new_highs() -> highspy.Highs:
    with quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h


def _where(row: pd.Series) -> str:
    return f"{row['mineral_id']} {row['stage']}"


def _check(problem: ResponseProblem) -> None:
    """Raise :class:`InfeasibleError` for contradictory inputs, naming the constraint."""
    m = problem.members
    for col in ("baseline_t", "lost_t", "stock_t"):
        bad = m[~(m[col] >= 0)]  # NaN or negative
        if len(bad):
            row = bad.iloc[0]
            raise InfeasibleError(
                f"{col} of {row['member']} ({_where(row)}) is {row[col]}: it must be a "
                f"non-negative number (constraint {col} >= 0)"
            )
    tol = FIX_ABS + FIX_REL * m["baseline_t"]
    over = m[m["lost_t"] > m["baseline_t"] + tol]
    if len(over):
        row = over.iloc[0]
        raise InfeasibleError(
            f"{row['member']} ({_where(row)}) loses {row['lost_t']:g} t of a baseline of "
            f"{row['baseline_t']:g} t: contradictory (constraint lost_t <= baseline_t)"
        )
    s = problem.sources
    bad = s[~(s["capacity_t"] >= 0)]
    if len(bad):
        row = bad.iloc[0]
        raise InfeasibleError(
            f"capacity of {row['route']} source {row['source']} ({_where(row)}) is "
            f"{row['capacity_t']}: it must be a non-negative number (constraint capacity_t >= 0)"
        )
    if s.duplicated([*LAYER, "route", "source"]).any():
        raise InfeasibleError("a route source is given twice (constraint: one capacity each)")
    if m.duplicated([*LAYER, "member"]).any():
        raise InfeasibleError("a member is given twice for one mineral and stage")
    arcs = problem.arcs
    known_src = arcs.merge(s[[*LAYER, "route", "source"]], how="left", indicator=True)
    if (known_src["_merge"] != "both").any():
        row = known_src[known_src["_merge"] != "both"].iloc[0]
        raise InfeasibleError(
            f"arc {row['source']} -> {row['member']} ({_where(row)}, {row['route']}) has no "
            "source capacity (constraint: every arc leaves a source)"
        )
    known_dst = arcs.merge(m[[*LAYER, "member"]], how="left", indicator=True)
    if (known_dst["_merge"] != "both").any():
        row = known_dst[known_dst["_merge"] != "both"].iloc[0]
        raise InfeasibleError(
            f"arc {row['source']} -> {row['member']} ({_where(row)}) ends at no member row "
            "(constraint: every arc reaches a member)"
        )
    unknown = sorted(set(arcs["route"]) - set(ROUTES))
    if unknown:
        raise InfeasibleError(f"unknown route {unknown[0]!r}: use {' or '.join(ROUTES)}")


def _layers(problem: ResponseProblem) -> pd.DataFrame:
    layers = problem.members.groupby(LAYER, sort=True)["baseline_t"].max().rename("scale_t")
    out = layers.reset_index()
    out["scale_t"] = out["scale_t"].where(out["scale_t"] > 0, 1.0)
    return out


def define_variables(h: highspy.Highs, problem: ResponseProblem) -> Variables:
    """Add the variables: arc flows, stock releases, shortfalls and each layer's max share.

    Bounds: ``0 ≤ flow ≤ source capacity`` (0 where the route is switched off),
    ``0 ≤ release ≤ stock_t``, ``shortfall ≥ 0`` and ``0 ≤ max_share``.
    """
    layers = _layers(problem)
    scale = layers.set_index(LAYER)["scale_t"]
    m = problem.members
    m_scale = scale.reindex(pd.MultiIndex.from_frame(m[LAYER])).to_numpy()
    arcs = problem.arcs.merge(problem.sources, on=[*LAYER, "route", "source"], how="left")
    a_scale = scale.reindex(pd.MultiIndex.from_frame(arcs[LAYER])).to_numpy()
    on = np.where(arcs["route"] == ROUTE_SHARING, problem.sharing, problem.rerouting).astype(bool)
    a_ub = np.where(on, arcs["capacity_t"].to_numpy(dtype=float) / a_scale, 0.0)
    flow = [h.addVariable(lb=0.0, ub=float(ub)) for ub in a_ub]
    stock = m["stock_t"].to_numpy(dtype=float) / m_scale
    release = [h.addVariable(lb=0.0, ub=float(ub)) for ub in stock]
    shortfall = [h.addVariable(lb=0.0) for _ in range(len(m))]
    max_share = [h.addVariable(lb=0.0) for _ in range(len(layers))]
    sharing_arcs = np.flatnonzero((arcs["route"] == ROUTE_SHARING).to_numpy()).tolist()
    return Variables(flow, release, shortfall, max_share, sharing_arcs, layers)


def define_constraints(h: highspy.Highs, problem: ResponseProblem, v: Variables) -> None:
    """Add the constraints.

    For each member ``m`` of a layer, with ``x`` the arc flows into it and ``r``
    its stock release:

    - balance: ``shortfall_m + Σ x_am + r_m = lost_m`` (so recovered ≤ lost and
      shortfall ≥ 0);
    - max share: ``shortfall_m ≤ z_layer · baseline_m`` (members with a baseline);

    and for each source ``s``: ``Σ_a x_sa ≤ capacity_s`` (spare supply, or the
    exports a member can divert).
    """
    m = problem.members
    scale = v.layers.set_index(LAYER)["scale_t"]
    m_scale = scale.reindex(pd.MultiIndex.from_frame(m[LAYER])).to_numpy()
    layer_pos = (
        pd.MultiIndex.from_frame(v.layers[LAYER])
        .get_indexer(pd.MultiIndex.from_frame(m[LAYER]))
        .astype(int)
    )
    member_key = pd.MultiIndex.from_frame(m[[*LAYER, "member"]])
    arc_member = member_key.get_indexer(pd.MultiIndex.from_frame(problem.arcs[[*LAYER, "member"]]))
    into: dict[int, list[int]] = {}
    for a, i in enumerate(arc_member.tolist()):
        into.setdefault(int(i), []).append(a)
    lost = m["lost_t"].to_numpy(dtype=float) / m_scale
    base = m["baseline_t"].to_numpy(dtype=float) / m_scale
    for i in range(len(m)):
        inflow = [v.flow[a] for a in into.get(i, [])]
        h.addConstr(v.shortfall[i] + h.qsum(inflow) + v.release[i] == float(lost[i]))
        if base[i] > 0:
            h.addConstr(v.shortfall[i] <= float(base[i]) * v.max_share[layer_pos[i]])
    src_key = pd.MultiIndex.from_frame(problem.sources[[*LAYER, "route", "source"]])
    arc_src = src_key.get_indexer(
        pd.MultiIndex.from_frame(problem.arcs[[*LAYER, "route", "source"]])
    )
    out_of: dict[int, list[int]] = {}
    for a, s in enumerate(arc_src.tolist()):
        out_of.setdefault(int(s), []).append(a)
    s_scale = scale.reindex(pd.MultiIndex.from_frame(problem.sources[LAYER])).to_numpy()
    cap = problem.sources["capacity_t"].to_numpy(dtype=float) / s_scale
    for s, arcs in out_of.items():
        if len(arcs) > 1:
            h.addConstr(h.qsum(v.flow[a] for a in arcs) <= float(cap[s]))


def define_objective(
    h: highspy.Highs, v: Variables, stage: int
) -> highspy.highs.highs_linear_expression:
    """The objective of lexicographic ``stage`` (1, 2 or 3).

    1. the largest shortfall share of each layer, ``Σ_layer z_layer`` (layers are
       independent, so this minimises each one's);
    2. total shortfall ``Σ shortfall`` (with each ``z`` fixed at its optimum);
    3. tie-break with both fixed: ``Σ sharing + 2 Σ release`` on the scaled
       tonnes, i.e. re-routing first, then sharing, stocks last (kept for a
       longer disruption), so the reported split among routes is unique.
    """
    expr: highspy.highs.highs_linear_expression
    if stage == 1:
        expr = h.qsum(v.max_share)
    elif stage == 2:
        expr = h.qsum(v.shortfall)
    else:
        expr = h.qsum(v.flow[a] for a in v.sharing_arcs) + 2.0 * h.qsum(v.release)
    return expr


def _run(h: highspy.Highs, objective: highspy.highs.highs_linear_expression, what: str) -> str:
    h.minimize(objective)
    status = h.getModelStatus()
    text = str(h.modelStatusToString(status))
    if status != highspy.HighsModelStatus.kOptimal:
        raise InfeasibleError(
            f"the response optimisation ({what}) ended with status {text!r}: the balance "
            "(shortfall + recovered = lost), route capacity and stockpile constraints "
            "cannot all hold"
        )
    return text


def solve_response(problem: ResponseProblem) -> ResponseSolution:
    """Solve the zone response: minimise the largest shortfall share, then total shortfall.

    Parameters
    ----------
    problem
        Members' losses and baselines, route sources with capacities, arcs.

    Returns
    -------
    ResponseSolution
        Recovery per member and route, shortfall (t and share), flows per arc,
        solver status and objectives.

    Raises
    ------
    InfeasibleError
        For contradictory inputs (negative or missing capacities, stocks or
        losses; a loss above the baseline; arcs without a source or member),
        naming the constraint, or if HiGHS finds no optimum.

    Notes
    -----
    A lexicographic linear programme (as in the min-max fair allocation of
    Marchand et al. 2016's follow-ups and the IEA's emergency-sharing rules):
    stage 1 minimises ``z = max_m shortfall_m / baseline_m`` per layer; stage 2
    fixes ``z ≤ z* (1 + 1e-7) + 1e-9`` and minimises ``Σ_m shortfall_m``; stage 3
    fixes each layer's total shortfall the same way and breaks ties among routes
    (re-routing, then sharing, then stocks).
    """
    _check(problem)
    m = problem.members
    if m.empty:
        members = m.reindex(columns=MEMBER_COLUMNS).astype(
            {c: "float64" for c in MEMBER_COLUMNS[3:]}
        )
        return ResponseSolution(
            problem, "Empty", 0.0, 0.0, members, problem.arcs.assign(flow_t=0.0), _layers(problem)
        )
    h = _new_highs()
    v = define_variables(h, problem)
    define_constraints(h, problem, v)

    _run(h, define_objective(h, v, 1), "largest shortfall share")
    z = np.asarray(h.vals(v.max_share), dtype=float)
    for var, val in zip(v.max_share, z, strict=True):
        h.changeColBounds(var.index, 0.0, float(val * (1 + FIX_REL) + FIX_ABS))
    _run(h, define_objective(h, v, 2), "total shortfall")
    layer_pos = (
        pd.MultiIndex.from_frame(v.layers[LAYER])
        .get_indexer(pd.MultiIndex.from_frame(m[LAYER]))
        .astype(int)
    )
    short = np.asarray(h.vals(v.shortfall), dtype=float)
    layer_total = np.bincount(layer_pos, short, minlength=len(v.layers))
    for k in range(len(v.layers)):
        mine = [v.shortfall[i] for i in np.flatnonzero(layer_pos == k)]
        h.addConstr(
            h.qsum(mine) <= float(layer_total[k] * (1 + FIX_REL) + FIX_ABS * max(1, len(mine)))
        )
    status = _run(h, define_objective(h, v, 3), "route tie-break")

    scale = v.layers.set_index(LAYER)["scale_t"]
    m_scale = scale.reindex(pd.MultiIndex.from_frame(m[LAYER])).to_numpy()
    arcs = problem.arcs.copy()
    a_scale = scale.reindex(pd.MultiIndex.from_frame(arcs[LAYER])).to_numpy()
    flow = np.asarray(h.vals(v.flow), dtype=float) if len(v.flow) else np.zeros(0)
    arcs["flow_t"] = np.clip(flow, 0.0, None) * a_scale
    release = np.clip(np.asarray(h.vals(v.release), dtype=float), 0.0, None) * m_scale
    out = m[[*LAYER, "member", "baseline_t", "lost_t", "stock_t"]].copy().reset_index(drop=True)
    member_key = pd.MultiIndex.from_frame(out[[*LAYER, "member"]])
    arc_member = member_key.get_indexer(pd.MultiIndex.from_frame(arcs[[*LAYER, "member"]]))
    for route in ROUTES:
        sel = (arcs["route"] == route).to_numpy()
        out[f"recovered_{route}_t"] = np.bincount(
            arc_member[sel], arcs["flow_t"].to_numpy(dtype=float)[sel], minlength=len(out)
        )
    out["recovered_stockpile_t"] = np.minimum(release, out["stock_t"].to_numpy())
    total = out["recovered_rerouting_t"] + out["recovered_sharing_t"] + out["recovered_stockpile_t"]
    # Solver round-off: recovered never exceeds the loss, shortfall never below 0.
    excess = np.clip(total - out["lost_t"], 0.0, None)
    out["recovered_stockpile_t"] = np.clip(out["recovered_stockpile_t"] - excess, 0.0, None)
    out["recovered_t"] = np.minimum(total, out["lost_t"])
    out["shortfall_t"] = np.clip(out["lost_t"] - out["recovered_t"], 0.0, None)
    base = out["baseline_t"]
    out["shortfall_share"] = (out["shortfall_t"] / base).where(base > 0)
    layers = v.layers.copy()
    layers["max_shortfall_share"] = (
        out.groupby(LAYER)["shortfall_share"].max().reindex(pd.MultiIndex.from_frame(layers[LAYER]))
    ).to_numpy()
    layers["shortfall_t"] = (
        out.groupby(LAYER)["shortfall_t"].sum().reindex(pd.MultiIndex.from_frame(layers[LAYER]))
    ).to_numpy()
    return ResponseSolution(
        problem=problem,
        status=status,
        max_shortfall_share=float(np.nan_to_num(layers["max_shortfall_share"].max())),
        total_shortfall_t=float(out["shortfall_t"].sum()),
        members=out[MEMBER_COLUMNS],
        flows=arcs,
        layers=layers,
    )
