"""Strategic stockpile sizing: how many tonnes of what, against which disruptions.

:func:`size_stockpile` chooses the stock ``S`` of each mineral × stage (for the
zone as one reserve, or per member) that minimises the expected yearly cost of
holding it plus the expected cost of the shortfalls it leaves, under a budget
(default US$12 bn, the size of the U.S. Project Vault). The disruptions come
from a :class:`ShortfallDistribution`: the Monte Carlo engine of random export
restrictions (:mod:`friendshore.scenarios.montecarlo`), weighted historical
scenarios (:func:`friendshore.scenarios.run.run_scenario`), or both.

The problem (per item ``i`` = mineral × stage [× member], outcomes ``n`` with
yearly probabilities ``π_n``, shortfall ``L_ni`` tonnes over the disruption)::

    min  Σ_i r p_i S_i + Σ_n π_n Σ_i c_i (L_ni − S_i)+
    s.t. Σ_i p_i S_i ≤ B,  S_i ≥ 0

with ``r`` the carrying rate per year (cost of capital + storage), ``p_i`` the
price (US$/t), ``c_i`` the cost of a tonne short (``k × p_i``, or a given US$/t)
and ``B`` the budget. It separates by a Lagrange multiplier ``λ`` on the budget:
``S_i*`` is the ``1 − (r + λ) p_i / c_i`` quantile of ``L_i`` (the newsvendor
critical fractile; Arrow, Harris & Marschak 1951; e.g. Porteus 2002, ch. 1),
``λ = 0`` where the budget does not bind. :func:`solve_newsvendor` solves it
exactly for discrete outcomes (the Lagrangian's segments sorted by value);
:func:`solve_saa` solves the same sample average approximation as a linear
programme (linopy + HiGHS) — both give the same cost (tested).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from friendshore._core.errors import InfeasibleError, ValidationError
from friendshore._core.records import frame_records, plain
from friendshore.scenarios.network import LAYER, ScenarioNetwork

if TYPE_CHECKING:
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.model import Scenario
    from friendshore.scenarios.run import ScenarioResult

__all__ = [
    "COLUMNS",
    "DEFAULT_BUDGET_USD",
    "DEFAULT_CARRYING_RATE",
    "DEFAULT_DRAWS",
    "DEFAULT_SCENARIO_WEIGHT",
    "DEFAULT_SHORTFALL_MULTIPLE",
    "DOD_REFERENCES",
    "JOGMEC_DAYS",
    "OptionError",
    "ShortfallDistribution",
    "StockpileOptions",
    "StockpileResult",
    "combine_distributions",
    "montecarlo_distribution",
    "plan_stockpile",
    "scenario_distribution",
    "size_stockpile",
    "solve_newsvendor",
    "solve_saa",
    "stock_prices",
    "stocked_scenario",
    "stockpile_payload",
]

FloatArray = npt.NDArray[np.float64]

#: US$: Project Vault, the U.S. strategic reserve announced in February 2026 (EXIM
#: US$10 bn loan + about US$2 bn private money; DESIGN.md).
DEFAULT_BUDGET_USD = 12e9
#: ASSUMPTION, per year of the stock's value: 4.5% cost of capital (U.S. 10-year
#: Treasury constant-maturity yield, 2024 average 4.2%, FRED DGS10; EXIM lends
#: near it) + 1.5% storage, handling and insurance of metals in bonded warehouses
#: (LME-listed warehouse rents are of that order for base metals).
DEFAULT_CARRYING_RATE = 0.06
#: ASSUMPTION: cost of a tonne short = 5 × its price: disruption prices
#: (gallium and germanium roughly doubled outside China after the 2023 controls;
#: antimony tripled in 2024) plus lost downstream output. Give a user value with
#: ``shortfall_cost_multiple`` or ``shortfall_cost_usd_t``.
DEFAULT_SHORTFALL_MULTIPLE = 5.0
#: Monte Carlo draws when no scenario is given.
DEFAULT_DRAWS = 1000
#: ASSUMPTION: yearly probability of a scenario given without a weight: once a
#: decade, the Monte Carlo's probability for the least stable supplier (P_MAX).
DEFAULT_SCENARIO_WEIGHT = 0.1
#: JOGMEC's target: 60 days of Japan's consumption (up to 180 for high-risk metals).
JOGMEC_DAYS = 60.0
#: Reference purchases: the U.S. Department of Defense's 2025 plans (DLA Strategic
#: Materials, Annual Materials Plan / solicitations reported October 2025): up to
#: US$245 m of antimony ingots and up to US$500 m of cobalt.
DOD_REFERENCES: tuple[tuple[str, str, float, str], ...] = (
    (
        "antimony",
        "processing",
        245e6,
        "US DoD (DLA Strategic Materials) 2025 plan: up to US$245 m of antimony",
    ),
    (
        "cobalt",
        "processing",
        500e6,
        "US DoD (DLA Strategic Materials) 2025 plan: up to US$500 m of cobalt",
    ),
)
#: Cascade tolerance of the stockpile's Monte Carlo (``prepare_model(tol=...)``; the
#: engine's default is 1e-9): measured on 1,000 draws of the priced minerals (2024), the
#: samples move by at most 8.6e-5 of a row's largest shortfall and the run is ~35% faster.
MC_TOLERANCE = 1e-6
#: ``member`` label of the zone as one reserve (as in the material balance).
ZONE = "zone"
DAYS_PER_YEAR = 365.0

#: The result's columns, described once: name -> (unit, description).
COLUMNS: dict[str, tuple[str, str]] = {
    "mineral": ("", "catalog mineral id"),
    "stage": ("", "mining / processing / components"),
    "member": ("", "zone member, or 'zone' for the zone's one reserve"),
    "price_usd_t": ("US$/t", "price of a tonne of stock (tonnes basis of the network)"),
    "price_source": ("", "series, source, edition and year of the price"),
    "price_year": ("year", "year of the price"),
    "tonnes_basis": ("", "what the tonnes measure (network layer basis)"),
    "basis_note": ("", "where the price's basis differs from the tonnes' basis"),
    "tonnes": ("t", "sized stock"),
    "purchase_cost_usd": ("US$", "price × tonnes"),
    "carrying_cost_usd_yr": ("US$/yr", "carrying rate × purchase cost"),
    "shortfall_cost_usd_t": ("US$/t", "cost of a tonne short"),
    "critical_fractile": ("", "1 − (r + λ) p / c: the quantile of the shortfall stocked"),
    "p_shortfall": ("", "yearly probability of a shortfall (L > 0)"),
    "expected_shortfall_t": ("t/yr", "expected shortfall over a year's disruptions, no stock"),
    "expected_shortfall_after_t": ("t/yr", "expected shortfall with the stock"),
    "expected_shortfall_avoided_t": ("t/yr", "expected shortfall the stock avoids"),
    "expected_shortfall_cost_usd_yr": ("US$/yr", "expected cost of the shortfall left"),
    "apparent_consumption_t": ("t/yr", "apparent consumption (material balance)"),
    "consumption_year": ("year", "year of the apparent consumption"),
    "consumption_basis": ("", "point, or midpoint of the balance's interval"),
    "days_of_cover": ("days", "tonnes / (apparent consumption / 365)"),
    "days_of_cover_min": ("days", "days of cover at the balance's upper consumption bound"),
    "days_of_cover_max": ("days", "days of cover at the balance's lower consumption bound"),
    "jogmec_60d_t": ("t", "60 days of apparent consumption (JOGMEC target)"),
    "jogmec_60d_cost_usd": ("US$", "price × 60 days of consumption"),
}
FRAME_COLUMNS = list(COLUMNS)


# --- options -----------------------------------------------------------------------------


class OptionError(ValidationError):
    """A bad option of a sizing; ``field`` names it (the CLI prints ``--field``)."""

    def __init__(self, message: str, *, field: str) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class StockpileOptions:
    """Validated options of a stockpile sizing (built once by the CLI, the API and fs).

    Attributes
    ----------
    budget_usd
        Budget for the purchase of the stock (US$, ≥ 0).
    carrying_rate
        Carrying cost per year as a fraction of the stock's value (0–1).
    shortfall_cost_multiple
        Cost of a tonne short as a multiple of its price (> 0).
    shortfall_cost_usd_t
        Cost of a tonne short in US$/t per mineral id (overrides the multiple).
    reserve
        ``zone`` (one reserve for the zone, shortfalls summed over members) or
        ``member`` (one stock per member).
    method
        ``newsvendor`` (closed form, exact) or ``saa`` (the LP).
    draws, seed
        Monte Carlo draws (``None``: :data:`DEFAULT_DRAWS` without scenarios,
        0 with) and seed.
    scenarios
        ``(id or path, yearly probability)`` of each weighted scenario.
    months
        Duration of a Monte Carlo disruption (months).
    year
        Baseline year of the Monte Carlo (default: the first scenario's, else
        the latest trade year).
    frontier_budgets
        Budgets of the frontier (default: 0.1–4 × ``budget_usd``).
    """

    budget_usd: float = DEFAULT_BUDGET_USD
    carrying_rate: float = DEFAULT_CARRYING_RATE
    shortfall_cost_multiple: float = DEFAULT_SHORTFALL_MULTIPLE
    shortfall_cost_usd_t: Mapping[str, float] | None = None
    reserve: Literal["zone", "member"] = "zone"
    method: Literal["newsvendor", "saa"] = "newsvendor"
    draws: int | None = None
    seed: int = 0
    scenarios: tuple[tuple[str, float], ...] = ()
    months: int = 12
    year: int | None = None
    frontier_budgets: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        def bad(field_name: str, message: str) -> OptionError:
            return OptionError(message, field=field_name)

        if not math.isfinite(self.budget_usd) or self.budget_usd < 0:
            raise bad("budget", f"must be a finite amount ≥ 0 (US$), got {self.budget_usd:g}")
        if not 0.0 <= self.carrying_rate <= 1.0:
            raise bad("carrying-rate", f"must be between 0 and 1, got {self.carrying_rate:g}")
        if not math.isfinite(self.shortfall_cost_multiple) or self.shortfall_cost_multiple <= 0:
            raise bad(
                "shortfall-multiple", f"must be positive, got {self.shortfall_cost_multiple:g}"
            )
        for mineral, cost in (self.shortfall_cost_usd_t or {}).items():
            if not math.isfinite(cost) or cost <= 0:
                raise bad("shortfall-cost", f"{mineral}: must be positive US$/t, got {cost:g}")
        if self.reserve not in ("zone", "member"):
            raise bad("reserve", f"use zone or member, got {self.reserve!r}")
        if self.method not in ("newsvendor", "saa"):
            raise bad("method", f"use newsvendor or saa, got {self.method!r}")
        if self.draws is not None and self.draws < 0:
            raise bad("draws", f"must be ≥ 0, got {self.draws}")
        if not 1 <= self.months <= 120:
            raise bad("months", f"must be between 1 and 120, got {self.months}")
        for name, weight in self.scenarios:
            if not 0.0 <= weight <= 1.0:
                raise bad("scenario", f"{name}: weight must be in [0, 1], got {weight:g}")
        if sum(w for _, w in self.scenarios) > 1.0 + 1e-12:
            raise bad("scenario", "the scenarios' yearly probabilities sum to more than 1")
        if self.n_draws == 0 and not self.scenarios:
            raise bad("draws", "give Monte Carlo draws or at least one scenario")
        for b in self.frontier_budgets or ():
            if not math.isfinite(b) or b < 0:
                raise bad("budget", f"frontier budgets must be ≥ 0, got {b:g}")

    @property
    def n_draws(self) -> int:
        """Monte Carlo draws to run (see ``draws``)."""
        if self.draws is not None:
            return self.draws
        return 0 if self.scenarios else DEFAULT_DRAWS

    def budgets(self) -> tuple[float, ...]:
        """Budgets of the frontier (US$), ascending, the sizing's budget included."""
        chosen = self.frontier_budgets
        if chosen is None:
            chosen = tuple(f * self.budget_usd for f in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0))
        return tuple(sorted({*chosen, self.budget_usd}))


