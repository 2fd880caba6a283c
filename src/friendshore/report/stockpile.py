"""Plotly figures, tables and the offline HTML report of a stockpile sizing (US$, tonnes).

:func:`stockpile_figures` draws the purchase cost and days of cover of the stock per
mineral × stage (× member), the stock against 60 days of consumption (JOGMEC's target)
and the budget frontier (expected cost and shortfall avoided against the budget).
:func:`write_stockpile_report` writes ``stockpile.csv``, ``frontier.csv``,
``references.csv`` and ``index.html``, staged in a temporary folder and moved into
place only once every file is written.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from friendshore.data.catalog import read_minerals
from friendshore.report.figures import OKABE_ITO, ZONE_COLOUR
from friendshore.report.html import (
    attribution_html,
    csv_file,
    figure_html,
    figure_layout,
    format_number,
    format_text,
    html_document,
    html_file,
    html_table,
    package_version,
    write_outputs,
)

if TYPE_CHECKING:
    from friendshore.scenarios.stockpile import StockpileResult

__all__ = [
    "reference_frame",
    "render_stockpile_report",
    "stockpile_figures",
    "write_stockpile_report",
]

#: Bars drawn at most (the largest purchase first).
MAX_BARS: Final = 30
_MILLION: Final = 1e6


def _mineral_names() -> dict[str, str]:
    minerals = read_minerals()
    return dict(zip(minerals["mineral_id"], minerals["name"], strict=True))


def _label(row: Mapping[Any, Any], names: Mapping[str, str]) -> str:
    mineral = str(row["mineral"])
    text = f"{names.get(mineral, mineral)}, {row['stage']}"
    member = row.get("member")
    if isinstance(member, str) and member and member != "zone":
        text += f" ({member})"
    return text


def reference_frame(result: StockpileResult) -> pd.DataFrame:
    """The reference points of a sizing as a frame (60 days of consumption; the US DoD's
    2025 antimony and cobalt plans: tonnes at current prices and days of U.S. consumption)."""
    refs: Any = getattr(result, "references", None)
    if refs is None:
        refs = getattr(result, "reference_points", None)
    if isinstance(refs, pd.DataFrame):
        return refs.reset_index(drop=True)
    if refs is None:
        return pd.DataFrame()
    return pd.DataFrame(list(refs))


def _frontier(result: StockpileResult) -> pd.DataFrame:
    frontier: Any = getattr(result, "frontier", None)
    if isinstance(frontier, pd.DataFrame):
        return frontier
    return pd.DataFrame(columns=["budget_usd", "spent_usd", "expected_cost_usd_yr", "avoided_t"])


def stockpile_figures(
    result: StockpileResult, *, names: Mapping[str, str] | None = None
) -> list[tuple[str, go.Figure, str]]:
    """Return the figures of a stockpile sizing as (id, figure, caption).

    Parameters
    ----------
    result
        A sizing (:func:`friendshore.scenarios.stockpile.size_stockpile`).
    names
        Mineral id → display name (default: the catalog's names).

    Returns
    -------
    list of (str, plotly.graph_objects.Figure, str)
        The purchase cost (million US$) and days of cover of each stocked mineral ×
        stage (× member), at most :data:`MAX_BARS`; the stock against 60 days of
        consumption (t); the budget frontier (expected cost, shortfall avoided). Empty
        figures are left out.
    """
    labels = dict(names) if names is not None else _mineral_names()
    frame = result.frame
    out: list[tuple[str, go.Figure, str]] = []
    stocked = frame[frame["tonnes"].fillna(0) > 0].sort_values("purchase_cost_usd", ascending=False)
    stocked = stocked.head(MAX_BARS)
    if not stocked.empty:
        text = [_label(r, labels) for r in stocked.to_dict("records")]
        fig = go.Figure()
        fig.add_trace(
            go.Bar(
                x=text,
                y=stocked["purchase_cost_usd"] / _MILLION,
                name="purchase cost (US$ million)",
                marker={"color": ZONE_COLOUR},
                hovertemplate="%{x}: US$%{y:,.1f} million<extra></extra>",
            )
        )
        if "days_of_cover" in stocked.columns:
            fig.add_trace(
                go.Scatter(
                    x=text,
                    y=stocked["days_of_cover"],
                    mode="markers",
                    name="days of cover",
                    yaxis="y2",
                    marker={"color": OKABE_ITO["orange"], "size": 10, "symbol": "diamond"},
                    hovertemplate="%{x}: %{y:,.0f} days of consumption<extra></extra>",
                )
            )
        fig.update_layout(
            yaxis={"title": {"text": "purchase cost (US$ million)"}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "days of cover"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
        )
        fig.update_xaxes(tickangle=-30, automargin=True)
        out.append(
            (
                "stockpile-cost",
                figure_layout(fig, "Purchase cost and days of cover of the stock", height=460),
                "The minerals and stages stocked, largest purchase first. Days of cover = "
                "tonnes / (apparent consumption / 365) of the reserve's holder (the zone or "
                "the member).",
            )
        )
        if "jogmec_60d_t" in stocked.columns:
            fig = go.Figure()
            fig.add_trace(
                go.Bar(
                    x=text,
                    y=stocked["tonnes"],
                    name="stock (t)",
                    marker={"color": ZONE_COLOUR},
                    hovertemplate="%{x}: %{y:,.0f} t<extra></extra>",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=text,
                    y=stocked["jogmec_60d_t"],
                    mode="markers",
                    name="60 days of consumption (JOGMEC target)",
                    marker={"color": OKABE_ITO["vermillion"], "size": 12, "symbol": "line-ew-open"},
                    hovertemplate="%{x}: 60 days = %{y:,.0f} t<extra></extra>",
                )
            )
            fig.update_xaxes(tickangle=-30, automargin=True)
            fig.update_yaxes(title_text="tonnes", type="log")
            out.append(
                (
                    "stockpile-jogmec",
                    figure_layout(fig, "The stock against 60 days of consumption", height=440),
                    "JOGMEC (Japan) targets 60 days of consumption, up to 180 for high-risk "
                    "metals. Log scale.",
                )
            )
    frontier = _frontier(result)
    if not frontier.empty:
        frontier = frontier.sort_values("budget_usd")
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=frontier["budget_usd"] / 1e9,
                y=frontier["expected_cost_usd_yr"] / _MILLION,
                mode="lines+markers",
                name="expected cost a year (US$ million)",
                line={"color": ZONE_COLOUR},
                hovertemplate="budget US$%{x:,.2f} bn: US$%{y:,.1f} million a year<extra></extra>",
            )
        )
        if "avoided_t" in frontier.columns:
            fig.add_trace(
                go.Scatter(
                    x=frontier["budget_usd"] / 1e9,
                    y=frontier["avoided_t"],
                    mode="lines+markers",
                    name="expected shortfall avoided (t a year)",
                    yaxis="y2",
                    line={"color": OKABE_ITO["orange"], "dash": "dash"},
                    hovertemplate="budget US$%{x:,.1f} bn: %{y:,.0f} t<extra></extra>",
                )
            )
        fig.update_layout(
            xaxis={"title": {"text": "budget (US$ bn)"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "expected cost (US$ million a year)"}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "avoided (t)"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
        )
        out.append(
            (
                "stockpile-frontier",
                figure_layout(fig, "Budget frontier", height=420),
                "Each point: the best stock within that budget. Expected cost a year = carrying "
                "cost + expected cost of the shortfall left; more budget never raises it.",
            )
        )
    return out


def _money(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value) / _MILLION:,.1f}"


def _days(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value):,.1f}"


def _ratio(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value):,.3f}"


_STOCK_HTML: Final = {
    "mineral": ("mineral", format_text),
    "stage": ("stage", format_text),
    "member": ("reserve", format_text),
    "tonnes": ("stock (t)", format_number),
    "price_usd_t": ("price (US$/t)", format_number),
    "purchase_cost_usd": ("purchase (US$ m)", _money),
    "carrying_cost_usd_yr": ("carrying a year (US$ m)", _money),
    "days_of_cover": ("days of cover", _days),
    "jogmec_60d_t": ("60 days (t)", format_number),
    "expected_shortfall_t": ("expected shortfall (t)", format_number),
    "expected_shortfall_after_t": ("… with the stock (t)", format_number),
    "expected_shortfall_avoided_t": ("avoided (t)", format_number),
    "shortfall_cost_usd_t": ("shortfall cost (US$/t)", format_number),
    "price_source": ("price source", format_text),
}
_FRONTIER_HTML: Final = {
    "budget_usd": ("budget (US$ m)", _money),
    "spent_usd": ("spent (US$ m)", _money),
    "expected_cost_usd_yr": ("expected cost a year (US$ m)", _money),
    "avoided_t": ("shortfall avoided a year (t)", format_number),
    "marginal_value_usd_per_usd": ("marginal value (US$ per US$)", _ratio),
}

METHODS: Final = (
    "The stock minimises the expected cost a year: the carrying cost (a rate a year on its "
    "value: cost of capital and storage) plus the expected cost of the shortfalls it leaves "
    "(tonnes short × a multiple of the price) over the disruption distribution, with its "
    "purchase cost (tonnes × the latest price in the store: USGS MCS, World Bank Pink Sheet) "
    "within the budget. Exact newsvendor solution (critical fractile with a budget "
    "multiplier), or the same sample-average programme as an LP (linopy/HiGHS).",
    "Disruptions: random export restrictions of the Monte Carlo engine (probabilities from WGI "
    "political stability and the history of restrictions) and/or weighted historical scenarios.",
    "Days of cover = tonnes / (apparent consumption / 365); apparent consumption from the "
    "material balance (USGS MCS production, CEPII BACI trade).",
    "Reference points: JOGMEC's target of 60 days of consumption; the US DoD's 2025 plans of up "
    "to US$245 million of antimony and US$500 million of cobalt (tonnes at current prices and "
    "days of U.S. consumption).",
)


def _options_text(result: StockpileResult) -> str:
    options: Any = result.options
    parts = []
    for attr, word in (
        ("budget_usd", "budget"),
        ("reserve", "reserve"),
        ("method", "method"),
        ("draws", "draws"),
        ("seed", "seed"),
        ("carrying_rate", "carrying rate a year"),
        ("shortfall_cost_multiple", "shortfall cost × price"),
    ):
        value = getattr(options, attr, None)
        if value is None:
            continue
        if attr == "budget_usd":
            value = f"US${float(value) / 1e9:,.2f} bn"
        elif attr == "carrying_rate":
            value = f"{float(value):.1%}"
        parts.append(f"{word} {value}")
    return " · ".join(parts)


def render_stockpile_report(result: StockpileResult) -> str:
    """Return the self-contained HTML document of a stockpile sizing."""
    title = "Strategic stockpile: how big a reserve of what"
    frame = result.frame
    meta = f"{_options_text(result)} · friendshore {package_version()}"
    figures = "".join(figure_html(f, i, c) for i, f, c in stockpile_figures(result))
    columns = {c: v for c, v in _STOCK_HTML.items() if c in frame.columns}
    numeric = frozenset(
        c for c in columns if c not in ("mineral", "stage", "member", "price_source")
    )
    totals = {
        "purchase cost": _total_usd(frame, "purchase_cost_usd"),
        "carrying cost a year": _total_usd(frame, "carrying_cost_usd_yr"),
        "expected shortfall avoided": _total_t(frame, "expected_shortfall_avoided_t"),
    }
    marginal = getattr(result, "marginal_value_usd_per_usd", None)
    if marginal is not None and not (isinstance(marginal, float) and np.isnan(marginal)):
        totals["marginal value of budget (US$ of expected cost per US$)"] = (
            f"{float(marginal):,.4f}"
        )
    totals_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td class=num>{html.escape(v)}</td></tr>"
        for k, v in totals.items()
    )
    frontier = _frontier(result)
    refs = reference_frame(result)
    ref_columns = {
        c: (
            c.replace("_", " "),
            format_number if pd.api.types.is_numeric_dtype(refs[c]) else format_text,
        )
        for c in refs.columns
    }
    methods = "".join(f"<li>{html.escape(m)}</li>" for m in METHODS)
    body = f"""
<main>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{html.escape(meta)}</p>
</header>
<section id="totals">
<h2>Totals</h2>
<div class="scroll"><table><tbody>{totals_html}</tbody></table></div>
</section>
<section id="figures">
{figures or "<p>Nothing stocked: no figure.</p>"}
</section>
<section id="stock">
<h2>By mineral and stage</h2>
{html_table(frame, columns, numeric=numeric)}
</section>
<section id="frontier">
<h2>Budget frontier</h2>
{
        html_table(
            frontier,
            {c: v for c, v in _FRONTIER_HTML.items() if c in frontier.columns},
            numeric=frozenset(_FRONTIER_HTML),
        )
        if not frontier.empty
        else "<p>No frontier.</p>"
    }
</section>
<section id="references">
<h2>Reference points</h2>
{
        html_table(
            refs,
            ref_columns,
            numeric=frozenset(c for c in refs.columns if pd.api.types.is_numeric_dtype(refs[c])),
        )
        if not refs.empty
        else "<p>None.</p>"
    }
</section>
<section id="methods">
<h2>Methods and sources</h2>
<ul>{methods}</ul>
</section>
<section id="attribution">
<h2>Data attribution and licences</h2>
{attribution_html()}
</section>
</main>"""
    return html_document(title, body)


def _total_usd(frame: pd.DataFrame, column: str) -> str:
    if column not in frame.columns:
        return "n/a"
    v = float(frame[column].sum())
    return f"US${v / 1e9:,.2f} bn" if abs(v) >= 1e9 else f"US${v / _MILLION:,.1f} m"


def _total_t(frame: pd.DataFrame, column: str) -> str:
    if column not in frame.columns:
        return "n/a"
    return f"{float(frame[column].sum()):,.0f} t"


def write_stockpile_report(result: StockpileResult, out_dir: Path) -> list[Path]:
    """Write a sizing's files into ``out_dir``; return their paths.

    ``stockpile.csv`` (one row per mineral × stage × reserve), ``frontier.csv``,
    ``references.csv`` and ``index.html``. Every file is first written into a
    temporary folder inside ``out_dir``; only when all are written are they moved over
    their names, so a failure leaves ``out_dir`` as it was.

    Raises
    ------
    InputError
        If ``out_dir`` is a file or cannot be created.
    """
    files = {
        "stockpile.csv": csv_file(result.frame),
        "frontier.csv": csv_file(_frontier(result)),
        "references.csv": csv_file(reference_frame(result)),
        "index.html": html_file(render_stockpile_report(result)),
    }
    return write_outputs(out_dir, files, prefix="stockpile")
