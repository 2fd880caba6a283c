"""Plotly figures, tables and the offline HTML report of the zone's outlook (tonnes).

:func:`outlook_figures` draws, per mineral × stage, the zone's demand against its
supply (plus a pipeline's capacity) as bands across the IEA scenarios (STEPS, APS,
NZE), the gap per mineral × stage and scenario in a gap year, and China's projected
share of world supply. :func:`outlook_gap_table` folds the outlook into one row per
mineral × stage × scenario at the gap years. :func:`write_outlook_report` writes
``outlook.csv``, ``members.csv`` and ``index.html``, staged in a temporary folder and
moved into place only once every file is written.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import plotly.graph_objects as go

from friendshore.data.catalog import read_minerals
from friendshore.report.figures import OKABE_ITO
from friendshore.report.html import (
    Formatter,
    attribution_html,
    csv_file,
    figure_html,
    figure_layout,
    format_number,
    format_share,
    format_text,
    html_document,
    html_file,
    html_table,
    package_version,
    write_outputs,
)

if TYPE_CHECKING:
    from friendshore.scenarios.outlook import OutlookResult

__all__ = [
    "GAP_YEARS",
    "SCENARIO_STYLE",
    "outlook_figures",
    "outlook_gap_table",
    "render_outlook_report",
    "write_outlook_report",
]

#: The years the gap table and the gap figure show (those the result has).
GAP_YEARS: Final = (2030, 2035, 2040)
#: Colour and dash of each IEA scenario.
SCENARIO_STYLE: Final[dict[str, tuple[str, str]]] = {
    "STEPS": (OKABE_ITO["blue"], "solid"),
    "APS": (OKABE_ITO["bluish_green"], "dash"),
    "NZE": (OKABE_ITO["reddish_purple"], "dot"),
}
#: Band figures drawn at most (the mineral × stage pairs with the largest gap first).
MAX_BANDS: Final = 12
_ORDER: Final = ("STEPS", "APS", "NZE")
_SUPPLY_COLOUR: Final = OKABE_ITO["orange"]
_FILLS: Final = {
    "STEPS": "rgba(0,114,178,0.15)",
    "APS": "rgba(0,158,115,0.15)",
    "NZE": "rgba(204,121,167,0.15)",
}
_SUPPLY_FILL: Final = "rgba(230,159,0,0.18)"


def _mineral_names() -> dict[str, str]:
    minerals = read_minerals()
    return dict(zip(minerals["mineral_id"], minerals["name"], strict=True))


def _rival_column(frame: pd.DataFrame) -> str | None:
    for column in ("china_world_supply_share", "rival_world_supply_share"):
        if column in frame.columns:
            return column
    return None


def _ends(frame: pd.DataFrame, point: str, low: str, high: str) -> tuple[pd.Series, pd.Series]:
    """The low and high ends of an interval the outlook carries (the point where known)."""
    lo = frame[point].where(frame[point].notna(), frame[low])
    hi = frame[point].where(frame[point].notna(), frame[high])
    return lo, hi


def _supply_ends(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The zone's supply plus the pipeline's capacity (t): low and high ends."""
    pipeline = frame["pipeline_t"].fillna(0.0)
    lo, hi = _ends(frame, "zone_supply_t", "zone_supply_min_t", "zone_supply_max_t")
    return lo + pipeline, hi + pipeline


def _scenario_key(values: pd.Series) -> pd.Series:
    return values.map(lambda s: _ORDER.index(s) if s in _ORDER else len(_ORDER))


def gap_years(result: OutlookResult) -> list[int]:
    """The years of :data:`GAP_YEARS` the outlook has (else its projection years)."""
    years = sorted(int(y) for y in result.frame["year"].dropna().unique())
    chosen: list[int] = [y for y in GAP_YEARS if y in years]
    return chosen or years[-3:]