def parse_scenario_weight(text: str) -> tuple[str, float]:
    """``"cn-graphite-2023:0.2"`` -> ``("cn-graphite-2023", 0.2)``; no weight: the default.

    Raises
    ------
    ValidationError
        If the weight is not a number in [0, 1] (field ``scenario``).
    """
    name, sep, weight = text.rpartition(":")
    if not sep or not re.fullmatch(r"[0-9.eE+-]+", weight):
        return text, DEFAULT_SCENARIO_WEIGHT
    try:
        value = float(weight)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise OptionError(f"{name}: weight must be in [0, 1], got {weight!r}", field="scenario")
    return name, value


# --- the disruption distribution -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ShortfallDistribution:
    """Yearly outcomes of shortfall per member × mineral × stage (tonnes over the disruption).

    Attributes
    ----------
    rows
        ``mineral_id, stage, member, demand_t`` (the member's domestic use in
        the network of ``year``, t/yr: what a scenario's stockpile days refer
        to) of each sample column.
    samples
        Shortfall ``L`` (t over the disruption) per outcome × row.
    weights
        Yearly probability of each outcome; ``1 − Σ weights`` is the
        probability of no shortfall at all.
    outcomes
        One row per outcome: ``source`` (``montecarlo`` / ``scenario``),
        ``scenario``, ``draw``, ``weight``, ``months``, ``basis``.
    year
        Baseline year of the rows' ``demand_t``.
    montecarlo_seconds
        Time of the Monte Carlo part (s; 0 without one).
    """

    rows: pd.DataFrame
    samples: FloatArray
    weights: FloatArray
    outcomes: pd.DataFrame
    year: int
    montecarlo_seconds: float = 0.0
    draws: int = 0

    def __post_init__(self) -> None:
        if self.samples.shape != (len(self.outcomes), len(self.rows)):
            raise ValidationError("samples must be outcomes × rows")
        if (self.weights < 0).any() or self.weights.sum() > 1.0 + 1e-9:
            raise ValidationError("outcome weights must be ≥ 0 and sum to at most 1")
        if (self.samples < 0).any():
            raise ValidationError("shortfall samples must be ≥ 0")


