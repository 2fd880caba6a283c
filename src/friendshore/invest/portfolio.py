"""Portfolio optimisation: which projects to back, and when, to cut the zone's dependence most.

A mixed-integer linear programme (MILP) built on a :class:`linopy.Model` in the
PyPSA style: small ``define_*`` functions add the variables, each family of
constraints and the objective; :func:`solve_portfolio` creates the model,
solves it with HiGHS and assigns the results to a frozen
:class:`PortfolioSolution`. The problem's inputs are plain frames
(:class:`PortfolioProblem`), built from a pipeline and the metrics by
:mod:`friendshore.invest.results` (:func:`~friendshore.invest.results.plan_portfolio`).

Model
-----
Indices: projects ``p``, start years ``y`` (from the earliest start in the
pipeline to the target year ``Y``), calendar years ``t``, targets ``k`` (a
mineral × stage for the ``dependence`` objective; a scenario × mineral × stage
for ``shortfall``), members ``m``.

Variables: ``start[p, y] ∈ {0, 1}`` (project ``p`` starts construction in
``y``), ``cover[k] ∈ [0, 1]`` (the fraction of target ``k``'s tonnes ``T_k``
covered by new capacity). ``built[p] = Σ_y start[p, y]``.

Constraints (each family can be switched off, for the infeasibility diagnosis):

- ``one_start``: ``Σ_y start[p, y] ≤ 1``;
- ``budget_total``: ``Σ_p capex_p built[p] ≤ B``;
- ``budget_year``: capex is spent evenly over the lead time ``L_p`` from the
  start year (all in the start year when ``L_p = 0``): for each year ``t``,
  ``Σ_{p, y ≤ t < y + max(L_p, 1)} capex_p / max(L_p, 1) · start[p, y] ≤ B_year``;
- ``lead_time``: ``start[p, y] = 0`` unless ``earliest_p ≤ y`` and
  ``y + L_p ≤ Y`` (the project produces by the target year);
- ``demand_cap``: per mineral × stage, new capacity ``Σ_p q_p built[p]`` at
  most the zone's net imports (apparent consumption − production): new
  capacity never makes the zone a net exporter (not imposed where demand is
  unknown);
- ``member_share``: ``Σ_{p ∈ m} capex_p built[p] ≥ s · Σ_p capex_p built[p]``
  for each member ``m`` (a share ``s`` of the chosen capex);
- ``standards``: ``built[p] = 0`` for a project that lacks a required standard;
- ``required``: ``built[p] = 1`` for projects the caller requires;
- ``link`` (always on): ``T_k cover[k] ≤ Σ_{p ∈ k} q_p built[p]``.

Objective: minimise ``Σ_k w_k T_k (1 − cover[k])`` (plus a tie-break of 1e-7
per unit of the pipeline's total capex, so that projects that add nothing are
left out). With the ``dependence`` targets (``T_k``: the rival's supply to
the zone in t, ``w_k``: supply risk / total zone sourcing) this is the sum over
minerals and stages of the rival's share of zone supply weighted by supply
risk; with ``shortfall`` targets (``T_k``: a scenario's zone shortfall,
``w_k``: probability / zone baseline) the expected sum of shortfall shares.
See :func:`friendshore.invest.results.dependence_targets` and
:func:`~friendshore.invest.results.shortfall_targets`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from friendshore._core.errors import InfeasibleError, ValidationError
from friendshore._core.quiet import quiet_stdout

__all__ = [
    "FAMILIES",
    "PortfolioInfeasibleError",
    "PortfolioProblem",
    "PortfolioSolution",
    "Variables",
    "define_budget_constraints",
    "define_demand_cap",
    "define_lead_time_constraints",
    "define_member_share",
    "define_objective",
    "define_standards",
    "define_variables",
    "diagnose_infeasibility",
    "solve_portfolio",
]

Objective = Literal["dependence", "shortfall", "outlook"]

#: Constraint families that can bind (and be relaxed to diagnose infeasibility), in order.
FAMILIES: Final[tuple[str, ...]] = (
    "budget_total",
    "budget_year",
    "lead_time",
    "demand_cap",
    "member_share",
    "standards",
    "required",
)

#: What each family requires, for messages.
FAMILY_TEXT: Final[dict[str, str]] = {
    "budget_total": "total budget",
    "budget_year": "budget per year",
    "lead_time": "lead times (start year + lead time <= target year, start >= earliest start)",
    "demand_cap": "new capacity at most the zone's net imports",
    "member_share": "minimum share of capex per member",
    "standards": "required standards",
    "required": "required projects",
}

#: Money enters the model in million USD (coefficients of order 1–1000).
MUSD: Final = 1e6
#: Weight of the capex tie-break, per unit of the pipeline's total capex.
TIE_BREAK: Final = 1e-7

#: Columns a problem's ``projects`` frame needs.
PROBLEM_PROJECT_COLUMNS: Final[list[str]] = [
    "id",
    "member",
    "mineral",
    "stage",
    "capacity_t_per_year",
    "capex_usd",
    "earliest_start_year",
    "lead_time_years",
    "standards",
]
#: Columns a problem's ``targets`` frame needs.
TARGET_COLUMNS: Final[list[str]] = ["target", "mineral", "stage", "target_t", "weight"]


@dataclass(frozen=True)
class PortfolioProblem:
    """The inputs of the portfolio MILP.

    Attributes
    ----------
    projects
        One row per project (:data:`PROBLEM_PROJECT_COLUMNS`): ``member`` (the
        zone member the host country belongs to), ``stage`` (the supply stage
        its output adds to: ``mining`` or ``processing``), capacity (t/yr),
        capex (USD), earliest start and lead time (years), ``standards`` (a
        tuple of codes).
    targets
        One row per objective term (:data:`TARGET_COLUMNS`): ``target`` (a
        label), ``mineral``, ``stage``, ``target_t`` (tonnes new capacity can
        cover: the rival's supply to the zone, or a scenario's shortfall) and
        ``weight`` (objective per tonne left uncovered).
    year
        Target year: chosen projects produce by then.
    budget_usd
        Total capex budget (USD); ``None``: unlimited.
    budget_per_year_usd
        Capex budget per calendar year (USD); ``None``: unlimited.
    demand_cap
        ``mineral, stage, max_new_t``: the most new capacity per mineral × stage.
    members
        The zone's members (for ``member_share``).
    min_member_share
        Smallest share (0–1) of the chosen capex each member must get.
    require_standards
        Standards every chosen project must meet.
    require_projects
        Ids of projects that must be chosen.
    objective
        ``'dependence'`` or ``'shortfall'`` (a label: the targets carry it).
    """

    projects: pd.DataFrame
    targets: pd.DataFrame
    year: int
    budget_usd: float | None = None
    budget_per_year_usd: float | None = None
    demand_cap: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["mineral", "stage", "max_new_t"])
    )
    members: tuple[str, ...] = ()
    min_member_share: float = 0.0
    require_standards: tuple[str, ...] = ()
    require_projects: tuple[str, ...] = ()
    objective: Objective = "dependence"

    def __post_init__(self) -> None:
        missing = [c for c in PROBLEM_PROJECT_COLUMNS if c not in self.projects.columns]
        if missing:
            raise ValidationError(f"projects frame lacks the column(s) {', '.join(missing)}")
        missing = [c for c in TARGET_COLUMNS if c not in self.targets.columns]
        if missing:
            raise ValidationError(f"targets frame lacks the column(s) {', '.join(missing)}")
        if self.projects["id"].duplicated().any():
            raise ValidationError("project ids must be unique")
        for name, value in (
            ("budget_usd", self.budget_usd),
            ("budget_per_year_usd", self.budget_per_year_usd),
        ):
            if value is not None and not value >= 0:
                raise ValidationError(f"{name} must be >= 0, got {value}")
        if not 0.0 <= self.min_member_share <= 1.0:
            raise ValidationError(
                f"min_member_share must be between 0 and 1, got {self.min_member_share}"
            )
        unknown = sorted(set(self.require_projects) - set(self.projects["id"]))
        if unknown:
            raise ValidationError(f"required project(s) not in the pipeline: {', '.join(unknown)}")
        if (self.targets["target_t"] < 0).any() or (self.targets["weight"] < 0).any():
            raise ValidationError("target tonnes and weights must be >= 0")

    @property
    def start_years(self) -> list[int]:
        """Candidate start years: the earliest start in the pipeline to the target year."""
        first = int(self.projects["earliest_start_year"].min()) if len(self.projects) else self.year
        return list(range(min(first, self.year), self.year + 1))

    def with_budget(self, budget_usd: float | None) -> PortfolioProblem:
        """The same problem with another total budget."""
        return replace(self, budget_usd=budget_usd)


@dataclass(frozen=True)
class Variables:
    """The model's variables (linopy) and the coordinates they live on."""

    start: linopy.Variable
    cover: linopy.Variable
    projects: pd.Index
    years: pd.Index
    targets: pd.Index

    @property
    def built(self) -> linopy.LinearExpression:
        """``built[p] = Σ_y start[p, y]`` (1 if the project is chosen)."""
        return self.start.sum("start_year")