#: Interval figures of the outlook: the point column and its two ends.
_INTERVALS: Final = {
    "zone_share": ("zone_share_min", "zone_share_max"),
    "zone_demand_t": ("zone_demand_min_t", "zone_demand_max_t"),
    "zone_supply_t": ("zone_supply_min_t", "zone_supply_max_t"),
    "gap_t": ("gap_min_t", "gap_max_t"),
    "self_sufficiency": ("self_sufficiency_min", "self_sufficiency_max"),
}


def outlook_gap_table(result: OutlookResult, *, years: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per mineral × stage × scenario × gap year of the outlook (tonnes a year).

    Parameters
    ----------
    result
        The outlook (:func:`friendshore.scenarios.outlook.zone_outlook`).
    years
        The years kept (default: :func:`gap_years`).

    Returns
    -------
    pandas.DataFrame
        ``mineral, stage, scenario, year, world_demand_t``, the zone's share, demand,
        supply, gap and self-sufficiency each with its ``_min``/``_max`` ends (the point
        only where they agree), ``pipeline_t``, the rival's share of world supply,
        ``demand_basis`` and ``supply_basis``; ordered by year, mineral, stage and
        scenario (STEPS, APS, NZE).
    """
    frame = result.frame
    keep = list(years) if years is not None else gap_years(result)
    rival = _rival_column(frame)
    wanted = ["mineral", "stage", "scenario", "year", "world_demand_t"]
    for point, (low, high) in _INTERVALS.items():
        wanted += [point, low, high]
    wanted += ["pipeline_t", rival or "", "demand_basis", "supply_basis"]
    columns = [c for c in wanted if c in frame.columns]
    out = frame.loc[frame["year"].isin(keep), columns].copy()
    out["_s"] = _scenario_key(out["scenario"])
    out = out.sort_values(["year", "mineral", "stage", "_s"], ignore_index=True).drop(columns="_s")
    return out


def _range_text(point: Any, low: Any, high: Any, fmt: Formatter) -> str:
    """A point as ``fmt`` gives it, else ``low–high`` (``n/a`` for a missing end)."""
    if not pd.isna(point):
        return fmt(point)
    if pd.isna(low) and pd.isna(high):
        return "n/a"
    lo, hi = fmt(low), fmt(high)
    return lo if lo == hi else f"{lo} – {hi}"


def _gap_display(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gap table with each interval as one text column (the point, or its range)."""
    out = gaps.copy()
    for point, (low, high) in _INTERVALS.items():
        if point not in out.columns:
            continue
        fmt = format_share if "share" in point or "sufficiency" in point else format_number
        out[point] = [
            _range_text(p, lo, hi, fmt)
            for p, lo, hi in zip(out[point], out[low], out[high], strict=True)
        ]
    return out


def _pairs(result: OutlookResult) -> list[tuple[str, str]]:
    """Mineral × stage pairs to draw: the largest gap (any scenario, the last gap year) first."""
    frame = result.frame
    year = gap_years(result)[-1] if not frame.empty else None
    at = frame[frame["year"] == year] if year is not None else frame
    _, high = _ends(at, "gap_t", "gap_min_t", "gap_max_t")
    ranked = (
        at.assign(_gap=high)
        .groupby(["mineral", "stage"])["_gap"]
        .max()
        .sort_values(ascending=False, na_position="last")
    )
    return [(str(m), str(s)) for m, s in ranked.index[:MAX_BANDS]]


def _band(
    fig: go.Figure,
    years: pd.Series,
    low: pd.Series,
    high: pd.Series,
    *,
    name: str,
    colour: str,
    fill: str,
    dash: str,
    hover: str,
) -> None:
    """Two traces: the low end (no legend) and the high end filled down to it."""
    band = pd.DataFrame({"year": years, "lo": low, "hi": high}).groupby("year")
    lo, hi = band["lo"].min().dropna(), band["hi"].max().dropna()
    if lo.empty or hi.empty:
        return
    line = {"color": colour, "dash": dash, "width": 2}
    fig.add_trace(
        go.Scatter(
            x=lo.index,
            y=lo,
            mode="lines",
            line=line,
            showlegend=False,
            legendgroup=name,
            name=f"{name} (low)",
            hovertemplate=f"{hover} %{{x}} (low): %{{y:,.0f}} t<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=hi.index,
            y=hi,
            mode="lines",
            line=line,
            fill="tonexty",
            fillcolor=fill,
            legendgroup=name,
            name=name,
            hovertemplate=f"{hover} %{{x}} (high): %{{y:,.0f}} t<extra></extra>",
        )
    )


def band_figure(
    frame: pd.DataFrame, mineral: str, stage: str, *, names: Mapping[str, str] | None = None
) -> go.Figure:
    """The zone's demand against its supply for one mineral × stage, by IEA scenario.

    Each scenario's zone demand is a line (STEPS solid, APS dashed, NZE dotted), or a
    shaded band where the material balance bounds the zone's share without fixing it;
    the zone's supply plus a pipeline's capacity is the orange band across the
    scenarios (a line where it is one figure). Tonnes a year.
    """
    part = frame[(frame["mineral"] == mineral) & (frame["stage"] == stage)]
    label = (names or {}).get(mineral, mineral)
    fig = go.Figure()
    present = set(part["scenario"])
    for scenario in [s for s in _ORDER if s in present]:
        rows = part[part["scenario"] == scenario]
        colour, dash = SCENARIO_STYLE[scenario]
        lo, hi = _ends(rows, "zone_demand_t", "zone_demand_min_t", "zone_demand_max_t")
        _band(
            fig,
            rows["year"],
            lo,
            hi,
            name=f"zone demand, {scenario}",
            colour=colour,
            fill=_FILLS[scenario],
            dash=dash,
            hover=f"demand {scenario}",
        )
    piped = bool((part["pipeline_t"].fillna(0) > 0).any())
    lo, hi = _supply_ends(part)
    _band(
        fig,
        part["year"],
        lo,
        hi,
        name=f"zone supply{' + pipeline' if piped else ''}",
        colour=_SUPPLY_COLOUR,
        fill=_SUPPLY_FILL,
        dash="solid",
        hover="supply",
    )
    fig.update_xaxes(title_text="year")
    fig.update_yaxes(title_text="tonnes a year", rangemode="tozero", separatethousands=True)
    basis = "; ".join(sorted({str(b) for b in part["demand_basis"].dropna()}))
    return figure_layout(
        fig,
        f"{html.escape(label)}, {stage}: the zone's demand and supply by IEA scenario"
        + (f"<br><sup>demand: {html.escape(basis)}</sup>" if basis else ""),
        height=420,
    )


def outlook_figures(
    result: OutlookResult, *, names: Mapping[str, str] | None = None
) -> list[tuple[str, go.Figure, str]]:
    """Return the figures of an outlook as (id, figure, caption).

    Parameters
    ----------
    result
        The outlook.
    names
        Mineral id → display name (default: the catalog's names).

    Returns
    -------
    list of (str, plotly.graph_objects.Figure, str)
        A band figure per mineral × stage (at most :data:`MAX_BANDS`, the largest gap
        in the last gap year first); the gap per mineral × stage and scenario in the
        last gap year (t); China's projected share of world supply per mineral × stage.
        Empty when the outlook has no row.
    """
    frame = result.frame
    if frame.empty:
        return []
    labels = dict(names) if names is not None else _mineral_names()
    out: list[tuple[str, go.Figure, str]] = []
    for mineral, stage in _pairs(result):
        out.append(
            (
                f"outlook-band-{mineral}-{stage}",
                band_figure(frame, mineral, stage, names=labels),
                "Shaded: the range across the IEA scenarios of the zone's demand (world demand "
                "× the zone's base-year share) and of its supply (IEA country projections for "
                "the members where listed, else held at the base year; plus the pipeline). "
                "Lines: each scenario (STEPS solid, APS dashed, NZE dotted).",
            )
        )
    year = gap_years(result)[-1]
    at = frame[frame["year"] == year].copy()
    if not at.empty:
        at["label"] = [
            f"{labels.get(m, m)}, {s}" for m, s in zip(at["mineral"], at["stage"], strict=True)
        ]
        at["lo"], at["hi"] = _ends(at, "gap_t", "gap_min_t", "gap_max_t")
        order = at.groupby("label")["hi"].max().sort_values(na_position="first").index.tolist()
        fig = go.Figure()
        for scenario in [s for s in _ORDER if s in set(at["scenario"])]:
            rows = at[at["scenario"] == scenario].set_index("label").reindex(order)
            xs: list[float | None] = []
            ys: list[str | None] = []
            for name, lo, hi in zip(rows.index, rows["lo"], rows["hi"], strict=True):
                xs += [lo, hi, None]
                ys += [name, name, None]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=scenario,
                    line={"color": SCENARIO_STYLE[scenario][0], "width": 4},
                    marker={"color": SCENARIO_STYLE[scenario][0], "size": 8},
                    hovertemplate=f"%{{y}} {scenario}: gap %{{x:,.0f}} t<extra></extra>",
                )
            )
        fig.add_vline(x=0, line={"color": "#999", "width": 1})
        fig.update_xaxes(title_text=f"gap in {year} (t a year): demand − supply − pipeline")
        fig.update_yaxes(
            automargin=True, type="category", categoryorder="array", categoryarray=order
        )
        out.append(
            (
                "outlook-gaps",
                figure_layout(
                    fig, f"The zone's gap in {year} by IEA scenario", height=160 + 26 * len(order)
                ),
                "Positive: the zone's demand exceeds its supply and the pipeline; negative: a "
                "surplus (tonnes a year of the stage's basis). A segment: the range the "
                "material balance allows where it bounds the zone's share without fixing it.",
            )
        )
    rival = _rival_column(frame)
    if rival is not None:
        shares = (
            frame.dropna(subset=[rival])
            .groupby(["mineral", "stage", "year"], as_index=False)[rival]
            .first()
        )
        if not shares.empty:
            fig = go.Figure()
            colours = list(OKABE_ITO.values())
            for i, (key, series) in enumerate(shares.groupby(["mineral", "stage"])):
                what, where = str(key[0]), str(key[1])
                fig.add_trace(
                    go.Scatter(
                        x=series["year"],
                        y=series[rival],
                        mode="lines+markers",
                        name=f"{labels.get(what, what)}, {where}",
                        line={
                            "color": colours[i % len(colours)],
                            "dash": "solid" if where == "mining" else "dash",
                        },
                        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
                    )
                )
            fig.update_xaxes(title_text="year")
            fig.update_yaxes(
                title_text="China's share of world supply (%)", tickformat=".0%", rangemode="tozero"
            )
            out.append(
                (
                    "outlook-china-share",
                    figure_layout(fig, "China's projected share of world supply", height=440),
                    "The IEA's supply projections (base case): China's output over world "
                    "output; mining solid, refining dashed.",
                )
            )
    return out