def subset_network(net: ScenarioNetwork, minerals: Sequence[str]) -> ScenarioNetwork:
    """The network's layers of ``minerals`` only (every stage; node and edge positions renumbered).

    Layers of different minerals do not interact in the cascade (without a
    by-product link), so the Monte Carlo of a subset gives the same distribution
    for those minerals as on the whole network, at a fraction of the time.
    """
    keep = set(minerals)
    nodes = net.nodes
    kn = nodes["mineral_id"].isin(keep).to_numpy()
    node_pos = np.full(len(nodes), -1, dtype=np.int64)
    node_pos[kn] = np.arange(int(kn.sum()))
    ke = net.edges["mineral_id"].isin(keep).to_numpy()
    edge_pos = np.full(len(net.edges), -1, dtype=np.int64)
    edge_pos[ke] = np.arange(int(ke.sum()))
    new_nodes = nodes[kn].reset_index(drop=True)
    if "node" in new_nodes.columns:
        new_nodes["node"] = np.arange(len(new_nodes))
    edges = net.edges[ke].reset_index(drop=True)
    edges["src"] = node_pos[edges["src"].to_numpy(dtype=np.int64)]
    edges["dst"] = node_pos[edges["dst"].to_numpy(dtype=np.int64)]
    flows = net.flows[net.flows["mineral_id"].isin(keep)].reset_index(drop=True)
    flows["edge"] = edge_pos[flows["edge"].to_numpy(dtype=np.int64)]
    layers = net.layers[net.layers["mineral_id"].isin(keep)].reset_index(drop=True)
    return replace(net, nodes=new_nodes, edges=edges, flows=flows, layers=layers)


def background_scenario(year: int) -> Scenario:
    """A scenario without shocks on baseline ``year``: the Monte Carlo's background."""
    from friendshore.scenarios.model import Scenario  # noqa: PLC0415

    return Scenario(
        id="stockpile-background",
        name="Random export restrictions (Monte Carlo background)",
        date=dt.date(year + 1, 1, 1),
        baseline_year=year,
        source="friendshore Monte Carlo of random export restrictions (scenarios/montecarlo.py)",
    )


def montecarlo_distribution(
    supply: SupplyNetwork,
    zone: Zone,
    *,
    draws: int,
    seed: int = 0,
    year: int,
    minerals: Sequence[str] | None = None,
    months: int = 12,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ShortfallDistribution:
    """Pre-response shortfall (t over ``months``) of random export restrictions, per member row.

    Runs the Monte Carlo engine (:func:`friendshore.scenarios.montecarlo.prepare_model`,
    ``run_chunk``, the same seeds per chunk as ``run_montecarlo``) on the
    network of ``year`` restricted to ``minerals`` (all where ``None``), with no
    fixed shock, cascade tolerance :data:`MC_TOLERANCE`. Each draw is a year
    with probability ``1 / draws``; its
    shortfall rate (t/yr during the disruption) × ``months / 12`` is ``L``.
    """
    from friendshore.scenarios import montecarlo as mc  # noqa: PLC0415
    from friendshore.scenarios.propagate import propagate  # noqa: PLC0415
    from friendshore.scenarios.run import member_table  # noqa: PLC0415

    start = time.perf_counter()
    net = ScenarioNetwork.from_supply(supply, year)
    if minerals is not None:
        net = subset_network(net, minerals)
    probs = mc.disruption_probabilities(net, supply.governance)
    c2m = pd.Series(zone.country_to_member())
    rows = member_table(propagate(net, []), c2m)
    model = mc.prepare_model(net, [], probs, cut_share=mc.DEFAULT_CUT_SHARE, zone=zone, rows=rows)
    chunks = mc.chunk_seeds(seed, draws)
    if backend == "dask":
        if client is None:
            raise ValidationError("the dask backend needs a distributed.Client")
        from distributed import as_completed  # noqa: PLC0415

        shared = client.scatter(model, broadcast=True)
        futures = [client.submit(mc.run_chunk, shared, c, n, pure=False) for c, n in chunks]
        index = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, FloatArray] = {}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            i = index[fut.key]
            done[i] = fut.result()[0]
            if progress is not None:
                progress(chunks[i][1])
        parts = [done[i] for i in range(len(chunks))]
    else:
        parts = []
        for child, size in chunks:
            parts.append(mc.run_chunk(model, child, size)[0])
            if progress is not None:
                progress(size)
    samples = np.maximum(np.concatenate(parts, axis=0), 0.0) * months / 12.0
    outcomes = pd.DataFrame(
        {
            "source": "montecarlo",
            "scenario": None,
            "draw": np.arange(draws),
            "weight": 1.0 / draws,
            "months": months,
            "basis": "pre-response (before re-routing, sharing, stockpiles)",
        }
    )
    return ShortfallDistribution(
        rows=rows[[*LAYER, "member", "demand_t"]].reset_index(drop=True),
        samples=samples,
        weights=np.full(draws, 1.0 / draws),
        outcomes=outcomes,
        year=year,
        montecarlo_seconds=time.perf_counter() - start,
        draws=draws,
    )


def scenario_distribution(results: Sequence[tuple[ScenarioResult, float]]) -> ShortfallDistribution:
    """Weighted scenario runs as outcomes: each run's ``shortfall_t`` × months / 12.

    ``shortfall_t`` is after the scenario's own response (re-routing, sharing,
    its stockpiles, demand response): a new stock is sized for what is left.
    The rows' ``demand_t`` is the first run's (its baseline year).
    """
    if not results:
        raise ValidationError("no scenario run given")
    keys: dict[tuple[str, str, str], float] = {}
    for run, _ in results:
        rec = run.records
        for m, s, mem, d in zip(
            rec["mineral"], rec["stage"], rec["member"], rec["demand_t"], strict=True
        ):
            keys.setdefault((str(m), str(s), str(mem)), float(d))
    index = {k: j for j, k in enumerate(keys)}
    samples = np.zeros((len(results), len(keys)))
    out = []
    for i, (run, weight) in enumerate(results):
        rec = run.records
        cols = [
            index[(str(m), str(s), str(mem))]
            for m, s, mem in zip(rec["mineral"], rec["stage"], rec["member"], strict=True)
        ]
        samples[i, cols] = (
            rec["shortfall_t"].clip(lower=0.0).to_numpy(dtype=float) * run.months / 12.0
        )
        out.append(
            {
                "source": "scenario",
                "scenario": run.scenario.id,
                "draw": None,
                "weight": float(weight),
                "months": run.months,
                "basis": "after the scenario's response (re-routing, sharing, its stockpiles)",
            }
        )
    rows = pd.DataFrame(
        [(m, s, mem, d) for (m, s, mem), d in keys.items()],
        columns=[*LAYER, "member", "demand_t"],
    )
    return ShortfallDistribution(
        rows=rows,
        samples=samples,
        weights=np.array([w for _, w in results], dtype=float),
        outcomes=pd.DataFrame(out),
        year=results[0][0].scenario.year,
    )