@dataclass(frozen=True)
class PortfolioSolution:
    """A solved portfolio.

    Attributes
    ----------
    problem
        The inputs.
    status, termination
        linopy's status and termination condition (``'ok'``, ``'optimal'`` …).
    objective
        Objective value (the tie-break left out): risk-weighted rival share of
        zone supply, or expected shortfall share, after the portfolio.
    objective_before
        The same with nothing built.
    mip_gap
        Relative gap between the incumbent and HiGHS's bound at the end.
    projects
        ``problem.projects`` with ``built`` (bool) and ``start_year`` (NA if not built).
    targets
        ``problem.targets`` with ``covered_t``, ``new_capacity_t`` and ``left_t``.
    n_variables, n_constraints
        Model size.
    solve_seconds
        Wall-clock time of building and solving the model.
    families
        The constraint families that were on.
    """

    problem: PortfolioProblem
    status: str
    termination: str
    objective: float
    objective_before: float
    mip_gap: float
    projects: pd.DataFrame
    targets: pd.DataFrame
    n_variables: int
    n_constraints: int
    solve_seconds: float
    families: tuple[str, ...] = FAMILIES

    @property
    def chosen(self) -> pd.DataFrame:
        """The chosen projects."""
        return self.projects[self.projects["built"]].reset_index(drop=True)


