"""The self-contained, offline HTML report of a scenario run, and its figures.

:func:`scenario_figures` draws, from a :class:`~friendshore.scenarios.run.ScenarioResult`,
each member's loss split into what each route recovered and the shortfall left
(tonnes), and the zone's sources of recovery per mineral and stage (share of the
loss). :func:`write_scenario_report` writes them with the scenario's description,
its assumptions and the records table into one ``index.html`` built like the
assessment report (:mod:`friendshore.report.html`): plotly.js inlined once, a
Content-Security-Policy that forbids loading anything, an atomic write.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version
from plotly.subplots import make_subplots

from friendshore.data.catalog import read_minerals
from friendshore.report.figures import OKABE_ITO
from friendshore.report.html import (
    REPORT_NAME,
    Formatter,
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
from friendshore.scenarios.run import ScenarioResult

__all__ = [
    "ESTIMATED_PATTERN",
    "PARTS",
    "render_scenario_report",
    "scenario_figures",
    "write_scenario_report",
]

#: The stacked parts of a loss, in drawing order: column, legend name, colour.
PARTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("recovered_rerouting_t", "re-routing", OKABE_ITO["sky_blue"]),
    ("recovered_sharing_t", "zone sharing", OKABE_ITO["bluish_green"]),
    ("recovered_stockpile_t", "stockpile", OKABE_ITO["yellow"]),
    ("shortfall_t", "shortfall", OKABE_ITO["vermillion"]),
)
#: Fill pattern of bars whose figures are estimated rather than observed.
ESTIMATED_PATTERN: Final = "/"
LOSS_COLOUR: Final = OKABE_ITO["black"]
_ROW_PX: Final = 34


def _names() -> dict[str, str]:
    minerals = read_minerals()
    return dict(zip(minerals["mineral_id"], minerals["name"], strict=True))


def _layer_label(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.Series:
    """'Graphite (natural) · mining', with ' (estimated)' where the figures are estimated."""
    mineral = frame["mineral"].map(lambda m: names.get(str(m), str(m)))
    label = mineral + " · " + frame["stage"].astype(str)
    return label.where(~frame["estimated"].astype(bool), label + " (estimated)")


def _hit(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["lost_t"] > 0]


def shortfall_by_member(result: ScenarioResult, *, names: Mapping[str, str]) -> go.Figure:
    """Each member's loss (t/yr): recovered by route and the shortfall left, per mineral × stage.

    One panel per mineral × stage in which a member loses supply (quantities
    differ by orders of magnitude between minerals, so each panel has its own
    tonnes axis). The stacked bars of a member add up to its ``lost_t``; a black
    tick marks the loss. Estimated figures are hatched and their panels say so.
    """
    rec = _hit(result.records).assign(label=lambda f: _layer_label(f, names))
    layers = rec[["mineral", "stage", "label"]].drop_duplicates().reset_index(drop=True)
    heights = [max(1, int((rec["label"] == lab).sum())) for lab in layers["label"]]
    fig = make_subplots(
        rows=max(1, len(layers)),
        cols=1,
        subplot_titles=list(layers["label"]),
        row_heights=heights or None,
        vertical_spacing=min(0.12, 0.5 / max(1, len(layers))),
    )
    for row, layer in enumerate(layers.itertuples(index=False), start=1):
        part = rec[rec["label"] == layer.label].sort_values("member", ascending=False)
        pattern = [ESTIMATED_PATTERN if e else "" for e in part["estimated"]]
        custom = part[["member", "lost_t", "baseline_t", "shortfall_share"]].to_numpy(dtype=object)
        for col, name, colour in PARTS:
            fig.add_trace(
                go.Bar(
                    x=part[col],
                    y=part["member"],
                    orientation="h",
                    name=name,
                    legendgroup=name,
                    showlegend=row == 1,
                    marker={"color": colour, "pattern": {"shape": pattern}},
                    customdata=custom,
                    meta=[layer.mineral, layer.stage],
                    hovertemplate=(
                        f"%{{customdata[0]}} · {html.escape(str(layer.label))}<br>{name}: "
                        "%{x:,.1f} t of a loss of %{customdata[1]:,.1f} t "
                        "(baseline %{customdata[2]:,.1f} t)<extra></extra>"
                    ),
                ),
                row=row,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=part["lost_t"],
                y=part["member"],
                mode="markers",
                name="loss",
                legendgroup="loss",
                showlegend=row == 1,
                marker={"symbol": "line-ns-open", "size": 18, "color": LOSS_COLOUR},
                meta=[layer.mineral, layer.stage],
                hovertemplate="%{y}: loss %{x:,.1f} t<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(title_text="t/yr", row=row, col=1, rangemode="tozero")
    fig.update_layout(barmode="stack")
    scenario = result.scenario
    title = (
        f"{html.escape(scenario.name)}: each member's loss and how it is covered (t/yr)"
        f"<br><sup>Baseline {scenario.year} (CEPII BACI trade, USGS/IEA production); "
        f"{result.months}-month disruption; hatched: estimated</sup>"
    )
    height = 140 + sum(_ROW_PX * h + 70 for h in heights)
    return figure_layout(fig, title, height=height)


def zone_recovery_sources(result: ScenarioResult, *, names: Mapping[str, str]) -> go.Figure:
    """The zone's sources of recovery per mineral × stage, as shares (%) of the zone's loss.

    One stacked bar per mineral × stage with a loss: re-routing, zone sharing,
    stockpiles and the shortfall left, adding up to 100% of the zone's ``lost_t``
    (tonnes in the hover). Estimated rows are hatched.
    """
    tot = _hit(result.zone_totals).assign(label=lambda f: _layer_label(f, names))
    tot = tot.sort_values("lost_t", ascending=True)
    pattern = [ESTIMATED_PATTERN if e else "" for e in tot["estimated"]]
    fig = go.Figure()
    for col, name, colour in PARTS:
        share = tot[col] / tot["lost_t"]
        fig.add_trace(
            go.Bar(
                x=share,
                y=tot["label"],
                orientation="h",
                name=name,
                marker={"color": colour, "pattern": {"shape": pattern}},
                customdata=tot[[col, "lost_t"]].to_numpy(dtype=float),
                hovertemplate=(
                    f"%{{y}}<br>{name}: %{{x:.1%}} of the zone's loss "
                    "(%{customdata[0]:,.1f} of %{customdata[1]:,.1f} t)<extra></extra>"
                ),
            )
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title_text="share of the zone's loss (%)", tickformat=".0%", range=[0, 1])
    scenario = result.scenario
    title = (
        f"{html.escape(scenario.name)}: sources of recovery for the zone"
        f"<br><sup>Share of the members' combined loss per mineral and stage; baseline "
        f"{scenario.year}; hatched: estimated</sup>"
    )
    return figure_layout(fig, title, height=160 + _ROW_PX * max(2, len(tot)))


def scenario_figures(result: ScenarioResult) -> list[go.Figure]:
    """Return the figures of a scenario run: shortfall by member, the zone's sources of recovery.

    Returns
    -------
    list of plotly.graph_objects.Figure
        ``[shortfall_by_member, zone_recovery_sources]`` (tonnes a year, and
        shares of the zone's loss); empty when no member loses supply.
    """
    if _hit(result.records).empty:
        return []
    names = _names()
    return [
        shortfall_by_member(result, names=names),
        zone_recovery_sources(result, names=names),
    ]


# --- HTML --------------------------------------------------------------------------------


def _tonnes(value: Any) -> str:
    text = format_number(value)
    if text in ("0", "-0") and float(value) != 0.0:
        return f"{float(value):,.2f}"  # small tonnages (gallium, germanium) stay visible
    return text


def _months(value: Any) -> str:
    return "n/a" if format_text(value) == "" else f"{float(value):,.1f}"


def _yes(value: Any) -> str:
    return "estimated" if bool(value) else "observed"


_RECORD_COLUMNS: Final[dict[str, tuple[str, Formatter]]] = {
    "member": ("member", format_text),
    "label": ("mineral · stage", format_text),
    "baseline_t": ("baseline (t)", _tonnes),
    "lost_t": ("lost (t)", _tonnes),
    "demand_reduction_t": ("demand response (t)", _tonnes),
    "recovered_rerouting_t": ("re-routing (t)", _tonnes),
    "recovered_sharing_t": ("zone sharing (t)", _tonnes),
    "recovered_stockpile_t": ("stockpile (t)", _tonnes),
    "shortfall_t": ("shortfall (t)", _tonnes),
    "shortfall_share": ("shortfall share", format_share),
    "months_of_cover": ("months of cover", _months),
    "n1_coverage": ("N-1 coverage", format_share),
    "estimated": ("figures", _yes),
}
_NUMERIC: Final = frozenset(_RECORD_COLUMNS) - {"member", "label", "estimated"}


def _assumptions(result: ScenarioResult) -> str:
    scenario = result.scenario
    response = scenario.response
    stocks = (
        "; ".join(
            f"{s.member} {s.mineral}: {s.days:g} days ({s.release})" for s in response.stockpiles
        )
        or "none"
    )
    items = [
        f"Baseline: the trade network and production of {scenario.year} (the year before the "
        "measure unless the scenario sets it): CEPII BACI flows in tonnes, contained content "
        "where a factor is documented, USGS or IEA production.",
        f"Disruption of {result.months} months; quantities are tonnes a year during it.",
        "Propagation: the direct loss, then the proportional-allocation cascade "
        "(Marchand et al. 2016) iterated to convergence, ore to processed.",
        f"Re-routing: {'on' if response.rerouting else 'off'}; a non-restricting supplier "
        f"outside the zone can send up to {result.spare_fraction:.0%} of its exports to "
        "non-members (ASSUMPTION) to members it already supplies.",
        f"Zone sharing: {'on' if response.sharing else 'off'}; members divert exports to "
        "non-members to other members.",
        f"Stockpiles: {stocks}.",
        "Demand response: none (demand elasticity 0)."
        if response.demand_elasticity == 0
        else f"Demand response: elasticity {response.demand_elasticity:g}, price rise "
        + (
            f"{response.price_change:.0%} (given)"
            if response.price_change is not None
            else "derived from the world's loss share (supply fixed in the short run)"
        )
        + "; the fall in consumption is taken off each member's loss before the routes.",
        "The response minimises the largest shortfall share among members, then the total "
        "shortfall (HiGHS).",
        "'Estimated' marks losses from a documented estimate (for example production shares "
        "and apparent consumption) where the trade data has no usable rows; hatched in the "
        "figures.",
    ]
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _records_section(result: ScenarioResult, names: Mapping[str, str]) -> str:
    rec = result.records.assign(label=lambda f: _layer_label(f, names))
    hit = _hit(rec)
    parts = []
    if hit.empty:
        parts.append(
            f"<p>No member of {html.escape(result.zone.name)} loses supply in this scenario.</p>"
        )
    else:
        parts.append(
            "<p>Members that lose supply, per mineral and stage: the loss after the cascade, "
            "what each route recovered and the shortfall left (t/yr). Shortfall share is of "
            "the member's baseline supply; N-1 coverage is (supply − largest supplier) / "
            "demand.</p>"
        )
        parts.append(html_table(hit, _RECORD_COLUMNS, numeric=_NUMERIC))
        totals = _hit(result.zone_totals).assign(
            member="zone", label=lambda f: _layer_label(f, names)
        )
        parts.append("<h3>Zone totals</h3>")
        columns = {
            k: v for k, v in _RECORD_COLUMNS.items() if k not in ("months_of_cover", "n1_coverage")
        }
        parts.append(html_table(totals, columns, numeric=_NUMERIC))
    parts.append(
        f"<details><summary>Every record ({len(rec)} member × mineral × stage rows with "
        f"supply or a loss)</summary>{html_table(rec, _RECORD_COLUMNS, numeric=_NUMERIC)}"
        "</details>"
    )
    return "\n".join(parts)


def render_scenario_report(result: ScenarioResult, *, generated: datetime | None = None) -> str:
    """Return the report of a scenario run as one self-contained HTML document."""
    generated = generated or datetime.now(UTC)
    names = _names()
    scenario = result.scenario
    zone = result.zone
    title = f"Scenario: {scenario.name}"
    figs = scenario_figures(result)
    if figs:
        figure_part = "\n".join(
            [
                '<section id="shortfall"><h2>Shortfall by member and mineral</h2>',
                figure_html(
                    figs[0],
                    "fig-shortfall",
                    "Each member's loss (t/yr) split into what re-routing, zone sharing and "
                    "stockpiles recovered and the shortfall left; the black tick is the loss. "
                    "Hatched bars are estimated, not observed.",
                ),
                '</section><section id="recovery"><h2>Sources of recovery for the zone</h2>',
                figure_html(
                    figs[1],
                    "fig-recovery",
                    "Share of the members' combined loss recovered by each route and left "
                    "short, per mineral and stage (tonnes in the hover).",
                ),
                "</section>",
            ]
        )
    else:
        figure_part = '<section id="shortfall"><p>No loss to plot.</p></section>'
    description = (
        f"<p>{html.escape(scenario.description)}</p>" if scenario.description.strip() else ""
    )
    meta = (
        f"{scenario.id} · in force {scenario.date:%Y-%m-%d} · baseline year {scenario.year} · "
        f"zone {zone.name} ({', '.join(zone.members)}) · generated "
        f"{generated:%Y-%m-%d %H:%M} UTC by friendshore {package_version()}"
    )
    body = f"""
<main>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{html.escape(meta)}</p>
</header>
<section id="scenario">
<h2>The measure</h2>
{description}
<p><strong>Shocks</strong>: {html.escape(scenario.measure())}.</p>
<p><strong>Source</strong>: {html.escape(scenario.source)}</p>
</section>
<section id="assumptions">
<h2>Assumptions</h2>
{_assumptions(result)}
</section>
<section id="records">
<h2>Losses, recovery and shortfall</h2>
{_records_section(result, names)}
</section>
{figure_part}
<section id="attribution">
<h2>Data attribution and licences</h2>
{attribution_html()}
</section>
<footer>{
        html.escape(
            f"friendshore {package_version()} · plotly.js {get_plotlyjs_version()} · "
            f"generated {generated:%Y-%m-%d} · code Apache-2.0, data under the licences above"
        )
    }</footer>
</main>"""
    return html_document(title, body)


def write_scenario_report(result: ScenarioResult, out_dir: Path) -> Path:
    """Write the self-contained HTML report of a scenario run to ``out_dir/index.html``.

    Written atomically (a temporary file renamed over ``index.html``); nothing
    else is written. Returns the path of ``index.html``.
    """
    return write_html(render_scenario_report(result), out_dir, name=REPORT_NAME)
