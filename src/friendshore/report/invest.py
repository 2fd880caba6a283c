"""Figures and the offline HTML report of the investment planner.

:func:`frontier_figure` draws the efficient frontier (objective against budget,
from :func:`friendshore.invest.results.efficient_frontier`);
:func:`portfolio_figure` draws a chosen portfolio: capex per member split by
mineral (USD) and China's share of zone supply before and after per mineral ×
stage. :func:`write_invest_report` writes them into one self-contained HTML
file built like the other reports (:mod:`friendshore.report.html`): plotly.js
inlined once, a Content-Security-Policy that forbids loading anything, an
atomic write.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version
from plotly.subplots import make_subplots

from friendshore.invest.results import PortfolioResult
from friendshore.report.figures import CHINA_COLOUR, MEMBER_COLOURS, OKABE_ITO, ZONE_COLOUR
from friendshore.report.html import (
    attribution_html,
    figure_html,
    figure_layout,
    format_number,
    format_share,
    format_text,
    html_document,
    html_table,
    package_version,
    write_html,
)

__all__ = ["frontier_figure", "portfolio_figure", "render_invest_report", "write_invest_report"]

#: Axis title of each objective.
OBJECTIVE_LABELS: Final[dict[str, str]] = {
    "dependence": "Σ supply risk × China share of zone supply",
    "shortfall": "expected Σ shortfall shares",
}
_MINERAL_COLOURS: Final[tuple[str, ...]] = tuple(OKABE_ITO.values())


def frontier_figure(frontier: pd.DataFrame, *, objective: str = "dependence") -> go.Figure:
    """The efficient frontier: best objective (dimensionless) against total budget (million USD).

    One point per budget of ``frontier`` (the output of
    :func:`~friendshore.invest.results.efficient_frontier`), joined by steps;
    the hover names the projects chosen and their capex. The horizontal line is
    the objective with nothing built.
    """
    budget_musd = frontier["budget_usd"] / 1e6
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=budget_musd,
            y=frontier["objective"],
            mode="lines+markers",
            line={"shape": "hv", "color": ZONE_COLOUR},
            name="best portfolio",
            customdata=frontier[["capex_usd", "n_projects", "projects"]].to_numpy(dtype=object),
            hovertemplate=(
                "budget %{x:,.0f} MUSD<br>objective %{y:.4g}<br>"
                "%{customdata[1]} projects, capex %{customdata[0]:,.0f} USD<br>"
                "%{customdata[2]}<extra></extra>"
            ),
        )
    )
    if len(frontier):
        fig.add_hline(
            y=float(frontier["objective_before"].iloc[0]),
            line={"dash": "dot", "color": CHINA_COLOUR},
            annotation_text="nothing built",
        )
    fig.update_xaxes(title_text="total budget (million USD)", rangemode="tozero")
    fig.update_yaxes(title_text=OBJECTIVE_LABELS.get(objective, objective), rangemode="tozero")
    title = (
        "Efficient frontier: the least dependence each budget can buy"
        "<br><sup>Each point solves the portfolio MILP (HiGHS) at that budget; "
        "more budget never makes the objective worse</sup>"
    )
    return figure_layout(fig, title, height=460)


def portfolio_figure(result: PortfolioResult) -> go.Figure:
    """A chosen portfolio: capex per member by mineral (million USD); China share before/after.

    Left: stacked bars of the chosen capex per zone member, one colour per
    mineral. Right: China's share of zone supply (0–100%) per mineral × stage
    before and after the portfolio, where the assessment can give it.
    """
    chosen = result.chosen
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("capex per member (million USD)", "China share of zone supply"),
        horizontal_spacing=0.18,
    )
    members = list(result.by_member["member"])
    for i, mineral in enumerate(sorted(chosen["mineral"].unique())):
        part = chosen[chosen["mineral"] == mineral].groupby("member")["capex_usd"].sum()
        fig.add_trace(
            go.Bar(
                x=members,
                y=part.reindex(members).fillna(0.0) / 1e6,
                name=str(mineral),
                marker={"color": _MINERAL_COLOURS[i % len(_MINERAL_COLOURS)]},
                hovertemplate=f"%{{x}} · {html.escape(str(mineral))}: %{{y:,.0f}} MUSD"
                "<extra></extra>",
            ),
            row=1,
            col=1,
        )
    metrics = result.metrics.dropna(subset=["china_zone_supply_share_before"])
    labels = metrics["mineral"].astype(str) + " · " + metrics["stage"].astype(str)
    for col, name, colour, symbol in (
        ("china_zone_supply_share_before", "before", CHINA_COLOUR, "circle-open"),
        ("china_zone_supply_share_after", "after", MEMBER_COLOURS[2], "circle"),
    ):
        fig.add_trace(
            go.Scatter(
                x=metrics[col],
                y=labels,
                mode="markers",
                name=f"China share {name}",
                marker={"color": colour, "size": 12, "symbol": symbol},
                hovertemplate=f"%{{y}}: %{{x:.1%}} {name}<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(
        title_text="share of zone supply", tickformat=".0%", range=[0, 1], row=1, col=2
    )
    fig.update_yaxes(title_text="million USD", row=1, col=1)
    budget = result.problem.budget_usd
    budget_text = "no budget limit" if budget is None else f"budget {budget / 1e6:,.0f} MUSD"
    title = (
        f"Chosen portfolio: {len(chosen)} projects, {chosen['capex_usd'].sum() / 1e6:,.0f} MUSD "
        f"({budget_text}), output by {result.problem.year}"
        "<br><sup>China share of zone supply from the assessment metrics, base year "
        "with the new output added (imports from China displaced first)</sup>"
    )
    return figure_layout(fig, title, height=480)


_CHOSEN: Final = {
    "id": ("id", format_text),
    "name": ("name", format_text),
    "member": ("member", format_text),
    "mineral": ("mineral", format_text),
    "stage": ("stage", format_text),
    "capacity_t_per_year": ("capacity (t/yr)", format_number),
    "capex_usd": ("capex (USD)", format_number),
    "start_year": ("start", format_text),
    "online_year": ("output from", format_text),
    "jobs_construction": ("construction jobs", format_number),
    "jobs_operation": ("operating jobs", format_number),
}
_METRICS: Final = {
    "mineral": ("mineral", format_text),
    "stage": ("stage", format_text),
    "new_capacity_t": ("new capacity (t/yr)", format_number),
    "china_zone_supply_share_before": ("China share before", format_share),
    "china_zone_supply_share_after": ("after", format_share),
    "zone_self_sufficiency_before": ("self-sufficiency before", format_share),
    "zone_self_sufficiency_after": ("after", format_share),
    "note": ("why n/a", format_text),
}
_INPUTS: Final = {
    "mineral": ("mineral", format_text),
    "stage": ("stage", format_text),
    "year": ("year", format_text),
    "included": ("in the objective", format_text),
    "china_zone_supply_share": ("rival share used", format_share),
    "supply_risk": ("supply risk used", format_number),
    "note": ("basis, or why left out", format_text),
}


def objective_inputs(result: PortfolioResult) -> pd.DataFrame:
    """The ``dependence`` objective's minerals × stages: entered or left out, and why.

    Empty for the ``shortfall`` objective (its inputs are scenario shortfalls).
    """
    inputs = result.inputs
    if "included" not in inputs.columns:
        return pd.DataFrame(columns=list(_INPUTS))
    out = inputs.reindex(columns=list(_INPUTS)).copy()
    out["included"] = out["included"].map({True: "yes", False: "no"})
    return out.sort_values(["included", "mineral", "stage"], ascending=[False, True, True])


def render_invest_report(
    result: PortfolioResult,
    frontier: pd.DataFrame | None = None,
    *,
    generated: datetime | None = None,
) -> str:
    """Return the planner's report (portfolio, metrics, frontier) as one offline HTML page."""
    generated = generated or datetime.now(UTC)
    title = "Investment portfolio"
    parts = [
        '<section id="portfolio"><h2>Chosen projects</h2>',
        html_table(
            result.chosen,
            _CHOSEN,
            numeric=frozenset({"capacity_t_per_year", "capex_usd", "jobs_construction"}),
        ),
        figure_html(
            portfolio_figure(result),
            "fig-portfolio",
            "Capex of the chosen projects per member (million USD) and China's share of the "
            "zone's supply before and after, per mineral and stage.",
        ),
        "</section>",
        '<section id="metrics"><h2>Before and after</h2>',
        html_table(result.metrics, _METRICS, numeric=frozenset({"new_capacity_t"})),
        "</section>",
    ]
    inputs = objective_inputs(result)
    if not inputs.empty:
        parts += [
            '<section id="inputs"><h2>Minerals in the objective</h2>',
            "<p>Every mineral and stage of the pipeline: whether it entered the dependence "
            "objective, on which basis, and, if not, which input is missing. From the "
            "material balance: the zone's sourcing mix, the lower end of an interval where "
            "the data give one; where the zone's sourcing does not bound the rival's share "
            "above 0 (no zone trade, flows without a content factor), the rival's share of "
            "world production within the zone's interval, with supply risk for a zone that "
            "sources like the world.</p>",
            html_table(
                inputs, _INPUTS, numeric=frozenset({"china_zone_supply_share", "supply_risk"})
            ),
            "</section>",
        ]
    if frontier is not None:
        parts += [
            '<section id="frontier"><h2>Efficient frontier</h2>',
            figure_html(
                frontier_figure(frontier, objective=result.objective),
                "fig-frontier",
                "The best objective each total budget can buy (MILP solved per budget).",
            ),
            "</section>",
        ]
    meta = (
        f"objective {result.objective} · target year {result.problem.year} · "
        f"generated {generated:%Y-%m-%d %H:%M} UTC by friendshore {package_version()}"
    )
    body = (
        f"<main><header><h1>{html.escape(title)}</h1>"
        f'<p class="meta">{html.escape(meta)}</p></header>'
        + "\n".join(parts)
        + f'<section id="attribution"><h2>Data attribution and licences</h2>'
        f"{attribution_html()}</section>"
        f"<footer>{html.escape(f'plotly.js {get_plotlyjs_version()}')}</footer></main>"
    )
    return html_document(title, body)


def write_invest_report(
    result: PortfolioResult, path: Path, *, frontier: pd.DataFrame | None = None
) -> Path:
    """Write the planner's report to ``path`` (an ``.html`` file) atomically; return the path."""
    return write_html(render_invest_report(result, frontier), path.parent, name=path.name)