_GAP_HTML: Final = {
    "mineral": ("mineral", format_text),
    "stage": ("stage", format_text),
    "scenario": ("scenario", format_text),
    "year": ("year", format_text),
    "world_demand_t": ("world demand (t)", format_number),
    "zone_share": ("zone share", format_text),
    "zone_demand_t": ("zone demand (t)", format_text),
    "zone_supply_t": ("zone supply (t)", format_text),
    "pipeline_t": ("pipeline (t)", format_number),
    "gap_t": ("gap (t)", format_text),
    "self_sufficiency": ("self-sufficiency", format_text),
    "china_world_supply_share": ("China share of world supply", format_share),
    "rival_world_supply_share": ("rivals' share of world supply", format_share),
    "demand_basis": ("demand basis", format_text),
    "supply_basis": ("supply basis", format_text),
}

METHODS: Final = (
    "World demand: the IEA Critical Minerals Data Explorer for each scenario (STEPS: stated "
    "policies; APS: announced pledges; NZE: net zero emissions by 2050), total demand where the "
    "IEA publishes it, else the demand of clean technologies only (demand basis per row).",
    "The zone's demand: world demand × the zone's share, the members' apparent consumption "
    "(production + imports − exports) in the base year of the material balance over world "
    "consumption (or a user allocation file; the method is named per row).",
    "The zone's supply: the IEA's mining and refining projections for the members where the IEA "
    "lists them, else the members' base-year production held constant (supply basis per row); "
    "plus a pipeline's capacity from each project's first output year.",
    "Gap = zone demand − zone supply − pipeline; self-sufficiency = (supply + pipeline) / demand.",
    "China's share of world supply: the IEA's projection for China over the world total.",
)


