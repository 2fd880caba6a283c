"""Plotly figures and the offline HTML report of a SMART run (USD).

:func:`smart_figures` draws, from a :class:`~friendshore.policy.smart.SmartResult`,
trade creation and trade diversion (split by the supplier group that gains or
loses: zone, rest of world, rival) per importing member and per mineral.
:func:`write_smart_report` writes them, the schedule, the assumptions and the
summary tables into one self-contained ``index.html`` built like the other
reports (:mod:`friendshore.report.html`): plotly.js inlined once, a
Content-Security-Policy that forbids loading anything, an atomic write.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from friendshore.data.catalog import read_minerals
from friendshore.policy.smart import SmartResult
from friendshore.report.figures import CHINA_COLOUR, OKABE_ITO, ZONE_COLOUR
from friendshore.report.html import (
    attribution_html,
    figure_html,
    figure_layout,
    format_number,
    format_text,
    html_document,
    html_table,
    package_version,
    write_html,
)

__all__ = ["PARTS", "render_smart_report", "smart_figures", "write_smart_report"]

#: The bars of each row: column, legend name, colour.
PARTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("creation_usd", "trade creation", OKABE_ITO["black"]),
    ("diversion_to_zone_usd", "diversion: zone suppliers", ZONE_COLOUR),
    ("diversion_to_rest_usd", "diversion: rest of world", OKABE_ITO["sky_blue"]),
    ("diversion_to_rival_usd", "diversion: rival", CHINA_COLOUR),
)
_ROW_PX: Final = 26
_MILLION: Final = 1e6


def _mineral_names() -> dict[str, str]:
    minerals = read_minerals()
    return dict(zip(minerals["mineral_id"], minerals["name"], strict=True))


def _panel(fig: go.Figure, frame: pd.DataFrame, labels: pd.Series, col: int) -> None:
    for column, name, colour in PARTS:
        fig.add_trace(
            go.Bar(
                x=frame[column] / _MILLION,
                y=labels,
                orientation="h",
                name=name,
                legendgroup=name,
                showlegend=col == 1,
                marker={"color": colour},
                customdata=(frame[["value_usd"]] / _MILLION).to_numpy(dtype=float),
                hovertemplate=(
                    f"%{{y}}<br>{name}: %{{x:,.2f}} M USD "
                    "(imports hit: %{customdata[0]:,.1f} M USD)<extra></extra>"
                ),
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(title_text="change in imports (million USD)", row=1, col=col)


def smart_figures(
    result: SmartResult, *, names: Mapping[str, str] | None = None
) -> list[go.Figure]:
    """Return the figures of a SMART run: creation vs diversion by member and by mineral.

    Parameters
    ----------
    result
        A SMART run.
    names
        Mineral id → display name (default: the catalog's names).

    Returns
    -------
    list of plotly.graph_objects.Figure
        One figure with two panels of grouped horizontal bars (million USD):
        per importing member (left) and per mineral (right), trade creation and
        the diversion gained (+) or lost (−) by zone, rest-of-world and rival
        suppliers. Empty when no rate changes on any flow.
    """
    if result.flows.empty:
        return []
    mineral_names = dict(names) if names is not None else _mineral_names()
    by_member = result.by_member.sort_values("creation_usd", ascending=False)
    by_mineral = result.by_mineral.sort_values("creation_usd", ascending=False)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.2,
        subplot_titles=["By importing member", "By mineral"],
    )
    _panel(fig, by_member, by_member["member"].astype(str), 1)
    mineral_labels = by_mineral["mineral_id"].map(
        lambda m: mineral_names.get(str(m), str(m).replace("_", " ").capitalize())
    )
    _panel(fig, by_mineral, mineral_labels, 2)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(barmode="group")
    schedule = result.schedule
    tag = " (illustrative)" if schedule.illustrative else ""
    title = (
        f"{html.escape(schedule.name)}{tag}: trade creation and diversion (SMART)"
        f"<br><sup>CEPII BACI {result.year} imports; diversion by supplier group sums to "
        "zero per market; elasticities as listed in the report</sup>"
    )
    rows = max(len(by_member), len(by_mineral), 3)
    return [figure_layout(fig, title, height=200 + _ROW_PX * rows * 2)]


_SUMMARY_COLUMNS: Final = {
    "value_usd": ("imports hit (USD)", format_number),
    "creation_usd": ("creation (USD)", format_number),
    "diversion_to_zone_usd": ("diversion to zone (USD)", format_number),
    "diversion_to_rest_usd": ("diversion to rest of world (USD)", format_number),
    "diversion_to_rival_usd": ("diversion to rival (USD)", format_number),
    "revenue_change_usd": ("tariff revenue change (USD)", format_number),
    "welfare_usd": ("welfare (USD)", format_number),
}


def _rates_table(result: SmartResult) -> str:
    rows = pd.DataFrame(
        [
            {
                "importer": r.importer,
                "exporter": r.exporter,
                "hs6": r.hs6,
                "rate_before": f"{r.rate_before:.1%}",
                "rate_after": f"{r.rate_after:.1%}",
                "start": r.start.isoformat() if r.start else "",
                "source": r.source,
            }
            for r in result.schedule.rates
        ]
    )
    columns = {c: (c.replace("_", " "), format_text) for c in rows.columns}
    return html_table(rows, columns)


def render_smart_report(result: SmartResult) -> str:
    """Return the self-contained HTML document of a SMART run."""
    schedule = result.schedule
    title = f"SMART: {schedule.name}"
    member_cols = {"member": ("member", format_text), **_SUMMARY_COLUMNS}
    mineral_cols = {"mineral_id": ("mineral", format_text), **_SUMMARY_COLUMNS}
    numeric = frozenset(_SUMMARY_COLUMNS)
    figures = "".join(
        figure_html(fig, f"smart-{i}", "Trade creation and diversion, million USD")
        for i, fig in enumerate(smart_figures(result))
    )
    assumptions = "".join(f"<li>{html.escape(a)}</li>" for a in result.assumptions)
    illustrative = (
        "<p><strong>Illustrative schedule:</strong> its rates are not data.</p>"
        if schedule.illustrative
        else ""
    )
    meta = f"{schedule.id} · BACI {result.year} · friendshore {package_version()}"
    body = f"""
<main>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{html.escape(meta)}</p>
</header>
<section id="schedule">
<h2>The schedule</h2>
{illustrative}
<p>{html.escape(schedule.description)}</p>
<p><strong>Source</strong>: {html.escape(schedule.source)}</p>
{_rates_table(result)}
</section>
<section id="assumptions">
<h2>Assumptions</h2>
<ul>{assumptions}</ul>
</section>
<section id="figures">
{figures or "<p>No rate changes on any flow: nothing to plot.</p>"}
</section>
<section id="members">
<h2>By importing member</h2>
{html_table(result.by_member, member_cols, numeric=numeric)}
</section>
<section id="minerals">
<h2>By mineral</h2>
{html_table(result.by_mineral, mineral_cols, numeric=numeric)}
</section>
<section id="attribution">
<h2>Data attribution and licences</h2>
{attribution_html()}
</section>
</main>"""
    return html_document(title, body)


def write_smart_report(result: SmartResult, out_dir: Path) -> Path:
    """Write the HTML report of a SMART run to ``out_dir/index.html`` atomically; return it."""
    return write_html(render_smart_report(result), out_dir)