# --- define_* ------------------------------------------------------------------------------


def _project_index(problem: PortfolioProblem) -> pd.Index:
    return pd.Index(problem.projects["id"].astype(str).to_list(), name="project")


def _series(problem: PortfolioProblem, column: str) -> xr.DataArray:
    values = problem.projects[column].to_numpy(dtype=float)
    return xr.DataArray(values, coords={"project": _project_index(problem)}, dims="project")


def define_variables(m: linopy.Model, problem: PortfolioProblem) -> Variables:
    """Add ``start[project, start_year]`` (binary) and ``cover[target]`` (0–1) to ``m``."""
    projects = _project_index(problem)
    years = pd.Index(problem.start_years, name="start_year")
    targets = pd.Index(problem.targets["target"].astype(str).to_list(), name="target")
    start = m.add_variables(binary=True, coords=[projects, years], name="start")
    cover = m.add_variables(lower=0.0, upper=1.0, coords=[targets], name="cover")
    m.add_constraints(start.sum("start_year") <= 1, name="one_start")
    return Variables(start=start, cover=cover, projects=projects, years=years, targets=targets)


def define_budget_constraints(
    m: linopy.Model, problem: PortfolioProblem, v: Variables, *, families: Collection[str]
) -> None:
    """Add the total budget and the budget per year (capex spread over the lead time), in MUSD."""
    capex = _series(problem, "capex_usd") / MUSD
    if "budget_total" in families and problem.budget_usd is not None and len(v.projects):
        m.add_constraints((capex * v.built).sum() <= problem.budget_usd / MUSD, name="budget_total")
    if "budget_year" in families and problem.budget_per_year_usd is not None and len(v.projects):
        lead = np.maximum(problem.projects["lead_time_years"].to_numpy(dtype=int), 1)
        years = np.asarray(v.years, dtype=int)
        start = years[None, :, None]
        cal = years[None, None, :]
        spending = (cal >= start) & (cal < start + lead[:, None, None])
        share = spending / lead[:, None, None]
        coef = xr.DataArray(
            share * capex.to_numpy()[:, None, None],
            coords={
                "project": v.projects,
                "start_year": v.years,
                "year": pd.Index(years, name="year"),
            },
            dims=["project", "start_year", "year"],
        )
        spend = (v.start * coef).sum(["project", "start_year"])
        m.add_constraints(spend <= problem.budget_per_year_usd / MUSD, name="budget_year")