def combine_distributions(
    first: ShortfallDistribution, second: ShortfallDistribution
) -> ShortfallDistribution:
    """The mixture: ``first``'s outcomes keep their weights, ``second``'s share what is left.

    With scenarios first and the Monte Carlo second: a year is one of the
    scenarios with its probability, else a year of random restrictions (each
    draw ``(1 − Σ w) / draws``). Rows are the union; ``demand_t`` and ``year``
    are ``first``'s where it has the row.
    """
    rows = pd.concat([first.rows, second.rows], ignore_index=True)
    rows = rows.drop_duplicates([*LAYER, "member"], keep="first").reset_index(drop=True)
    key = pd.MultiIndex.from_frame(rows[[*LAYER, "member"]])

    def spread(d: ShortfallDistribution) -> FloatArray:
        pos = key.get_indexer(pd.MultiIndex.from_frame(d.rows[[*LAYER, "member"]]))
        out = np.zeros((d.samples.shape[0], len(rows)))
        out[:, pos] = d.samples
        return out

    left = max(0.0, 1.0 - float(first.weights.sum()))
    w2 = second.weights / max(float(second.weights.sum()), 1e-300) * left
    outcomes = pd.concat([first.outcomes, second.outcomes.assign(weight=w2)], ignore_index=True)
    return ShortfallDistribution(
        rows=rows,
        samples=np.vstack([spread(first), spread(second)]),
        weights=np.concatenate([first.weights, w2]),
        outcomes=outcomes,
        year=first.year,
        montecarlo_seconds=first.montecarlo_seconds + second.montecarlo_seconds,
        draws=first.draws + second.draws,
    )


# --- prices ------------------------------------------------------------------------------------