def render_outlook_report(result: OutlookResult) -> str:
    """Return the self-contained HTML document of an outlook."""
    frame = result.frame
    scenarios = [s for s in _ORDER if s in set(frame.get("scenario", pd.Series(dtype=str)))]
    years = sorted(int(y) for y in frame["year"].dropna().unique()) if not frame.empty else []
    span = f"{years[0]}–{years[-1]}" if years else "no year"
    base = getattr(result, "base_year", None)
    title = "The zone's outlook: demand against supply by IEA scenario"
    meta = (
        f"{', '.join(scenarios) or 'no scenario'} · {span} · base year {base if base else 'n/a'}"
        f" · friendshore {package_version()}"
    )
    figures = "".join(figure_html(fig, i, caption) for i, fig, caption in outlook_figures(result))
    gaps = _gap_display(outlook_gap_table(result))
    columns = {c: v for c, v in _GAP_HTML.items() if c in gaps.columns}
    numeric = frozenset(
        c
        for c in columns
        if c not in ("mineral", "stage", "scenario", "year") and not c.endswith("_basis")
    )
    gap_span = ", ".join(str(y) for y in gap_years(result)) if years else "n/a"
    notes = sorted({str(n) for n in frame.get("note", pd.Series(dtype=str)).dropna() if str(n)})
    notes_html = (
        "<h3>Notes on the rows</h3><ul>"
        + "".join(f"<li>{html.escape(n)}</li>" for n in notes[:50])
        + "</ul>"
        if notes
        else ""
    )
    methods = "".join(f"<li>{html.escape(m)}</li>" for m in METHODS)
    body = f"""
<main>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{html.escape(meta)}</p>
</header>
<section id="figures">
{figures or "<p>The outlook has no row: nothing to plot.</p>"}
</section>
<section id="gaps">
<h2>Gaps by mineral, stage and scenario ({html.escape(gap_span)})</h2>
{html_table(gaps, columns, numeric=numeric)}
</section>
<section id="methods">
<h2>Methods and sources</h2>
<ul>{methods}</ul>
{notes_html}
</section>
<section id="attribution">
<h2>Data attribution and licences</h2>
{attribution_html()}
</section>
</main>"""
    return html_document(title, body)


def write_outlook_report(result: OutlookResult, out_dir: Path) -> list[Path]:
    """Write an outlook's files into ``out_dir``; return their paths.

    ``outlook.csv`` (every mineral × stage × scenario × year), ``members.csv`` (the
    same per member, where the result has them) and ``index.html``. Every file is
    first written into a temporary folder inside ``out_dir``; only when all are
    written are they moved over their names, so a failure leaves ``out_dir`` as it was.

    Raises
    ------
    InputError
        If ``out_dir`` is a file or cannot be created.
    """
    files = {"outlook.csv": csv_file(result.frame)}
    members: Any = getattr(result, "members", None)
    if isinstance(members, pd.DataFrame):
        files["members.csv"] = csv_file(members)
    files["index.html"] = html_file(render_outlook_report(result))
    return write_outputs(out_dir, files, prefix="outlook")