def _invalid_starts(problem: PortfolioProblem, v: Variables) -> xr.DataArray:
    earliest = problem.projects["earliest_start_year"].to_numpy(dtype=int)[:, None]
    lead = problem.projects["lead_time_years"].to_numpy(dtype=int)[:, None]
    years = np.asarray(v.years, dtype=int)[None, :]
    invalid = (years < earliest) | (years + lead > problem.year)
    return xr.DataArray(
        invalid.astype(float),
        coords={"project": v.projects, "start_year": v.years},
        dims=["project", "start_year"],
    )


def define_lead_time_constraints(
    m: linopy.Model, problem: PortfolioProblem, v: Variables, *, families: Collection[str]
) -> None:
    """No start before the earliest start year, and output by the target year (``y + L ≤ Y``)."""
    if "lead_time" not in families or not len(v.projects):
        return
    invalid = _invalid_starts(problem, v)
    rows = invalid.sum("start_year") > 0
    if not bool(rows.any()):
        return
    expr = (v.start * invalid).sum("start_year")
    m.add_constraints(expr <= 0, name="lead_time", mask=rows)


def _membership(
    problem: PortfolioProblem, v: Variables, key: list[str], labels: pd.Index, dim: str
) -> xr.DataArray:
    """Matrix ``[dim, project]``: 1 where the project's ``key`` columns give the label."""
    if len(key) > 1:
        pos = labels.get_indexer(pd.MultiIndex.from_frame(problem.projects[key].astype(str)))
    else:
        pos = labels.get_indexer(pd.Index(problem.projects[key[0]].astype(str)))
    matrix = np.zeros((len(labels), len(v.projects)))
    hit = pos >= 0
    matrix[pos[hit], np.flatnonzero(hit)] = 1.0
    return xr.DataArray(
        matrix, coords={dim: np.arange(len(labels)), "project": v.projects}, dims=[dim, "project"]
    )


def define_demand_cap(
    m: linopy.Model, problem: PortfolioProblem, v: Variables, *, families: Collection[str]
) -> None:
    """New capacity per mineral × stage at most ``max_new_t`` (the zone's net imports)."""
    cap = problem.demand_cap.dropna(subset=["max_new_t"])
    if "demand_cap" not in families or cap.empty or not len(v.projects):
        return
    labels = pd.MultiIndex.from_frame(cap[["mineral", "stage"]].astype(str))
    member = _membership(problem, v, ["mineral", "stage"], labels, "series")
    used = member.sum("project") > 0
    if not bool(used.any()):
        return
    limit = np.maximum(cap["max_new_t"].to_numpy(dtype=float), 0.0)
    # scaled by the limit (t → fraction of it); a zero limit keeps tonnes
    scale = np.where(limit > 0, limit, 1.0)
    q = _series(problem, "capacity_t_per_year")
    coef = member * q / xr.DataArray(scale, dims="series", coords={"series": member["series"]})
    expr = (coef * v.built).sum("project")
    rhs = xr.DataArray(limit / scale, dims="series", coords={"series": member["series"]})
    m.add_constraints(expr <= rhs, name="demand_cap", mask=used)


def define_member_share(
    m: linopy.Model, problem: PortfolioProblem, v: Variables, *, families: Collection[str]
) -> None:
    """Each member gets at least ``min_member_share`` of the chosen capex."""
    share = problem.min_member_share
    if "member_share" not in families or share <= 0 or not problem.members or not len(v.projects):
        return
    labels = pd.Index(list(problem.members))
    member = _membership(problem, v, ["member"], labels, "member_no")
    capex = _series(problem, "capex_usd") / MUSD
    coef = (member - share) * capex
    m.add_constraints((coef * v.built).sum("project") >= 0, name="member_share")