def stock_prices(
    prices: pd.DataFrame,
    *,
    layers: pd.DataFrame | None = None,
    concordance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One price (US$/t) per mineral × stage from the annual ``prices`` table.

    Parameters
    ----------
    prices
        :func:`friendshore.data.queries.annual_prices` rows (``series, source,
        release, mineral_id, stage, year, usd_per_t, basis, months``).
    layers
        Network layers (``mineral_id, stage, basis``): the tonnes' basis.
    concordance
        The HS concordance (``content_factor, content_source``): a price per
        tonne of a product whose formula a stoichiometric factor names
        (``Li2CO3``) is put on the contained basis of a ``contained`` layer.

    Returns
    -------
    pandas.DataFrame
        ``mineral_id, stage, price_usd_t, price_year, price_source, price_basis,
        tonnes_basis, basis_note``.

    Notes
    -----
    The latest year with a full price (annual series, or 12 months of a monthly
    one) is used; where several series price the mineral × stage that year, the
    median of them (``price_source`` lists them). A price per tonne of product
    ``X`` (basis ``"X (product)"``) on a contained layer is divided by the
    content factor of ``X`` (``stoichiometry: X (…)`` in the concordance).
    """
    p = prices[
        prices["mineral_id"].notna()
        & prices["stage"].notna()
        & prices["usd_per_t"].notna()
        & (pd.to_numeric(prices["usd_per_t"], errors="coerce") > 0)
    ].copy()
    months = p["months"] if "months" in p.columns else pd.Series(pd.NA, index=p.index)
    p = p[months.isna() | (months.fillna(0).astype(int) >= 12)]
    cols = ["mineral_id", "stage", "price_usd_t", "price_year", "price_source", "price_basis"]
    if p.empty:
        out = pd.DataFrame(columns=cols)
    else:
        latest = p.groupby(["mineral_id", "stage"])["year"].transform("max")
        p = p[p["year"] == latest]
        rows = []
        for (mineral, stage), group in p.groupby(["mineral_id", "stage"], sort=True):
            g = group.sort_values("series")
            year = int(g["year"].iloc[0])
            bases = sorted({str(b) for b in g["basis"].dropna()})
            listing = "; ".join(
                f"{s} ({src} {rel}) {v:,.0f}"
                for s, src, rel, v in zip(
                    g["series"], g["source"], g["release"], g["usd_per_t"], strict=True
                )
            )
            how = "" if len(g) == 1 else f"median of {len(g)} series: "
            rows.append(
                {
                    "mineral_id": mineral,
                    "stage": stage,
                    "price_usd_t": float(g["usd_per_t"].astype(float).median()),
                    "price_year": year,
                    "price_source": f"{how}{listing}, {year}",
                    "price_basis": "; ".join(bases),
                }
            )
        out = pd.DataFrame(rows, columns=cols)
    out["tonnes_basis"] = None
    out["basis_note"] = None
    if layers is None:
        return out
    basis = layers.set_index(LAYER)["basis"]
    out["tonnes_basis"] = [
        basis.get((m, s)) for m, s in zip(out["mineral_id"], out["stage"], strict=True)
    ]
    factors = _product_factors(concordance)
    price_t = out["price_usd_t"].to_numpy(dtype=float).copy()
    notes: list[str | None] = []
    for j, (pb_raw, tb) in enumerate(zip(out["price_basis"], out["tonnes_basis"], strict=True)):
        pb = str(pb_raw)
        product = re.fullmatch(r"(\S+) \(product\)", pb)
        note = None
        if product and tb == "contained" and product.group(1) in factors:
            f = factors[product.group(1)]
            price_t[j] /= f
            note = (
                f"price per t of {product.group(1)} ÷ content factor {f:g} (HS concordance): "
                "US$ per t contained"
            )
        elif tb is not None and (
            product or (tb == "gross" and pb not in ("", "nan") and "gross" not in pb)
        ):
            note = (
                f"price per t of {pb}; tonnes are the network's {tb} basis: the cost is indicative"
            )
        notes.append(note)
    out["price_usd_t"] = price_t
    out["basis_note"] = notes
    return out


def _product_factors(concordance: pd.DataFrame | None) -> dict[str, float]:
    if concordance is None:
        return {}
    out: dict[str, float] = {}
    for factor, source in zip(
        concordance["content_factor"], concordance["content_source"], strict=True
    ):
        hit = re.match(r"stoichiometry: (\S+) \(", str(source))
        if hit and pd.notna(factor):
            out.setdefault(hit.group(1), float(factor))
    return out


# --- solvers ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Segments:
    """The Lagrangian's segments: item, value per US$ (kG − r), US$ width and tonnes per US$."""

    item: npt.NDArray[np.int64]
    value: FloatArray
    dollars: FloatArray
    avoided_per_usd: FloatArray


def _segments(
    losses: FloatArray, weights: FloatArray, price: FloatArray, unit_cost: FloatArray, rate: float
) -> _Segments:
    items, values, dollars, per_usd = [], [], [], []
    for j in range(losses.shape[1]):
        col = losses[:, j]
        nz = (col > 0) & (weights > 0)
        if not nz.any():
            continue
        v, inv = np.unique(col[nz], return_inverse=True)  # ascending
        w = np.bincount(inv, weights[nz], minlength=len(v))
        g = np.cumsum(w[::-1])[::-1]  # P(L >= v_k) = P(L > S) for S in [v_{k-1}, v_k)
        lower = np.r_[0.0, v[:-1]]
        width = v - lower
        k = unit_cost[j] / price[j]
        items.append(np.full(len(v), j))
        values.append(k * g - rate)
        dollars.append(width * price[j])
        per_usd.append(g / price[j])
    if not items:
        empty = np.zeros(0)
        return _Segments(np.zeros(0, dtype=np.int64), empty, empty, empty)
    return _Segments(
        np.concatenate(items).astype(np.int64),
        np.concatenate(values),
        np.concatenate(dollars),
        np.concatenate(per_usd),
    )


@dataclass(frozen=True, eq=False)
class Solution:
    """Stock per item (t), the budget's shadow price and the solver used."""

    stock: FloatArray
    marginal_value: float
    method: str
    frontier: pd.DataFrame


def solve_newsvendor(
    losses: FloatArray,
    weights: FloatArray,
    price: FloatArray,
    unit_cost: FloatArray,
    *,
    rate: float,
    budget: float,
    budgets: Sequence[float] = (),
) -> Solution:
    """Exact optimum of the budgeted newsvendor problem over discrete outcomes.

    Parameters
    ----------
    losses
        Shortfall ``L`` (t) per outcome × item.
    weights
        Probability of each outcome (the rest: no shortfall).
    price, unit_cost
        ``p`` and ``c`` (US$/t) per item.
    rate, budget
        Carrying rate per year and budget (US$).
    budgets
        Budgets of the frontier.

    Returns
    -------
    Solution
        ``stock`` (t), ``marginal_value`` ``λ`` (US$ of expected yearly cost
        saved per extra US$ of budget) and the ``frontier``.

    Notes
    -----
    Between consecutive outcome values ``v_{k−1} ≤ S < v_k`` of item ``i`` a
    US$ of stock saves ``k_i P(L_i ≥ v_k) − r`` a year (``k_i = c_i / p_i``);
    these values fall as ``S`` rises (the cost is convex), so filling the
    segments across items in order of value until the budget is spent is
    optimal, and ``λ`` is the value of the next segment (0 when every segment
    of positive value fits). Equivalently ``S_i`` is the
    ``1 − (r + λ)/k_i`` quantile of ``L_i`` (critical fractile).

    Examples
    --------
    One mineral, no shortfall with probability 0.8, 100 t with 0.2: at
    ``k = 5``, ``r = 0.06`` the critical fractile is 0.988, so the whole
    100 t is stocked if the budget allows:

    >>> sol = solve_newsvendor(
    ...     np.array([[0.0], [100.0]]), np.array([0.8, 0.2]), np.array([10.0]),
    ...     np.array([50.0]), rate=0.06, budget=1e6)
    >>> float(sol.stock[0]), sol.marginal_value
    (100.0, 0.0)
    """
    seg = _segments(losses, weights, price, unit_cost, rate)
    pos = seg.value > 0
    order = np.argsort(-seg.value[pos], kind="stable")
    item, value = seg.item[pos][order], seg.value[pos][order]
    dollars, per_usd = seg.dollars[pos][order], seg.avoided_per_usd[pos][order]
    cum = np.cumsum(dollars)
    stock = np.zeros(losses.shape[1])
    full = cum <= budget * (1 + 1e-12)
    np.add.at(stock, item[full], dollars[full] / price[item[full]])
    marginal = 0.0
    nxt = np.flatnonzero(~full)
    if len(nxt):
        k = nxt[0]
        spent = cum[k - 1] if k > 0 else 0.0
        part = max(0.0, budget - spent)
        stock[item[k]] += part / price[item[k]]
        marginal = float(value[k])
    base_cost = float((weights @ losses) @ unit_cost)
    base_short = float((weights @ losses).sum())
    rows = []
    for b in budgets:
        spent_full = cum <= b * (1 + 1e-12)
        spend = float(dollars[spent_full].sum())
        saved = float((value[spent_full] * dollars[spent_full]).sum())
        avoided = float((per_usd[spent_full] * dollars[spent_full]).sum())
        lam = 0.0
        rest = np.flatnonzero(~spent_full)
        if len(rest):
            r0 = rest[0]
            part = max(0.0, b - spend)
            spend += part
            saved += value[r0] * part
            avoided += per_usd[r0] * part
            lam = float(value[r0])
        rows.append(
            {
                "budget_usd": float(b),
                "spent_usd": spend,
                "expected_cost_usd_yr": base_cost - saved,
                "expected_shortfall_t": base_short,
                "avoided_t": avoided,
                "marginal_value_usd_per_usd": lam,
            }
        )
    return Solution(stock, marginal, "newsvendor", pd.DataFrame(rows))


def solve_saa(
    losses: FloatArray,
    weights: FloatArray,
    price: FloatArray,
    unit_cost: FloatArray,
    *,
    rate: float,
    budget: float,
) -> Solution:
    """The sample average approximation as a linear programme (linopy + HiGHS).

    Variables ``y_i ≥ 0`` (stock value, US$ bn) and ``u_ni ≥ 0`` (value short,
    only where ``L_ni > 0``; outcomes with the same ``L_ni`` share one ``u``,
    their weights summed, which is exact)::

        min Σ r y_i + Σ π_n k_i u_ni   s.t.  u_ni + y_i ≥ p_i L_ni,  Σ y_i ≤ B

    The budget row's dual is ``−λ``. Frontier left empty (see :func:`solve_newsvendor`).
    """
    import linopy  # noqa: PLC0415 (heavy)
    import xarray as xr  # noqa: PLC0415

    from friendshore._core.quiet import quiet_stdout  # noqa: PLC0415

    scale = 1e9
    n_items = losses.shape[1]
    # one cell per item x distinct positive shortfall (outcomes with the same L_ni have the
    # same constraint, so merging them and summing their weights is exact)
    cell_item, cell_value, cell_weight = [], [], []
    for j in range(n_items):
        nz = (losses[:, j] > 0) & (weights > 0)
        if nz.any():
            v, inv = np.unique(losses[nz, j], return_inverse=True)
            cell_item.append(np.full(len(v), j))
            cell_value.append(v)
            cell_weight.append(np.bincount(inv, weights[nz], minlength=len(v)))
    m = linopy.Model()
    items = pd.RangeIndex(n_items, name="item")
    y = m.add_variables(lower=0.0, coords=[items], name="y")
    k = unit_cost / price
    objective = (xr.DataArray(np.full(n_items, rate), coords=[items]) * y).sum()
    if cell_item:
        ci = np.concatenate(cell_item)
        cells = pd.RangeIndex(len(ci), name="cell")
        u = m.add_variables(lower=0.0, coords=[cells], name="u")
        terms = np.stack([u.labels.values, y.labels.values[ci]], axis=1)
        expr = linopy.LinearExpression(
            xr.Dataset(
                {
                    "coeffs": (("cell", "_term"), np.ones((len(ci), 2))),
                    "vars": (("cell", "_term"), terms),
                },
                coords={"cell": cells},
            ),
            m,
        )
        rhs = np.concatenate(cell_value) * price[ci] / scale
        m.add_constraints(expr >= xr.DataArray(rhs, coords=[cells]), name="short")
        coef = xr.DataArray(np.concatenate(cell_weight) * k[ci], coords=[cells])
        objective = objective + (coef * u).sum()
    m.add_constraints(y.sum() <= budget / scale, name="budget")
    m.add_objective(objective)
    with quiet_stdout():
        status, condition = m.solve(solver_name="highs", io_api="direct", output_flag=False)
    if status != "ok":
        raise InfeasibleError(f"stockpile LP not solved: {status} ({condition})")
    value = np.asarray(m.solution["y"].values, dtype=float) * scale
    dual = float(m.constraints["budget"].dual.values)
    return Solution(value / price, max(0.0, -dual), "saa", pd.DataFrame())


# --- sizing --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StockpileResult:
    """A stockpile sizing: options, distribution, the stock per item and reference points.

    Attributes
    ----------
    options
        The options.
    frame
        One row per item sized (:data:`COLUMNS`).
    left_out
        ``mineral, stage, member, reason``: items with a shortfall but no price.
    allocation
        The zone reserve split among members for a scenario block (``mineral,
        stage, member, share, tonnes, demand_t, block_days``): in proportion to
        each member's expected shortfall; per member its own stock.
    marginal_value_usd_per_usd
        ``λ``: expected yearly cost saved per extra US$ of budget.
    frontier
        ``budget_usd, spent_usd, expected_cost_usd_yr, expected_shortfall_t,
        avoided_t, marginal_value_usd_per_usd``.
    references
        ``reference, mineral, stage, budget_usd, price_usd_t, tonnes, member,
        apparent_consumption_t, days_of_consumption, source``: the DoD plans.
    promises
        Per scenario outcome × mineral × stage: the shortfall it had
        (``shortfall_t``, t over the disruption), the part the stock covers
        (``promised_avoided_t = min(L, S)``) and the disruption ``months``.
    method
        ``newsvendor`` or ``saa``.
    timings
        Seconds: ``montecarlo``, ``sizing``.
    """

    options: StockpileOptions
    distribution: ShortfallDistribution
    frame: pd.DataFrame
    left_out: pd.DataFrame
    allocation: pd.DataFrame
    marginal_value_usd_per_usd: float
    frontier: pd.DataFrame
    references: pd.DataFrame
    promises: pd.DataFrame
    method: str
    timings: dict[str, float] = field(default_factory=dict)

    def scenario_block(self) -> list[dict[str, Any]]:
        """The ``response.stockpiles`` entries of the sized stock (days of ``demand_t``).

        ``days = tonnes × 365 / demand_t`` of each member's domestic use in the
        network of the distribution's year, so that ``scenario run``'s
        ``stock_t = days / 365 × demand_t × 12 / months`` releases exactly the
        sized tonnes over the disruption.
        """
        a = self.allocation[self.allocation["tonnes"] > 0]
        return [
            {
                "member": str(member),
                "mineral": str(mineral),
                "stage": str(stage),
                "days": float(days),
                "release": "pro_rata",
            }
            for member, mineral, stage, days in zip(
                a["member"], a["mineral"], a["stage"], a["block_days"].astype(float), strict=True
            )
        ]


def _items(dist: ShortfallDistribution, reserve: str) -> tuple[pd.DataFrame, FloatArray]:
    rows = dist.rows.rename(columns={"mineral_id": "mineral"})
    if reserve == "member":
        return rows[["mineral", "stage", "member"]].reset_index(drop=True), dist.samples
    keys = rows[["mineral", "stage"]].drop_duplicates().reset_index(drop=True)
    pos = pd.MultiIndex.from_frame(keys).get_indexer(
        pd.MultiIndex.from_frame(rows[["mineral", "stage"]])
    )
    agg = np.zeros((dist.samples.shape[0], len(keys)))
    for j in range(len(keys)):
        agg[:, j] = dist.samples[:, pos == j].sum(axis=1)
    return keys.assign(member=ZONE), agg


def _consumption(balance: pd.DataFrame | None, items: pd.DataFrame, year: int) -> pd.DataFrame:
    """Apparent consumption of each item's member × mineral × stage, latest year up to ``year``.

    ``apparent_consumption_t`` is the balance's point value, else the midpoint
    of finite bounds (``consumption_basis`` says which); the bounds are kept.
    """
    cols = ["apparent_consumption_t", "apparent_consumption_min_t", "apparent_consumption_max_t"]
    out = pd.DataFrame(index=items.index, columns=[*cols, "consumption_year"], dtype="float64")
    out["consumption_basis"] = None
    if balance is None or balance.empty:
        return out
    b = balance[balance["year"] <= year]
    has = b[cols].notna().any(axis=1)
    b = b[has].sort_values("year").groupby(["mineral_id", "stage", "member"]).last()
    key = pd.MultiIndex.from_frame(items[["mineral", "stage", "member"]])
    got = b.reindex(key)
    for c in cols:
        out[c] = pd.to_numeric(got[c], errors="coerce").to_numpy(dtype=float)
    out["consumption_year"] = pd.to_numeric(got["year"], errors="coerce").to_numpy(dtype=float)
    point = out["apparent_consumption_t"]
    lo, hi = out["apparent_consumption_min_t"], out["apparent_consumption_max_t"]
    mid = (lo.clip(lower=0.0) + hi) / 2.0
    use_mid = point.isna() & lo.notna() & hi.notna()
    out["apparent_consumption_t"] = point.where(~use_mid, mid)
    basis = pd.Series(None, index=out.index, dtype=object)
    basis[point.notna()] = "point"
    basis[use_mid] = [
        f"midpoint of the interval [{a:,.0f}, {z:,.0f}] t"
        for a, z in zip(lo[use_mid], hi[use_mid], strict=True)
    ]
    basis[point.isna() & ~use_mid & lo.notna()] = "interval without an upper bound"
    out["consumption_basis"] = basis
    return out


def _days(tonnes: FloatArray | pd.Series, consumption: pd.Series) -> pd.Series:
    c = pd.to_numeric(consumption, errors="coerce")
    return (pd.Series(np.asarray(tonnes, dtype=float), index=c.index) * DAYS_PER_YEAR / c).where(
        c > 0
    )


def size_stockpile(
    distribution: ShortfallDistribution,
    prices: pd.DataFrame,
    consumption: pd.DataFrame | None,
    *,
    options: StockpileOptions | None = None,
) -> StockpileResult:
    """Size the stock (t) of each priced mineral × stage [× member] against ``distribution``.

    Parameters
    ----------
    distribution
        The shortfall outcomes (:class:`ShortfallDistribution`).
    prices
        :func:`stock_prices` (``mineral_id, stage, price_usd_t, price_source``…).
    consumption
        The material balance (:func:`friendshore.metrics.balance.material_balance`):
        ``mineral_id, stage, year, member`` (``'zone'`` row included),
        ``apparent_consumption_t`` and its bounds; ``None`` leaves days of cover empty.
    options
        :class:`StockpileOptions` (default: US$12 bn, zone reserve, newsvendor).

    Returns
    -------
    StockpileResult
        See :class:`StockpileResult`.

    Notes
    -----
    Expected yearly cost ``Σ r p S + E[c (L − S)+]`` under ``Σ p S ≤ B``
    (module docstring); ``days_of_cover = tonnes / (apparent consumption /
    365)`` of the member's (or the zone's) consumption in the latest balance
    year up to the distribution's year. Items whose mineral × stage has no price
    are left out with the reason; items without any shortfall get no stock.
    """
    opts = options or StockpileOptions()
    start = time.perf_counter()
    items, losses = _items(distribution, opts.reserve)
    price_of = prices.set_index(["mineral_id", "stage"])
    key = list(zip(items["mineral"], items["stage"], strict=True))
    priced = np.array([k in price_of.index for k in key], dtype=bool)
    any_loss = (losses > 0).any(axis=0)
    left_out = items[~priced & any_loss].assign(
        reason=lambda f: (
            "no price of " + f["mineral"] + " at the " + f["stage"] + " stage in the prices table"
        )
    )
    items = items[priced].reset_index(drop=True)
    losses = losses[:, priced]
    meta = price_of.loc[[k for k, ok in zip(key, priced, strict=True) if ok]].reset_index(drop=True)
    price = meta["price_usd_t"].to_numpy(dtype=float)
    user = opts.shortfall_cost_usd_t or {}
    unit_cost = np.array(
        [
            user.get(m, opts.shortfall_cost_multiple * p)
            for m, p in zip(items["mineral"], price, strict=True)
        ],
        dtype=float,
    )
    weights = distribution.weights
    budgets = opts.budgets()
    closed = solve_newsvendor(
        losses,
        weights,
        price,
        unit_cost,
        rate=opts.carrying_rate,
        budget=opts.budget_usd,
        budgets=budgets,
    )
    if opts.method == "saa":
        sol = solve_saa(
            losses, weights, price, unit_cost, rate=opts.carrying_rate, budget=opts.budget_usd
        )
        sol = replace(sol, frontier=closed.frontier)
    else:
        sol = closed
    stock = np.where(
        sol.stock < 1e-9 * np.maximum(losses.max(axis=0, initial=0.0), 1.0), 0.0, sol.stock
    )
    lam = sol.marginal_value
    after = np.maximum(losses - stock[None, :], 0.0)
    frame = items.copy()
    frame["price_usd_t"] = price
    frame["price_source"] = meta["price_source"].to_numpy()
    frame["price_year"] = meta["price_year"].to_numpy()
    frame["tonnes_basis"] = meta["tonnes_basis"].to_numpy() if "tonnes_basis" in meta else None
    frame["basis_note"] = meta["basis_note"].to_numpy() if "basis_note" in meta else None
    frame["tonnes"] = stock
    frame["purchase_cost_usd"] = stock * price
    frame["carrying_cost_usd_yr"] = opts.carrying_rate * stock * price
    frame["shortfall_cost_usd_t"] = unit_cost
    frame["critical_fractile"] = np.clip(
        1.0 - (opts.carrying_rate + lam) * price / unit_cost, 0.0, 1.0
    )
    frame["p_shortfall"] = weights @ (losses > 0)
    frame["expected_shortfall_t"] = weights @ losses
    frame["expected_shortfall_after_t"] = weights @ after
    frame["expected_shortfall_avoided_t"] = (
        frame["expected_shortfall_t"] - frame["expected_shortfall_after_t"]
    )
    frame["expected_shortfall_cost_usd_yr"] = (weights @ after) * unit_cost
    cons = _consumption(consumption, frame, distribution.year)
    frame["apparent_consumption_t"] = cons["apparent_consumption_t"]
    frame["consumption_year"] = cons["consumption_year"].astype("Int64")
    frame["consumption_basis"] = cons["consumption_basis"]
    frame["days_of_cover"] = _days(stock, cons["apparent_consumption_t"])
    frame["days_of_cover_min"] = _days(stock, cons["apparent_consumption_max_t"])
    frame["days_of_cover_max"] = _days(stock, cons["apparent_consumption_min_t"])
    frame["jogmec_60d_t"] = JOGMEC_DAYS / DAYS_PER_YEAR * cons["apparent_consumption_t"]
    frame["jogmec_60d_cost_usd"] = frame["jogmec_60d_t"] * price
    frame = frame.sort_values(["mineral", "stage", "member"], ignore_index=True)[FRAME_COLUMNS]
    allocation = _allocation(distribution, frame, consumption, opts.reserve)
    promises = _promises(distribution, frame, opts.reserve)
    references = _references(prices, consumption, distribution.year)
    return StockpileResult(
        options=opts,
        distribution=distribution,
        frame=frame,
        left_out=left_out.reset_index(drop=True),
        allocation=allocation,
        marginal_value_usd_per_usd=float(lam),
        frontier=sol.frontier,
        references=references,
        promises=promises,
        method=sol.method,
        timings={
            "montecarlo": distribution.montecarlo_seconds,
            "sizing": time.perf_counter() - start,
        },
    )


def _allocation(
    dist: ShortfallDistribution, frame: pd.DataFrame, balance: pd.DataFrame | None, reserve: str
) -> pd.DataFrame:
    rows = dist.rows.rename(columns={"mineral_id": "mineral"}).copy()
    rows["expected_t"] = dist.weights @ dist.samples
    if reserve == "member":
        out = rows.merge(
            frame[["mineral", "stage", "member", "tonnes"]], on=["mineral", "stage", "member"]
        )
        out["share"] = 1.0
    else:
        usable = rows[rows["demand_t"] > 0]
        total = usable.groupby(["mineral", "stage"])["expected_t"].transform("sum")
        usable = usable.assign(share=(usable["expected_t"] / total).where(total > 0, 0.0))
        out = usable.merge(frame[["mineral", "stage", "tonnes"]], on=["mineral", "stage"])
        out["tonnes"] = out["tonnes"] * out["share"]
    out["block_days"] = (out["tonnes"] * DAYS_PER_YEAR / out["demand_t"]).where(
        out["demand_t"] > 0, 0.0
    )
    cons = _consumption(balance, out, dist.year)
    out["apparent_consumption_t"] = cons["apparent_consumption_t"]
    out["days_of_cover"] = _days(
        out["tonnes"].to_numpy(dtype=float), cons["apparent_consumption_t"]
    )
    cols = [
        "mineral",
        "stage",
        "member",
        "share",
        "tonnes",
        "demand_t",
        "block_days",
        "apparent_consumption_t",
        "days_of_cover",
    ]
    return out[out["tonnes"] > 0][cols].sort_values(
        ["mineral", "stage", "member"], ignore_index=True
    )


def _promises(dist: ShortfallDistribution, frame: pd.DataFrame, reserve: str) -> pd.DataFrame:
    scen = dist.outcomes.index[dist.outcomes["source"] == "scenario"]
    if not len(scen):
        return pd.DataFrame(
            columns=[
                "scenario",
                "mineral",
                "stage",
                "member",
                "months",
                "shortfall_t",
                "promised_avoided_t",
            ]
        )
    items, losses = _items(dist, reserve)
    stock = (
        items.merge(
            frame[["mineral", "stage", "member", "tonnes"]],
            on=["mineral", "stage", "member"],
            how="left",
        )["tonnes"]
        .fillna(0.0)
        .to_numpy()
    )
    out = []
    months = dist.outcomes["months"].to_numpy(dtype=np.int64)
    for n in scen:
        for j in np.flatnonzero(losses[n] > 0):
            out.append(
                {
                    "scenario": dist.outcomes.at[n, "scenario"],
                    "mineral": items.at[j, "mineral"],
                    "stage": items.at[j, "stage"],
                    "member": items.at[j, "member"],
                    "months": int(months[n]),
                    "shortfall_t": float(losses[n, j]),
                    "promised_avoided_t": float(min(losses[n, j], stock[j])),
                }
            )
    return pd.DataFrame(out)


def _us_consumption(
    balance: pd.DataFrame | None, mineral: str, stage: str, year: int
) -> tuple[float, float, str | None]:
    """U.S. apparent consumption (t/yr): the stage's point value, else a point of another stage."""
    for st in (stage, *(s for s in ("mining", "processing", "components") if s != stage)):
        item = pd.DataFrame({"mineral": [mineral], "stage": [st], "member": ["USA"]})
        cons = _consumption(balance, item, year)
        if cons["consumption_basis"].iloc[0] == "point":
            how = "point" if st == stage else f"point of the {st} stage row (USGS, all forms)"
            return (
                float(cons["apparent_consumption_t"].iloc[0]),
                float(cons["consumption_year"].iloc[0]),
                how,
            )
    return math.nan, math.nan, None


def _references(prices: pd.DataFrame, balance: pd.DataFrame | None, year: int) -> pd.DataFrame:
    rows = []
    p = prices.set_index(["mineral_id", "stage"])
    price_of = p["price_usd_t"].astype(float).to_dict()
    for mineral, stage, budget, source in DOD_REFERENCES:
        price = float(price_of.get((mineral, stage), math.nan))
        tonnes = budget / price if price > 0 else math.nan
        c, cons_year, basis = _us_consumption(balance, mineral, stage, year)
        rows.append(
            {
                "reference": f"US DoD {mineral}",
                "mineral": mineral,
                "stage": stage,
                "budget_usd": budget,
                "price_usd_t": price,
                "price_source": p.at[(mineral, stage), "price_source"]
                if (mineral, stage) in p.index
                else None,
                "tonnes": tonnes,
                "member": "USA",
                "apparent_consumption_t": c,
                "consumption_year": cons_year,
                "consumption_basis": basis,
                "days_of_consumption": tonnes * DAYS_PER_YEAR / c if c > 0 else math.nan,
                "source": source,
            }
        )
    return pd.DataFrame(rows)


# --- the whole run -------------------------------------------------------------------------------


def plan_stockpile(
    supply: SupplyNetwork,
    zone: Zone,
    prices: pd.DataFrame,
    *,
    options: StockpileOptions | None = None,
    balance: pd.DataFrame | None = None,
    concordance: pd.DataFrame | None = None,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    progress: Callable[[int], None] | None = None,
) -> StockpileResult:
    """Build the distribution (scenarios, Monte Carlo on the priced minerals) and size the stock.

    Parameters
    ----------
    supply, zone
        The supply network (store) and the zone.
    prices
        The annual ``prices`` table (:func:`friendshore.data.queries.annual_prices`).
    options
        :class:`StockpileOptions`.
    balance
        The material balance (default: :func:`~friendshore.metrics.balance.material_balance`
        of ``zone``, with USGS's U.S. balance where the zone has the USA).
    concordance
        HS concordance for product → contained prices (default: the bundled one).
    backend, client, progress
        Monte Carlo backend, Dask client and a callback with each chunk's draws.

    Raises
    ------
    ValidationError
        For bad options; ``InputError`` for an unknown scenario id.
    """
    from friendshore.data.catalog import read_hs_concordance  # noqa: PLC0415
    from friendshore.scenarios.model import load_scenario  # noqa: PLC0415
    from friendshore.scenarios.run import run_scenario  # noqa: PLC0415

    opts = options or StockpileOptions()
    loaded = [(load_scenario(name), w) for name, w in opts.scenarios]
    if opts.year is not None:
        year = opts.year
    elif loaded:
        year = loaded[0][0].year
    else:
        year = int(supply.trade["year"].max())
    if concordance is None:
        concordance = read_hs_concordance()
    layers = ScenarioNetwork.from_supply(supply, year).layers
    priced = stock_prices(prices, layers=layers, concordance=concordance)
    dist: ShortfallDistribution | None = None
    if loaded:
        dist = scenario_distribution([(run_scenario(supply, s, zone), w) for s, w in loaded])
    if opts.n_draws > 0:
        minerals = sorted(set(priced["mineral_id"]) & set(layers["mineral_id"]))
        mc = montecarlo_distribution(
            supply,
            zone,
            draws=opts.n_draws,
            seed=opts.seed,
            year=year,
            minerals=minerals,
            months=opts.months,
            backend=backend,
            client=client,
            progress=progress,
        )
        dist = mc if dist is None else combine_distributions(dist, mc)
    assert dist is not None
    if balance is None:
        balance = zone_balance(supply, zone)
    return size_stockpile(dist, priced, balance, options=opts)


def zone_balance(supply: SupplyNetwork, zone: Zone) -> pd.DataFrame:
    """The zone's material balance with USGS's U.S. balance where the zone has the USA."""
    from friendshore.metrics.balance import material_balance  # noqa: PLC0415
    from friendshore.metrics.us_published import us_balance_of  # noqa: PLC0415

    us = (
        us_balance_of(supply.salient)
        if "USA" in zone.members and not supply.salient.empty
        else None
    )
    return material_balance(supply, zone, us=us)


def stocked_scenario(scenario: Scenario, result: StockpileResult) -> Scenario:
    """``scenario`` with the sized stock added to its ``response.stockpiles``."""
    from friendshore.scenarios.model import Stockpile  # noqa: PLC0415

    extra = [Stockpile.model_validate(entry) for entry in result.scenario_block()]
    response = scenario.response.model_copy(
        update={"stockpiles": [*scenario.response.stockpiles, *extra]}
    )
    return scenario.model_copy(update={"response": response})


def stockpile_payload(result: StockpileResult) -> dict[str, Any]:
    """Return the JSON document of a sizing (tonnes, US$, days; docs/cli.md).

    Keys: ``method``, ``reserve``, ``budget_usd``, ``carrying_rate``,
    ``shortfall_cost_multiple``, ``draws``, ``seed``, ``scenarios``, ``year``,
    ``distribution`` (outcomes and their weights, summarised), ``totals``,
    ``marginal_value_usd_per_usd``, ``records`` (:data:`COLUMNS`),
    ``left_out``, ``allocation``, ``frontier``, ``references`` (60 days and
    the DoD plans), ``scenario_block``, ``timings`` and ``columns`` (unit and
    description of each record key).
    """
    o = result.options
    f = result.frame
    outcomes = result.distribution.outcomes
    return {
        "method": result.method,
        "reserve": o.reserve,
        "budget_usd": o.budget_usd,
        "carrying_rate": o.carrying_rate,
        "shortfall_cost_multiple": o.shortfall_cost_multiple,
        "draws": result.distribution.draws,
        "seed": o.seed,
        "scenarios": [{"scenario": s, "weight": w} for s, w in o.scenarios],
        "year": result.distribution.year,
        "distribution": {
            "outcomes": len(outcomes),
            "probability_of_no_outcome": plain(
                max(0.0, 1.0 - float(result.distribution.weights.sum()))
            ),
            "bases": sorted({str(b) for b in outcomes["basis"]}),
        },
        "totals": {
            "tonnes": plain(float(f["tonnes"].sum())),
            "purchase_cost_usd": plain(float(f["purchase_cost_usd"].sum())),
            "carrying_cost_usd_yr": plain(float(f["carrying_cost_usd_yr"].sum())),
            "expected_shortfall_t": plain(float(f["expected_shortfall_t"].sum())),
            "expected_shortfall_avoided_t": plain(float(f["expected_shortfall_avoided_t"].sum())),
            "jogmec_60d_cost_usd": plain(float(f["jogmec_60d_cost_usd"].sum(min_count=1))),
        },
        "marginal_value_usd_per_usd": result.marginal_value_usd_per_usd,
        "records": frame_records(f),
        "left_out": frame_records(result.left_out),
        "allocation": frame_records(result.allocation),
        "frontier": frame_records(result.frontier),
        "references": frame_records(result.references),
        "scenario_block": result.scenario_block(),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "columns": {k: {"unit": u, "description": d} for k, (u, d) in COLUMNS.items()},
    }
