"""Plotly figure of a structural gravity GE counterfactual: welfare and real GDP by country (%)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from friendshore.report.figures import _ROW_PX, OKABE_ITO, ZONE_COLOUR, _layout

__all__ = ["ge_welfare_figure", "write_ge_figure"]

#: Colour of non-members.
OTHER_COLOUR = "#7f7f7f"


def ge_welfare_figure(
    countries: pd.DataFrame,
    *,
    title: str = "Welfare and real GDP change by country",
    top: int | None = 40,
) -> go.Figure:
    """Bars of welfare and real GDP change (%) per country, members in the zone's colour.

    Parameters
    ----------
    countries
        :attr:`friendshore.policy.ge.GEResult.countries` (``country, member,
        welfare_change_pct, real_gdp_change_pct``).
    title
        Figure title; say the data set, year and experiment.
    top
        Keep the ``top`` countries with the largest absolute welfare change
        (all when ``None``); members are always kept.
    """
    frame = countries.copy()
    if top is not None and len(frame) > top:
        order = frame["welfare_change_pct"].abs().rank(ascending=False, method="first")
        frame = frame[(order <= top) | frame["member"].astype(bool)]
    frame = frame.sort_values("welfare_change_pct")
    colours = np.where(frame["member"].astype(bool), ZONE_COLOUR, OTHER_COLOUR)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=frame["country"],
            x=frame["welfare_change_pct"],
            orientation="h",
            name="welfare (E/P)",
            marker={"color": list(colours)},
            hovertemplate="%{y}: %{x:.4f}% welfare<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=frame["country"],
            x=frame["real_gdp_change_pct"],
            mode="markers",
            name="real GDP (Y/P)",
            marker={"color": OKABE_ITO["orange"], "symbol": "diamond", "size": 8},
            hovertemplate="%{y}: %{x:.4f}% real GDP<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="change from baseline (%)", zeroline=True)
    fig.update_yaxes(title_text="", automargin=True)
    return _layout(fig, title, height=160 + _ROW_PX * max(len(frame), 5))


def write_ge_figure(fig: go.Figure, path: Path) -> Path:
    """Write ``fig`` as one self-contained offline HTML file (Plotly inlined); returns ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    fig.write_html(tmp, include_plotlyjs=True, full_html=True)
    tmp.replace(path)
    return path
