"""The portfolio MILP: a hand-computed optimum, infeasibility diagnosis, the frontier, metrics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore._core.errors import ValidationError
from friendshore.data.pipeline_files import shipped_pipeline_paths
from friendshore.invest.pipeline import load_pipeline
from friendshore.invest.portfolio import (
    FAMILIES,
    PortfolioInfeasibleError,
    PortfolioProblem,
    diagnose_infeasibility,
    solve_portfolio,
)
from friendshore.invest.results import (
    BASIS_SOURCING,
    BASIS_SOURCING_LOW,
    dependence_targets,
    efficient_frontier,
    frontier_budgets,
    network_with_capacity,
    plan_portfolio,
    portfolio_problem,
    shortfall_targets,
    supply_metrics,
)
from friendshore.metrics.assessment import assess
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, default_zone
from friendshore.report.invest import frontier_figure, portfolio_figure
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.run import run_scenario

M = 1e6  # USD per million

# --- a small instance with a hand-computed optimum -------------------------------------------
#
# Targets (objective = Σ weight × tonnes left uncovered):
#   graphite/mining    100 t at weight 0.01 → 1.0 when uncovered
#   gallium/processing  10 t at weight 0.05 → 0.5 when uncovered
# Projects (capex in million USD):
#   A  USA   graphite mining      80 t   50   earliest 2025, lead 2
#   B  EU27  graphite mining      40 t   30   earliest 2025, lead 3
#   C  JPN   gallium processing   10 t   40   earliest 2025, lead 2
#   D  MEX   graphite mining     100 t   90   earliest 2026, lead 6 → output in 2032 > 2030
# D can never be built by 2030. With a budget of 100 the subsets of {A, B, C} are:
#   {}        0   → 1.0 + 0.5                       = 1.5
#   {A}      50   → 0.01 × 20 + 0.5                 = 0.7
#   {B}      30   → 0.01 × 60 + 0.5                 = 1.1
#   {C}      40   → 1.0 + 0                         = 1.0
#   {A, B}   80   → 0.01 × max(0, 100 − 120) + 0.5  = 0.5
#   {A, C}   90   → 0.01 × 20 + 0                   = 0.2   ← optimum
#   {B, C}   70   → 0.01 × 60 + 0                   = 0.6
#   {A,B,C} 120   → over budget
# With 85: {A, C} is over budget, so {A, B} (0.5). With 120: {A, B, C} (0.0).
# Minimum member share s (members USA, EU27, JPN): {A,B,C} gives USA 50/120 = 0.417,
# EU27 30/120 = 0.25, JPN 40/120 = 0.333, so s = 0.25 allows it and s = 0.3 allows only {}.


def _problem(**kwargs: object) -> PortfolioProblem:
    projects = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "member": ["USA", "EU27", "JPN", "MEX"],
            "mineral": ["graphite", "graphite", "gallium", "graphite"],
            "stage": ["mining", "mining", "processing", "mining"],
            "capacity_t_per_year": [80.0, 40.0, 10.0, 100.0],
            "capex_usd": [50 * M, 30 * M, 40 * M, 90 * M],
            "earliest_start_year": [2025, 2025, 2025, 2026],
            "lead_time_years": [2, 3, 2, 6],
            "standards": [("IRMA", "ISO14001"), ("ISO14001",), ("IRMA",), ()],
        }
    )
    targets = pd.DataFrame(
        {
            "target": ["graphite/mining", "gallium/processing"],
            "mineral": ["graphite", "gallium"],
            "stage": ["mining", "processing"],
            "target_t": [100.0, 10.0],
            "weight": [0.01, 0.05],
        }
    )
    base = PortfolioProblem(
        projects=projects,
        targets=targets,
        year=2030,
        budget_usd=100 * M,
        members=("USA", "EU27", "JPN"),
    )
    return replace(base, **kwargs)  # type: ignore[arg-type]


def _check(problem: PortfolioProblem, ids: list[str], objective: float) -> None:
    sol = solve_portfolio(problem)
    assert sorted(sol.chosen["id"]) == ids
    assert sol.objective == pytest.approx(objective)


def test_hand_computed_optimum() -> None:
    sol = solve_portfolio(_problem())
    assert sorted(sol.chosen["id"]) == ["A", "C"]
    assert sol.objective == pytest.approx(0.2)
    assert sol.objective_before == pytest.approx(1.5)
    assert sol.termination == "optimal"
    covered = dict(zip(sol.targets["target"], sol.targets["covered_t"], strict=True))
    assert covered == {"graphite/mining": 80.0, "gallium/processing": 10.0}
    # every chosen project produces by the target year
    chosen = sol.chosen
    assert ((chosen["start_year"] + chosen["lead_time_years"]) <= 2030).all()


@pytest.mark.parametrize(
    ("budget", "ids", "objective"),
    [
        (0.0, [], 1.5),
        (45 * M, ["C"], 1.0),
        (85 * M, ["A", "B"], 0.5),
        (120 * M, ["A", "B", "C"], 0.0),
    ],
)
def test_hand_computed_optimum_at_other_budgets(
    budget: float, ids: list[str], objective: float
) -> None:
    _check(_problem(budget_usd=budget), ids, objective)


def test_member_share_hand_computed() -> None:
    _check(_problem(budget_usd=120 * M, min_member_share=0.25), ["A", "B", "C"], 0.0)
    _check(_problem(budget_usd=120 * M, min_member_share=0.3), [], 1.5)


def test_budget_per_year_staggers_the_starts() -> None:
    # A spends 25/yr over 2 years, C 20/yr over 2 years: with 30/yr they cannot overlap
    sol = solve_portfolio(_problem(budget_per_year_usd=30 * M))
    assert sorted(sol.chosen["id"]) == ["A", "C"]
    starts = dict(zip(sol.chosen["id"], sol.chosen["start_year"], strict=True))
    assert abs(int(starts["A"]) - int(starts["C"])) >= 2
    # with 20/yr, A (25/yr for 2 years) cannot be built at all; B (10/yr for 3 years)
    # and C (20/yr for 2 years) fit staggered (B 2025-27, C 2028-29): {B, C} = 0.6
    _check(_problem(budget_per_year_usd=20 * M), ["B", "C"], 0.6)


def test_required_standards_exclude_projects() -> None:
    # IRMA: only A and C qualify, as in the unconstrained optimum
    _check(_problem(require_standards=("IRMA",)), ["A", "C"], 0.2)
    # ISO14001: A and B only → {A, B} = 0.5
    _check(_problem(require_standards=("ISO14001",)), ["A", "B"], 0.5)


def test_demand_cap_limits_new_capacity() -> None:
    cap = pd.DataFrame({"mineral": ["graphite"], "stage": ["mining"], "max_new_t": [50.0]})
    # A (80 t) exceeds the cap of 50 t: B + C = 0.6 is best
    _check(_problem(demand_cap=cap), ["B", "C"], 0.6)


@pytest.mark.parametrize(
    ("kwargs", "binding", "detail"),
    [
        ({"require_projects": ("D",)}, ["lead_time", "required"], "D produces in 2032"),
        (
            {"require_projects": ("A", "B", "C")},
            ["budget_total", "required"],
            "required capex 120 MUSD exceeds the budget 100 MUSD",
        ),
        (
            {"require_projects": ("B",), "require_standards": ("IRMA",)},
            ["standards", "required"],
            "B lacks IRMA",
        ),
        (
            {"require_projects": ("A",), "min_member_share": 0.4},
            ["member_share", "required"],
            "3 members × minimum share 0.4 > 100% of the capex",
        ),
    ],
)
def test_infeasible_requirements_name_the_binding_constraints(
    kwargs: dict[str, object], binding: list[str], detail: str
) -> None:
    with pytest.raises(PortfolioInfeasibleError) as info:
        solve_portfolio(_problem(**kwargs))
    assert list(info.value.binding) == binding
    message = str(info.value)
    for name in binding:
        assert name in message
    assert detail in message


def test_diagnosis_of_a_feasible_problem_finds_nothing_binding_alone() -> None:
    conflict, any_one = diagnose_infeasibility(_problem(require_projects=("D",)))
    assert conflict == ["lead_time", "required"]
    assert any_one == ["lead_time", "required"]
    assert set(conflict) <= set(FAMILIES)


def test_frontier_is_monotone_and_matches_the_hand_optimum() -> None:
    frontier = efficient_frontier(_problem(), [120 * M, 0.0, 45 * M, 85 * M, 100 * M])
    assert list(frontier["budget_usd"]) == [0.0, 45 * M, 85 * M, 100 * M, 120 * M]
    assert list(frontier["objective"]) == pytest.approx([1.5, 1.0, 0.5, 0.2, 0.0])
    assert frontier["objective"].is_monotonic_decreasing
    assert list(frontier["projects"]) == ["", "C", "A;B", "A;C", "A;B;C"]
    # without a limit the best portfolio costs 120: the default sweep ends there
    assert frontier_budgets(_problem(), 3) == [0.0, 60 * M, 120 * M]
    fig = frontier_figure(frontier)
    assert list(fig.data[0].x) == pytest.approx([0.0, 45.0, 85.0, 100.0, 120.0])  # million USD
    assert list(fig.data[0].y) == pytest.approx([1.5, 1.0, 0.5, 0.2, 0.0])


@settings(max_examples=8)
@given(
    capex=st.lists(st.integers(1, 60), min_size=3, max_size=6),
    capacity=st.lists(st.integers(1, 100), min_size=6, max_size=6),
    budgets=st.lists(st.integers(0, 200), min_size=2, max_size=4),
)
def test_more_budget_never_makes_the_objective_worse(
    capex: list[int], capacity: list[int], budgets: list[int]
) -> None:
    n = len(capex)
    projects = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "member": (["USA", "EU27", "JPN"] * 2)[:n],
            "mineral": (["graphite", "gallium"] * 3)[:n],
            "stage": (["mining", "processing"] * 3)[:n],
            "capacity_t_per_year": [float(c) for c in capacity[:n]],
            "capex_usd": [c * M for c in capex],
            "earliest_start_year": [2025] * n,
            "lead_time_years": ([1, 2, 3] * 2)[:n],
            "standards": [()] * n,
        }
    )
    problem = _problem(projects=projects, budget_per_year_usd=40 * M)
    frontier = efficient_frontier(problem, [b * M for b in budgets])
    assert (np.diff(frontier["objective"].to_numpy()) <= 1e-12).all()
    assert (frontier["capex_usd"] <= frontier["budget_usd"] + 1e-6).all()


# --- on the bundled data -----------------------------------------------------------------


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


#: The minerals of the shipped example pipeline (the planner computes the metrics for these).
EXAMPLE_MINERALS = sorted({p.mineral for p in load_pipeline("example-illustrative").projects})


@pytest.fixture(scope="module")
def before(supply: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    return supply_metrics(supply, zone, minerals=EXAMPLE_MINERALS)


def test_before_metrics_are_those_of_assess(
    supply: SupplyNetwork, zone: Zone, before: pd.DataFrame
) -> None:
    summary = assess(supply, zone).summary
    summary = summary[summary["mineral"].isin(EXAMPLE_MINERALS)]
    keys = ["mineral", "stage", "product"]
    merged = before.merge(summary, on=keys, suffixes=("", "_assess"))
    assert len(merged) == len(summary) == len(before) == 12
    # supply risk as assess gives it: the point value, else the lower end of its interval,
    # where the share comes from the zone's sourcing mix (the material balance)
    zone_basis = merged["share_basis"].isin([BASIS_SOURCING, BASIS_SOURCING_LOW])
    expected = merged["supply_risk_assess"].fillna(merged["supply_risk_min_assess"])
    pd.testing.assert_series_equal(
        merged.loc[zone_basis, "supply_risk"], expected[zone_basis], check_names=False
    )
    lower = zone_basis & merged["supply_risk_assess"].isna()
    assert (merged.loc[lower, "supply_risk_basis"] == "lower end of the interval").all()
    # where the zone's sourcing does not bound the rival's share above 0, the world's mix:
    # inside assess's interval wherever assess gives one
    world = merged[~zone_basis & merged["supply_risk"].notna()]
    assert not world.empty
    bounded = world[world["supply_risk_min_assess"].notna()]
    assert (bounded["supply_risk"] >= bounded["supply_risk_min_assess"] - 1e-12).all()
    assert (bounded["supply_risk"] <= bounded["supply_risk_max_assess"] + 1e-12).all()
    pd.testing.assert_series_equal(
        merged["zone_self_sufficiency"],
        merged["zone_self_sufficiency_assess"],
        check_names=False,
    )
    graphite = before[(before["mineral"] == "graphite") & (before["stage"] == "mining")].iloc[0]
    # China's part of the zone's sourcing mix, graphite mining 2023 (contained t)
    assert graphite["china_zone_supply_share"] == pytest.approx(
        graphite["rival_supply_t"] / graphite["zone_supply_t"]
    )
    assert 0.4 < graphite["china_zone_supply_share"] < 0.5
    # restricted to other minerals, the same figures for those in both
    few = supply_metrics(supply, zone, minerals=["graphite", "copper"])
    same = before[before["mineral"] == "graphite"].reset_index(drop=True)
    pd.testing.assert_frame_equal(few[few["mineral"] == "graphite"].reset_index(drop=True), same)


def test_nothing_chosen_leaves_every_metric_as_assess_gives_it(
    supply: SupplyNetwork, zone: Zone, before: pd.DataFrame
) -> None:
    pipeline = load_pipeline("example-illustrative")
    result = plan_portfolio(supply, pipeline, zone, budget_usd=0.0, before=before)
    assert result.chosen.empty
    assert result.solution.objective == pytest.approx(result.solution.objective_before)
    metrics = result.metrics
    for name in ("china_zone_supply_share", "zone_self_sufficiency", "supply_risk"):
        pd.testing.assert_series_equal(
            metrics[f"{name}_before"], metrics[f"{name}_after"], check_names=False
        )
    # and the same network object comes back when nothing is added
    empty = pd.DataFrame(columns=["mineral", "stage", "country", "capacity_t_per_year"])
    assert network_with_capacity(supply, zone, empty) is supply
    # a zero addition through the whole path gives assess's figures too
    zero = pd.DataFrame(
        {
            "mineral": ["graphite"],
            "stage": ["mining"],
            "country": ["USA"],
            "capacity_t_per_year": [0.0],
        }
    )
    again = supply_metrics(
        network_with_capacity(supply, zone, zero), zone, minerals=EXAMPLE_MINERALS
    )
    pd.testing.assert_frame_equal(again, before)


def test_the_example_portfolio_cuts_chinas_graphite_share_as_computed_by_hand(
    supply: SupplyNetwork, zone: Zone, before: pd.DataFrame
) -> None:
    pipeline = load_pipeline("example-illustrative")
    result = plan_portfolio(
        supply, pipeline, zone, budget_usd=1e9, budget_per_year_usd=4e8, before=before
    )
    chosen = result.chosen
    assert chosen["capex_usd"].sum() <= 1e9
    assert (result.spend_by_year["capex_usd"] <= 4e8 + 1).all()
    assert ((chosen["online_year"]) <= 2030).all()
    # the graphite mines that can produce by 2030: 15 + 20 + 25 + 8 kt (Alaska and
    # Alentejo cannot: 2026 + 5 and 2027 + 4 are after 2030)
    graphite = chosen[chosen["mineral"] == "graphite"]
    assert sorted(graphite["id"]) == [
        "ILL-GR-DEU-1",
        "ILL-GR-MEX-1",
        "ILL-GR-SWE-1",
        "ILL-GR-USA-2",
    ]
    row = result.metrics[
        (result.metrics["mineral"] == "graphite") & (result.metrics["stage"] == "mining")
    ].iloc[0]
    g = before[(before["mineral"] == "graphite") & (before["stage"] == "mining")].iloc[0]
    # fixed zone supply S, China's tonnes R less the 68 kt new output
    expected = (g["rival_supply_t"] - 68_000) / g["zone_supply_t"]
    assert row["new_capacity_t"] == 68_000
    assert row["china_zone_supply_share_after"] == pytest.approx(expected, rel=1e-9)
    assert row["zone_self_sufficiency_after"] > row["zone_self_sufficiency_before"]
    assert row["supply_risk_after"] < row["supply_risk_before"]
    # the objective is the risk-weighted China share, computed from the inputs by hand
    targets, _, _ = dependence_targets(before)
    assert result.solution.objective_before == pytest.approx(
        float((targets["weight"] * targets["target_t"]).sum())
    )
    by_member = result.by_member.set_index("member")
    assert by_member["capex_usd"].sum() == pytest.approx(chosen["capex_usd"].sum())
    assert by_member["jobs_operation"].sum() == chosen["jobs_operation"].sum()
    assert result.budget_marginal_value is not None
    assert result.budget_marginal_value >= 0
    # the figure: stacked capex bars add up to each member's capex (million USD), and the
    # markers are the before/after shares of the metrics
    fig = portfolio_figure(result)
    bars: dict[str, float] = {}
    for trace in [t for t in fig.data if t.type == "bar"]:
        for member, y in zip(trace.x, trace.y, strict=True):
            bars[member] = bars.get(member, 0.0) + float(y)
    assert bars == pytest.approx((by_member["capex_usd"] / 1e6).to_dict())
    after = next(t for t in fig.data if t.name == "China share after")
    labels = list(after.y)
    assert after.x[labels.index("graphite · mining")] == pytest.approx(expected)


def test_shortfall_objective_from_a_scenario_run(
    supply: SupplyNetwork, zone: Zone, before: pd.DataFrame
) -> None:
    run = run_scenario(supply, load_scenario("cn-gallium-germanium-2023"), zone)
    targets = shortfall_targets([run])
    assert set(targets["mineral"]) == {"gallium", "germanium"}
    gallium = targets[targets["mineral"] == "gallium"].iloc[0]
    assert gallium["weight"] == pytest.approx(1.0 / gallium["baseline_t"])
    pipeline = load_pipeline("example-illustrative")
    result = plan_portfolio(
        supply,
        pipeline,
        zone,
        objective="shortfall",
        scenarios=[run],
        budget_usd=2e8,
        budget_step_share=0.0,
        before=before,
    )
    # Value of each project within 200 MUSD = tonnes covered / baseline (≈39.6 t of
    # germanium, ≈271 t of gallium): germanium BEL 20 t/45 M (0.505), USA 15 t/60 M
    # (0.379), JPN 8 t/40 M but only 1.9 t left after the first two (0.047); gallium
    # JPN 20 t/30 M (0.074), DEU 35 t/70 M (0.129), USA 50 t/120 M (0.184).
    # BEL + USA (105 M, 0.883) leave 95 M: DEU (0.129) beats JPN-Ga + JPN-Ge (70 M,
    # 0.121) and JPN-Ga alone; dropping Ge-USA for the gallium plants is worse (0.91).
    assert sorted(result.chosen["id"]) == ["ILL-GA-DEU-1", "ILL-GE-BEL-1", "ILL-GE-USA-1"]
    assert result.chosen["capex_usd"].sum() == 175e6
    unmet = float((targets["target_t"] / targets["baseline_t"]).sum())
    assert result.solution.objective_before == pytest.approx(unmet)
    germanium = targets[targets["mineral"] == "germanium"].iloc[0]
    after = (gallium["target_t"] - 35) / gallium["baseline_t"] + (
        germanium["target_t"] - 35
    ) / germanium["baseline_t"]
    assert result.solution.objective == pytest.approx(after)


def test_projects_outside_the_zone_and_unknown_standards_are_refused(tmp_path: Path) -> None:
    pipeline = load_pipeline("example-illustrative")
    targets = pd.DataFrame(columns=["target", "mineral", "stage", "target_t", "weight"])
    zone = default_zone()
    problem = portfolio_problem(pipeline, zone, targets)
    assert set(problem.projects["member"]) == {"USA", "MEX", "EU27", "JPN"}
    # recycling plants add processing-stage supply
    recycling = problem.projects[problem.projects["project_stage"] == "recycling"]
    assert set(recycling["stage"]) == {"processing"}
    with pytest.raises(ValidationError, match="unknown standard"):
        portfolio_problem(pipeline, zone, targets, require_standards=["GOLDEN"])
    path = tmp_path / "can.csv"
    source = shipped_pipeline_paths()["example-illustrative"].read_text(encoding="utf-8")
    path.write_text(
        source.replace(
            "ILL-GR-MEX-1,Illustrative graphite mine (Sonora),MEX",
            "ILL-GR-CAN-1,Illustrative graphite mine (Quebec),CAN",
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        ValidationError, match="project ILL-GR-CAN-1: country CAN is not in the zone"
    ):
        portfolio_problem(load_pipeline(path), zone, targets)
