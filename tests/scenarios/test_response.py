"""Zone response optimisation: a hand-computed optimum, switches, contradictory inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from friendshore._core.errors import InfeasibleError
from friendshore.scenarios.response import (
    MEMBER_COLUMNS,
    ResponseProblem,
    solve_response,
)

LAYER = {"mineral_id": "graphite", "stage": "mining"}


def _problem(
    *, stock_a: float = 10.0, capacity: float = 20.0, sharing: bool = True, rerouting: bool = True
) -> ResponseProblem:
    """Two members A, B; one outside supplier S that already supplies both; A has a stock."""
    members = pd.DataFrame(
        {
            **LAYER,
            "member": ["A", "B"],
            "baseline_t": [100.0, 50.0],
            "lost_t": [60.0, 30.0],
            "stock_t": [stock_a, 0.0],
        }
    )
    sources = pd.DataFrame(
        {**LAYER, "route": ["rerouting"], "source": ["S"], "capacity_t": [capacity]}
    )
    arcs = pd.DataFrame(
        {**LAYER, "route": ["rerouting", "rerouting"], "source": ["S", "S"], "member": ["A", "B"]}
    )
    return ResponseProblem(members, sources, arcs, sharing=sharing, rerouting=rerouting)


def test_hand_computed_optimum() -> None:
    # By hand: 30 t can be recovered (20 t from S, 10 t of A's stock). With
    # shortfalls s_A = 60 − x_A − r_A ≤ 100 z and s_B = 30 − x_B ≤ 50 z, all 30 t
    # recovered gives s_A + s_B = 60 ≤ 150 z, so z* = 0.4: s_A = 40, s_B = 20.
    # B can only be helped by S: x_B = 10; A gets x_A = 10 and releases r_A = 10.
    sol = solve_response(_problem())
    assert sol.status == "Optimal"
    assert sol.max_shortfall_share == pytest.approx(0.4, rel=1e-6)
    assert sol.total_shortfall_t == pytest.approx(60.0, rel=1e-6)
    got = sol.members.set_index("member")
    assert list(sol.members.columns) == MEMBER_COLUMNS
    assert got.loc["A", "shortfall_t"] == pytest.approx(40.0, rel=1e-6)
    assert got.loc["B", "shortfall_t"] == pytest.approx(20.0, rel=1e-6)
    assert got.loc["A", "recovered_rerouting_t"] == pytest.approx(10.0, rel=1e-5)
    assert got.loc["B", "recovered_rerouting_t"] == pytest.approx(10.0, rel=1e-5)
    assert got.loc["A", "recovered_stockpile_t"] == pytest.approx(10.0, rel=1e-5)
    assert got.loc["B", "recovered_stockpile_t"] == 0.0
    assert (got["shortfall_share"] - 0.4).abs().max() < 1e-6


def test_second_stage_minimises_total_shortfall() -> None:
    # B can get at most 20 t (all of S), so s_B >= 10 and z* = 10 / 50 = 0.2; A,
    # with 50 t of stock, reaches s_A = 10 <= 0.2 * 100 on its own. Stage 2 then
    # recovers all it can: S all to B (x_B = 20), A's whole stock: s_A = s_B = 10.
    sol = solve_response(_problem(stock_a=50.0))
    got = sol.members.set_index("member")
    assert sol.max_shortfall_share == pytest.approx(0.2, rel=1e-6)
    assert got.loc["B", "recovered_rerouting_t"] == pytest.approx(20.0, rel=1e-5)
    assert got.loc["A", "recovered_stockpile_t"] == pytest.approx(50.0, rel=1e-5)
    assert sol.total_shortfall_t == pytest.approx(20.0, rel=1e-5)


def test_rerouting_off_carries_nothing() -> None:
    sol = solve_response(_problem(rerouting=False))
    got = sol.members.set_index("member")
    assert (got["recovered_rerouting_t"] == 0).all()
    assert got.loc["A", "recovered_stockpile_t"] == pytest.approx(10.0, rel=1e-6)
    # A: s_A = 50 (0.5), B: s_B = 30 (0.6): the largest share is B's, nothing helps B.
    assert sol.max_shortfall_share == pytest.approx(0.6, rel=1e-6)


def test_recovered_never_exceeds_lost() -> None:
    sol = solve_response(_problem(stock_a=1000.0, capacity=1000.0))
    m = sol.members
    assert (m["recovered_t"] <= m["lost_t"] + 1e-9).all()
    assert (m["shortfall_t"] >= 0).all()
    assert sol.total_shortfall_t == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity": -5.0}, "capacity_t >= 0"),
        ({"stock_a": float("nan")}, "stock_t >= 0"),
    ],
)
def test_contradictory_inputs_raise(change: dict[str, float], message: str) -> None:
    with pytest.raises(InfeasibleError, match=message):
        solve_response(_problem(**change))  # type: ignore[arg-type]


def test_loss_above_baseline_raises() -> None:
    p = _problem()
    members = p.members.assign(lost_t=[160.0, 30.0])
    with pytest.raises(InfeasibleError, match="lost_t <= baseline_t"):
        solve_response(ResponseProblem(members, p.sources, p.arcs))


def test_arc_without_source_raises() -> None:
    p = _problem()
    arcs = pd.concat(
        [p.arcs, pd.DataFrame({**LAYER, "route": ["sharing"], "source": ["X"], "member": ["A"]})]
    )
    with pytest.raises(InfeasibleError, match="every arc leaves a source"):
        solve_response(ResponseProblem(p.members, p.sources, arcs))


def test_empty_problem() -> None:
    p = _problem()
    sol = solve_response(ResponseProblem(p.members.iloc[:0], p.sources.iloc[:0], p.arcs.iloc[:0]))
    assert sol.status == "Empty"
    assert sol.members.empty