def define_standards(
    m: linopy.Model, problem: PortfolioProblem, v: Variables, *, families: Collection[str]
) -> None:
    """Projects lacking a required standard are not built; required projects are."""
    if not len(v.projects):
        return
    if "standards" in families and problem.require_standards:
        need = set(problem.require_standards)
        lacking = [not need <= set(s) for s in problem.projects["standards"].map(tuple).to_list()]
        mask = xr.DataArray(np.asarray(lacking), coords={"project": v.projects}, dims="project")
        if bool(mask.any()):
            m.add_constraints(v.built <= 0, name="standards", mask=mask)
    if "required" in families and problem.require_projects:
        need_ids = set(problem.require_projects)
        mask = xr.DataArray(
            np.asarray([p in need_ids for p in v.projects]),
            coords={"project": v.projects},
            dims="project",
        )
        m.add_constraints(v.built >= 1, name="required", mask=mask)


def define_objective(m: linopy.Model, problem: PortfolioProblem, v: Variables) -> float:
    """Add the link ``T_k cover_k ≤ new capacity`` and the objective; return its constant.

    The objective ``Σ_k w_k T_k (1 − cover_k)`` is added as ``−Σ_k w_k T_k
    cover_k`` plus the tie-break plus the constant ``Σ_k w_k T_k`` (the value
    with nothing built, returned) on a variable fixed at 1: linopy takes no
    constant in an objective, and with it HiGHS's relative MIP gap is relative
    to the objective itself.
    """
    targets = problem.targets
    weight_t = targets["weight"].to_numpy(dtype=float) * targets["target_t"].to_numpy(dtype=float)
    constant = float(weight_t.sum())
    tie = (
        TIE_BREAK * max(abs(constant), 1e-9) / max(float(problem.projects["capex_usd"].sum()), 1.0)
    )
    capex = _series(problem, "capex_usd")
    tie_expr = (capex * tie * v.built).sum() if len(v.projects) else None
    if len(targets):
        labels = pd.MultiIndex.from_frame(targets[["mineral", "stage"]].astype(str))
        member = _membership(problem, v, ["mineral", "stage"], labels, "target_no")
        target_t = targets["target_t"].to_numpy(dtype=float)
        scale = np.where(target_t > 0, target_t, 1.0)
        q = _series(problem, "capacity_t_per_year")
        coef = member * q / xr.DataArray(scale, dims="target_no")
        new_capacity = (coef * v.built).sum("project")
        new_capacity = new_capacity.rename({"target_no": "target"}).assign_coords(target=v.targets)
        covered = v.cover * xr.DataArray(
            np.where(target_t > 0, 1.0, 0.0), coords={"target": v.targets}, dims="target"
        )
        m.add_constraints(covered - new_capacity <= 0, name="link")
        gain = xr.DataArray(weight_t, coords={"target": v.targets}, dims="target")
        one = m.add_variables(lower=1.0, upper=1.0, name="objective_constant")
        expr = -(v.cover * gain).sum() + constant * one
        m.add_objective(expr + tie_expr if tie_expr is not None else expr)
    elif tie_expr is not None:
        m.add_objective(tie_expr)
    else:
        m.add_objective(0 * v.cover.sum())
    return constant


# --- solve ---------------------------------------------------------------------------------


def build_model(
    problem: PortfolioProblem, *, families: Collection[str] = FAMILIES
) -> tuple[linopy.Model, Variables, float]:
    """Create the linopy model of ``problem`` with the constraint ``families`` switched on."""
    m = linopy.Model()
    v = define_variables(m, problem)
    define_budget_constraints(m, problem, v, families=families)
    define_lead_time_constraints(m, problem, v, families=families)
    define_demand_cap(m, problem, v, families=families)
    define_member_share(m, problem, v, families=families)
    define_standards(m, problem, v, families=families)
    constant = define_objective(m, problem, v)
    return m, v, constant


def _run(
    m: linopy.Model, *, mip_rel_gap: float, time_limit: float | None, threads: int | None
) -> tuple[str, str, float]:
    options: dict[str, Any] = {"mip_rel_gap": mip_rel_gap, "output_flag": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    if threads is not None:
        options["threads"] = int(threads)
    quiet = logging.getLogger("linopy")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # linopy logs a warning for every infeasible solve
    try:
        with quiet_stdout():
            status, termination = m.solve(solver_name="highs", io_api="direct", **options)
    finally:
        quiet.setLevel(level)
    gap = float("nan")
    highs = getattr(m, "solver_model", None)
    if highs is not None:
        with contextlib.suppress(Exception):
            gap = float(highs.getInfo().mip_gap)
    return str(status), str(termination), gap


def _feasible(problem: PortfolioProblem, families: Collection[str]) -> bool:
    m, _, _ = build_model(problem, families=families)
    _, termination, _ = _run(m, mip_rel_gap=1.0, time_limit=None, threads=1)
    return termination in ("optimal", "suboptimal")


def active_families(problem: PortfolioProblem) -> list[str]:
    """The constraint families that add at least one constraint to ``problem``'s model."""
    projects = problem.projects
    late = (projects["earliest_start_year"] + projects["lead_time_years"] > problem.year).any()
    early = (projects["earliest_start_year"] > min(problem.start_years)).any()
    on = {
        "budget_total": problem.budget_usd is not None,
        "budget_year": problem.budget_per_year_usd is not None,
        "lead_time": bool(late or early),
        "demand_cap": not problem.demand_cap.dropna(subset=["max_new_t"]).empty,
        "member_share": problem.min_member_share > 0 and bool(problem.members),
        "standards": bool(problem.require_standards),
        "required": bool(problem.require_projects),
    }
    return [f for f in FAMILIES if on[f] and len(projects)]


def diagnose_infeasibility(problem: PortfolioProblem) -> tuple[list[str], list[str]]:
    """Find the constraint families that make ``problem`` infeasible.

    Returns
    -------
    (conflict, any_one)
        ``conflict``: an irreducible set of families that cannot hold together
        (deletion filter over the active families: each is dropped in turn and
        kept out while the rest stays infeasible); ``any_one``: the families
        whose relaxation alone restores feasibility (each lies in every
        conflict, so only members of ``conflict`` are tried).
    """
    active = active_families(problem)
    conflict = list(active)
    for fam in list(conflict):
        rest = [g for g in conflict if g != fam]
        if not _feasible(problem, rest):
            conflict = rest
    any_one = [
        f
        for f in conflict
        if len(conflict) == 1 or _feasible(problem, [g for g in active if g != f])
    ]
    return conflict, any_one


def _details(problem: PortfolioProblem, conflict: Sequence[str]) -> list[str]:
    """Specifics for the families in ``conflict`` that concern required projects."""
    out: list[str] = []
    req = problem.projects[problem.projects["id"].isin(problem.require_projects)]
    ids = [str(i) for i in req["id"]]
    earliest = [int(y) for y in req["earliest_start_year"]]
    lead = [int(n) for n in req["lead_time_years"]]
    have = [set(map(str, s)) for s in req["standards"]]
    if "lead_time" in conflict:
        out += [
            f"{pid} produces in {e + n} at the earliest "
            f"(earliest start {e} + {n} years), after {problem.year}"
            for pid, e, n in zip(ids, earliest, lead, strict=True)
            if e + n > problem.year
        ]
    if "standards" in conflict and problem.require_standards:
        need = set(problem.require_standards)
        out += [
            f"{pid} lacks {', '.join(sorted(need - got))}"
            for pid, got in zip(ids, have, strict=True)
            if not need <= got
        ]
    if "budget_total" in conflict and problem.budget_usd is not None:
        total = float(req["capex_usd"].sum())
        if total > problem.budget_usd:
            out.append(
                f"required capex {total / MUSD:,.0f} MUSD exceeds the budget "
                f"{problem.budget_usd / MUSD:,.0f} MUSD"
            )
    if "member_share" in conflict and problem.members:
        n = len(problem.members)
        if problem.min_member_share * n > 1:
            out.append(
                f"{n} members × minimum share {problem.min_member_share:g} > 100% of the capex"
            )
    return out


class PortfolioInfeasibleError(InfeasibleError):
    """No portfolio meets the requirements; ``binding`` names the conflicting constraints."""

    def __init__(self, message: str, *, binding: tuple[str, ...], relax_any: tuple[str, ...]):
        super().__init__(message)
        self.binding = binding
        self.relax_any = relax_any


def _infeasible_error(problem: PortfolioProblem) -> PortfolioInfeasibleError:
    conflict, any_one = diagnose_infeasibility(problem)
    names = ", ".join(f"{f} ({FAMILY_TEXT[f]})" for f in conflict) or "unknown"
    message = f"no portfolio meets the requirements: the binding constraints are {names}"
    details = _details(problem, conflict)
    if details:
        message += "; " + "; ".join(details)
    if any_one:
        message += f". Relaxing any one of {', '.join(any_one)} makes it feasible"
    return PortfolioInfeasibleError(message, binding=tuple(conflict), relax_any=tuple(any_one))


def solve_portfolio(
    problem: PortfolioProblem,
    *,
    mip_rel_gap: float = 1e-4,
    time_limit: float | None = None,
    threads: int | None = None,
    families: Collection[str] = FAMILIES,
) -> PortfolioSolution:
    """Build the MILP of ``problem``, solve it with HiGHS and assign the results.

    Parameters
    ----------
    problem
        The inputs.
    mip_rel_gap
        Relative MIP gap at which HiGHS stops (default 1e-4).
    time_limit
        Seconds HiGHS may run (default: no limit); the best portfolio found is
        returned with its gap.
    threads
        Threads HiGHS may use (default: its own choice).
    families
        Constraint families switched on (default: all).

    Returns
    -------
    PortfolioSolution
        Chosen projects and start years, covered tonnes per target, objective
        (after and before), the gap, the model size and the time.

    Raises
    ------
    InfeasibleError
        If no portfolio meets the requirements; the message names the binding
        constraint families (found by relaxing them one at a time) and, for
        required projects, why.
    """
    started = time.perf_counter()
    m, v, constant = build_model(problem, families=families)
    status, termination, gap = _run(
        m, mip_rel_gap=mip_rel_gap, time_limit=time_limit, threads=threads
    )
    elapsed = time.perf_counter() - started
    if termination not in ("optimal", "suboptimal", "time_limit") or m.solution is None:
        if termination in ("infeasible", "infeasible_or_unbounded"):
            raise _infeasible_error(problem)
        raise InfeasibleError(f"the portfolio MILP ended with status {status}/{termination}")
    start = v.start.solution
    if start.isnull().all() and len(v.projects):
        raise InfeasibleError(f"HiGHS found no portfolio within the limits ({termination})")
    start_values = np.rint(np.nan_to_num(start.to_numpy(), nan=0.0)).astype(int)
    years = np.asarray(v.years, dtype=int)
    built = start_values.sum(axis=1) > 0 if len(v.projects) else np.zeros(0, dtype=bool)
    start_year = pd.array(
        [int(years[np.argmax(row)]) if row.any() else pd.NA for row in start_values],
        dtype="Int64",
    )
    projects = problem.projects.reset_index(drop=True).assign(built=built, start_year=start_year)
    targets = problem.targets.reset_index(drop=True).copy()
    target_t = targets["target_t"].to_numpy(dtype=float)
    capacity = projects["capacity_t_per_year"].to_numpy(dtype=float) * built
    keys = pd.MultiIndex.from_frame(projects[["mineral", "stage"]].astype(str))
    new = pd.Series(capacity, index=keys).groupby(level=[0, 1]).sum()
    target_keys = pd.MultiIndex.from_frame(targets[["mineral", "stage"]].astype(str))
    new_t = new.reindex(target_keys).fillna(0.0).to_numpy()
    targets["new_capacity_t"] = new_t
    targets["covered_t"] = np.minimum(target_t, new_t)
    targets["left_t"] = target_t - targets["covered_t"]
    weight = targets["weight"].to_numpy(dtype=float)
    objective = float((weight * targets["left_t"].to_numpy()).sum())
    return PortfolioSolution(
        problem=problem,
        status=status,
        termination=termination,
        objective=objective,
        objective_before=constant,
        mip_gap=gap,
        projects=projects,
        targets=targets,
        n_variables=int(m.nvars),
        n_constraints=int(m.ncons),
        solve_seconds=elapsed,
        families=tuple(families),
    )
