"""Plotly figures of a zone assessment: frames in, :class:`plotly.graph_objects.Figure` out.

Every builder is pure (no I/O, no global state) and takes the frames of an
:class:`~friendshore.metrics.assessment.Assessment`. Colours are colour-blind
safe: the Okabe–Ito palette for categories, cividis and viridis for sequential
scales. Shares are plotted as percentages of the fraction 0–1 they are stored
as; every title names the year(s) and the source, every axis its unit.
Missing figures stay missing: a NULL share is not drawn (never drawn as zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: Okabe & Ito (2008) colour-blind-safe categorical palette.
OKABE_ITO: Final[dict[str, str]] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
#: Colour of each stage.
STAGE_COLOURS: Final[dict[str, str]] = {
    "mining": OKABE_ITO["orange"],
    "processing": OKABE_ITO["blue"],
    "components": OKABE_ITO["bluish_green"],
}
#: Colours of the zone and of China wherever they are compared.
ZONE_COLOUR: Final = OKABE_ITO["blue"]
CHINA_COLOUR: Final = OKABE_ITO["vermillion"]
#: Colours given to members in order (the zone as a bloc is drawn in black).
MEMBER_COLOURS: Final[tuple[str, ...]] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["yellow"],
)
#: Sequential scales: cividis for shares, viridis for quantities on the map.
SHARE_SCALE: Final = "Cividis"
QUANTITY_SCALE: Final = "Viridis"
#: Fill of countries with no figure on the map, and of withheld figures.
NO_DATA_GREY: Final = "#e6e6e6"
WITHHELD_GREY: Final = "#9a9a9a"

_FONT: Final = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}
_PCT: Final = ".0%"
_ROW_PX: Final = 20


def _names(ids: pd.Series, names: Mapping[str, str] | None) -> pd.Series:
    mapping = dict(names or {})
    return ids.map(lambda m: mapping.get(str(m), str(m).replace("_", " ").capitalize()))


def mineral_labels(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.Series:
    """Row labels: the mineral's name, plus the product where a mineral × stage has several.

    ``frame`` needs ``mineral``, ``product`` and (when present) ``stage``.
    """
    product = frame["product"].fillna("").astype(str)
    keys = ["mineral", "stage"] if "stage" in frame.columns else ["mineral"]
    several = frame.groupby(keys, dropna=False)["product"].transform("size") > 1
    base = _names(frame["mineral"], names)
    with_product = base + " (" + product + ")"
    return with_product.where(several & (product != ""), base)


def _span(years: pd.Series) -> str:
    known = years.dropna().astype(int)
    if known.empty:
        return "no data"
    lo, hi = int(known.min()), int(known.max())
    return str(hi) if lo == hi else f"{lo}–{hi}"


def _sources(frame: pd.DataFrame) -> str:
    if "source" not in frame.columns:
        return ""
    return ", ".join(sorted(str(s) for s in frame["source"].dropna().unique()))


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 15}},
        font=_FONT,
        height=height,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 90, "b": 40},
        legend={"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.01, "xanchor": "left"},
    )
    return fig


def china_share_by_stage(
    summary: pd.DataFrame,
    *,
    year: int,
    names: Mapping[str, str] | None = None,
    top: int | None = 30,
) -> go.Figure:
    """China's share of world production (%) per mineral, mining and processing side by side.

    Parameters
    ----------
    summary
        :attr:`Assessment.summary` (``mineral, stage, product, year, source,
        china_share``…); rows without a China share are left out.
    year
        The assessment year (titles say "latest year ≤ year").
    names
        Mineral id → display name.
    top
        Keep the ``top`` minerals with the highest China share at any stage
        (``None``: all).

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar panel per stage, sharing the mineral axis, sorted by
        the highest China share at any stage.
    """
    data = summary.assign(label=mineral_labels(summary, names))
    data = data[data["china_share"].notna()]
    order = data.groupby("label")["china_share"].max().sort_values(ascending=False)
    if top is not None:
        order = order.head(top)
    data = data[data["label"].isin(order.index)]
    stages = [s for s in ("mining", "processing", "components") if s in set(data["stage"])]
    stages = stages or ["mining"]
    fig = make_subplots(
        rows=1,
        cols=len(stages),
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=[s.capitalize() for s in stages],
    )
    categories = list(order.index[::-1])
    for col, stage in enumerate(stages, start=1):
        part = data[data["stage"] == stage]
        fig.add_trace(
            go.Bar(
                x=part["china_share"],
                y=part["label"],
                orientation="h",
                name=stage,
                marker={"color": STAGE_COLOURS.get(stage, OKABE_ITO["black"])},
                customdata=part[["year", "source", "product"]].astype(str).to_numpy(),
                hovertemplate=(
                    "%{y}<br>China: %{x:.1%} of world " + stage + " (%{customdata[0]})"
                    "<br>%{customdata[1]} %{customdata[2]}<extra></extra>"
                ),
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(
            range=[0, 1],
            tickformat=_PCT,
            title_text="China share of world production (%)",
            row=1,
            col=col,
        )
    fig.update_yaxes(categoryorder="array", categoryarray=categories, automargin=True)
    shown = f"top {len(order)} minerals" if top is not None else f"{len(order)} minerals"
    title = (
        f"China's share of world production by mineral and stage, latest year ≤ {year} "
        f"({_span(data['year'])}; {shown})<br><sup>Source: {_sources(data)}</sup>"
    )
    return _layout(fig, title, height=140 + _ROW_PX * max(len(order), 5))


def _at_year(frame: pd.DataFrame, keys: list[str], year: int) -> pd.DataFrame:
    """Rows of each ``keys`` group at its latest year ≤ ``year``."""
    frame = frame[frame["year"] <= year]
    last = frame.groupby(keys, dropna=False)["year"].transform("max")
    return frame[frame["year"] == last]


def _member_order(members: Sequence[str]) -> list[str]:
    names = sorted({str(m) for m in members} - {"zone"})
    return [*names, "zone"] if "zone" in set(members) else names


def member_dependence_heatmap(
    members: pd.DataFrame,
    *,
    year: int,
    names: Mapping[str, str] | None = None,
) -> go.Figure:
    """China's share (%) of each member's imports by value: members × minerals, one panel a stage.

    Parameters
    ----------
    members
        :attr:`Assessment.members` (``mineral, stage, year, member,
        import_reliance, china_import_share, intra_zone_share, import_hhi``);
        each mineral × stage at its latest year ≤ ``year``.
    year
        The assessment year.
    names
        Mineral id → display name.

    Returns
    -------
    plotly.graph_objects.Figure
        Heatmaps on the cividis scale (0–100%); the hover adds net import
        reliance, intra-zone sourcing and the import-source HHI. Empty cells: no
        imports recorded.
    """
    data = _at_year(members, ["mineral", "stage"], year)
    name = _names(data["mineral"], names)
    other = ~data["stage"].isin(["mining", "processing"])
    data = data.assign(
        name=name.where(~other, name + " (" + data["stage"].astype(str) + ")"),
        panel=data["stage"].where(~other, "processing"),
    )
    stages = [s for s in ("mining", "processing") if s in set(data["panel"])] or ["mining"]
    order = _member_order(data["member"].unique().tolist())
    fig = make_subplots(
        rows=len(stages),
        cols=1,
        vertical_spacing=0.26,
        subplot_titles=[f"{s.capitalize()} (trade in {_STAGE_GOODS[s]})" for s in stages],
    )
    for row, stage in enumerate(stages, start=1):
        part = data[data["panel"] == stage]
        cols = sorted(part["name"].unique())
        grid = {
            col: part.pivot_table(index="member", columns="name", values=col, aggfunc="first")
            .reindex(index=order, columns=cols)
            .astype(float)
            for col in (
                "china_import_share",
                "import_reliance",
                "intra_zone_share",
                "import_hhi",
                "year",
            )
        }
        extra = np.dstack([grid[c].to_numpy() for c in list(grid)[1:]])
        fig.add_trace(
            go.Heatmap(
                z=grid["china_import_share"].to_numpy(),
                x=cols,
                y=order,
                customdata=extra,
                zmin=0,
                zmax=1,
                colorscale=SHARE_SCALE,
                colorbar={
                    "title": {"text": "China share<br>of imports (%)"},
                    "tickformat": _PCT,
                    "len": 0.8,
                },
                showscale=row == 1,
                xgap=1,
                ygap=1,
                hovertemplate=(
                    "%{y}, %{x} (%{customdata[3]:.0f})"
                    "<br>China share of imports: %{z:.1%}"
                    "<br>Net import reliance: %{customdata[0]:.1%}"
                    "<br>Intra-zone sourcing: %{customdata[1]:.1%}"
                    "<br>Import-source HHI: %{customdata[2]:,.0f}<extra></extra>"
                ),
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(tickangle=-45, row=row, col=1)
        fig.update_yaxes(autorange="reversed", title_text="importer", row=row, col=1)
    title = (
        f"China's share of each member's imports (by value, %), latest year ≤ {year} "
        f"({_span(data['year'])})<br><sup>Source: CEPII BACI (HS92); 'zone' = the members "
        "as one bloc, intra-zone trade counted as domestic</sup>"
    )
    return _layout(fig, title, height=220 + 330 * len(stages))


_STAGE_GOODS: Final[dict[str, str]] = {
    "mining": "ores and concentrates",
    "processing": "refined products; other stages marked",
}


def default_trend_pairs(trend: pd.DataFrame, n: int = 6) -> list[tuple[str, str]]:
    """The ``n`` mineral × stage pairs with the highest mean China import share in the last year."""
    if trend.empty:
        return []
    last = trend[trend["year"] == trend["year"].max()]
    mean = last.groupby(["mineral", "stage"])["china_import_share"].mean()
    top = mean.dropna().sort_values(ascending=False, kind="stable").head(n)
    return [(str(m), str(s)) for m, s in top.index]


def china_import_trend(
    trend: pd.DataFrame,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    names: Mapping[str, str] | None = None,
    columns: int = 3,
) -> go.Figure:
    """China's share (%) of each member's imports by value over time, one panel per mineral.

    Parameters
    ----------
    trend
        :attr:`Assessment.china_import_trend` (``member, mineral, stage, year,
        china_import_share``).
    pairs
        (mineral, stage) panels to draw; default :func:`default_trend_pairs`.
    names
        Mineral id → display name.
    columns
        Panels per row.

    Returns
    -------
    plotly.graph_objects.Figure
        Small multiples sharing a 0–100% axis, one line per member (the zone as
        a bloc, where present, dashed black). Gaps are years without imports.
    """
    pairs = list(pairs) if pairs is not None else default_trend_pairs(trend)
    pairs = pairs or [("", "")]
    rows = -(-len(pairs) // columns)
    titles = [
        f"{_names(pd.Series([m]), names).iloc[0]} · {s}" if m else "no trade data" for m, s in pairs
    ]
    fig = make_subplots(
        rows=rows,
        cols=columns,
        shared_yaxes=True,
        shared_xaxes=True,
        subplot_titles=titles,
        horizontal_spacing=0.04,
        vertical_spacing=0.12,
    )
    order = _member_order(trend["member"].unique().tolist())
    colours = {m: MEMBER_COLOURS[i % len(MEMBER_COLOURS)] for i, m in enumerate(order)}
    colours["zone"] = OKABE_ITO["black"]
    for i, (mineral, stage) in enumerate(pairs):
        row, col = divmod(i, columns)
        part = trend[(trend["mineral"] == mineral) & (trend["stage"] == stage)]
        for member in order:
            line = part[part["member"] == member].sort_values("year")
            if line.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=line["year"],
                    y=line["china_import_share"],
                    mode="lines+markers",
                    name=member,
                    legendgroup=member,
                    showlegend=i == 0,
                    line={
                        "color": colours[member],
                        "width": 2,
                        "dash": "dash" if member == "zone" else "solid",
                    },
                    marker={"size": 4},
                    hovertemplate=member + " %{x}: %{y:.1%}<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
    fig.update_yaxes(range=[0, 1.02], tickformat=_PCT)
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text="China share of imports (%)", row=r, col=1)
    fig.update_xaxes(dtick=2, title_text="year", row=rows)
    title = (
        f"China's share of members' imports (by value, %), {_span(trend['year'])}"
        "<br><sup>Source: CEPII BACI (HS92); the minerals shown are those with the highest "
        "mean share in the latest year</sup>"
    )
    return _layout(fig, title, height=150 + 240 * rows)


def zone_vs_china(
    summary: pd.DataFrame,
    reserves: pd.DataFrame,
    *,
    year: int,
    names: Mapping[str, str] | None = None,
    top: int | None = 25,
) -> go.Figure:
    """Zone and China shares (%) of world mine production, processing and reserves per mineral.

    Parameters
    ----------
    summary
        :attr:`Assessment.summary` (``china_share``, ``zone_production_share``).
    reserves
        :attr:`Assessment.reserves` (``mineral, product, year,
        zone_reserves_share, china_reserves_share``).
    year
        The assessment year.
    names
        Mineral id → display name.
    top
        Keep the ``top`` minerals with the highest China share of production.

    Returns
    -------
    plotly.graph_objects.Figure
        Dumbbell panels (mining | processing | reserves): a line joins the
        zone's share (blue circle) to China's (vermillion diamond).
    """
    prod = summary.assign(label=mineral_labels(summary, names))
    res = reserves.assign(label=mineral_labels(reserves, names))
    order = prod.groupby("label")["china_share"].max().dropna().sort_values(ascending=False)
    if top is not None:
        order = order.head(top)
    panels: list[tuple[str, pd.DataFrame, str, str]] = [
        (
            "Mine production",
            prod[prod["stage"] == "mining"],
            "zone_production_share",
            "china_share",
        ),
        ("Processing", prod[prod["stage"] == "processing"], "zone_production_share", "china_share"),
        ("Reserves", res, "zone_reserves_share", "china_reserves_share"),
    ]
    fig = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=[p[0] for p in panels],
    )
    categories = list(order.index[::-1])
    for col, (panel, frame, zone_col, china_col) in enumerate(panels, start=1):
        part = frame[frame["label"].isin(order.index)]
        part = part[part[zone_col].notna() | part[china_col].notna()]
        gap = np.full(len(part), np.nan)
        xs = np.column_stack([part[zone_col], part[china_col], gap]).ravel()
        labels = part["label"].to_numpy(dtype=object)
        ys = np.column_stack([labels, labels, np.full(len(part), None)]).ravel()
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#bbbbbb", "width": 2},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        for who, column, colour, symbol in (
            ("Zone", zone_col, ZONE_COLOUR, "circle"),
            ("China", china_col, CHINA_COLOUR, "diamond"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=part[column],
                    y=part["label"],
                    mode="markers",
                    name=who,
                    legendgroup=who,
                    showlegend=col == 1,
                    marker={"color": colour, "symbol": symbol, "size": 9},
                    customdata=part[["year"]].astype(str).to_numpy(),
                    hovertemplate=(
                        "%{y}<br>"
                        + who
                        + ": %{x:.1%} of world "
                        + panel.lower()
                        + " (%{customdata[0]})<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(
            range=[-0.02, 1.02],
            tickformat=_PCT,
            title_text="share of world total (%)",
            row=1,
            col=col,
        )
    fig.update_yaxes(categoryorder="array", categoryarray=categories, automargin=True)
    title = (
        f"Zone vs China: share of world production and reserves, latest year ≤ {year} "
        f"(production {_span(prod['year'])}, reserves {_span(res['year'])})"
        f"<br><sup>Source: {_sources(prod) or 'USGS MCS'}; reserves USGS MCS</sup>"
    )
    return _layout(fig, title, height=160 + _ROW_PX * max(len(order), 5))


def production_map(
    country_shares: pd.DataFrame,
    geometry: Mapping[str, Any],
    *,
    mineral: str = "rare_earths",
    stage: str = "mining",
    year: int | None = None,
    source: str | None = None,
    product: str | None = None,
    names: Mapping[str, str] | None = None,
    country_names: Mapping[str, str] | None = None,
    basis: str = "",
) -> go.Figure:
    """World map of production (t) by country for one mineral, stage and year.

    Parameters
    ----------
    country_shares
        :attr:`Assessment.country_shares` (``source, mineral, stage, product,
        year, country, quantity_t, share, status``).
    geometry
        GeoJSON FeatureCollection with ``properties.iso3`` (see
        :func:`friendshore.data.geometry.read_world_geometry`).
    mineral, stage
        What to map.
    year
        Latest year ≤ ``year`` with data (default: the latest).
    source, product
        The series to map (default: the first source and product in sorted order).
    names, country_names
        Display names of minerals and countries.
    basis
        What the tonnes measure (e.g. "rare-earth-oxide (REO) equivalent"), for the title.

    Returns
    -------
    plotly.graph_objects.Figure
        Three choropleth layers over ``geometry`` only (``geo.visible`` is off,
        so no base map is drawn): every country but Antarctica in light grey,
        producing countries on the viridis scale, withheld or missing figures
        in mid grey.

    Notes
    -----
    plotly.js 3 still requests its own ``world_110m`` topojson for any
    choropleth; :func:`friendshore.report.html.write_report` registers an empty
    one in ``window.PlotlyGeoAssets`` so that nothing is fetched.
    """
    part = country_shares[
        (country_shares["mineral"] == mineral) & (country_shares["stage"] == stage)
    ]
    if year is not None:
        part = part[part["year"] <= year]
    if source is None and not part.empty:
        source = str(sorted(part["source"].unique())[0])
    part = part[part["source"] == source]
    if product is None and not part.empty:
        product = str(sorted(part["product"].fillna("").astype(str).unique())[0])
    part = part[part["product"].fillna("").astype(str) == (product or "")]
    shown_year = int(part["year"].max()) if not part.empty else year
    part = part[part["year"] == shown_year]
    features = [f for f in geometry["features"] if f["properties"]["iso3"] != "ATA"]
    drawn = {f["properties"]["iso3"] for f in features}
    part = part[part["country"].isin(drawn)]
    cname = dict(country_names or {})
    part = part.assign(name=part["country"].map(lambda c: cname.get(str(c), str(c))))
    positive = part[part["quantity_t"] > 0]
    zero = part[part["quantity_t"] == 0]
    unknown = part[part["quantity_t"].isna()]
    label = _names(pd.Series([mineral]), names).iloc[0]
    line = {"line": {"color": "white", "width": 0.4}}

    def flat(
        colour: str, text: pd.Series | list[str], name: str, locations: pd.Series | list[str]
    ) -> go.Choropleth:
        return go.Choropleth(
            geojson=geometry,
            featureidkey="properties.iso3",
            locations=locations,
            z=[0.0] * len(locations),
            text=text,
            colorscale=[[0, colour], [1, colour]],
            showscale=False,
            marker=line,
            hovertemplate="%{text}<extra></extra>",
            name=name,
        )

    everyone = [f["properties"]["iso3"] for f in features]
    fig = go.Figure()
    fig.add_trace(
        flat(
            NO_DATA_GREY,
            [
                cname.get(c, f["properties"]["name"]) + ": not listed"
                for c, f in zip(everyone, features, strict=True)
            ],
            "not listed",
            everyone,
        )
    )
    if not zero.empty:
        fig.add_trace(flat(NO_DATA_GREY, zero["name"] + ": 0 t", "zero", zero["country"]))
    if not unknown.empty:
        text = unknown["name"] + ": " + unknown["status"].astype(str)
        fig.add_trace(flat(WITHHELD_GREY, text, "withheld or missing", unknown["country"]))
    log_q = np.log10(positive["quantity_t"].to_numpy(dtype=float))
    lo = int(np.floor(log_q.min())) if len(log_q) else 0
    hi = int(np.ceil(log_q.max())) if len(log_q) else 1
    ticks = list(range(lo, max(hi, lo + 1) + 1))
    fig.add_trace(
        go.Choropleth(
            geojson=geometry,
            featureidkey="properties.iso3",
            locations=positive["country"],
            z=log_q,
            zmin=ticks[0],
            zmax=ticks[-1],
            customdata=positive[["name", "quantity_t", "share"]].to_numpy(dtype=object),
            colorscale=QUANTITY_SCALE,
            colorbar={
                "title": {"text": "production<br>(t, log scale)"},
                "tickvals": ticks,
                "ticktext": [f"{10.0**t:,.0f}" if t >= 0 else f"{10.0**t:g}" for t in ticks],
            },
            marker=line,
            hovertemplate=(
                "%{customdata[0]}: %{customdata[1]:,.0f} t "
                "(%{customdata[2]:.1%} of world)<extra></extra>"
            ),
            name="production",
        )
    )
    fig.update_geos(
        visible=False,
        scope="world",
        resolution=110,
        projection_type="natural earth",
        projection_rotation_lon=0,
        lonaxis_range=[-170, 190],
        lataxis_range=[-57, 84],
        bgcolor="rgba(0,0,0,0)",
    )
    what = f"{label} {stage}" + (f" ({product})" if product else "")
    n_unknown = f"; {len(unknown)} withheld or missing (dark grey)" if len(unknown) else ""
    title = (
        f"{what}: production by country, {shown_year} (t{', ' + basis if basis else ''})"
        f"<br><sup>Source: {source or 'no data'}; {len(positive)} producing countries"
        f"{n_unknown}; light grey: zero or not listed by the source</sup>"
    )
    fig = _layout(fig, title, height=520)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 80, "b": 0})
    return fig


def _us_labels(frame: pd.DataFrame, names: Mapping[str, str] | None) -> pd.Series:
    """``Mineral (series)`` where the salient file has several products, else the name."""
    base = _names(frame["mineral_id"], names)
    series = frame["series"].fillna("").astype(str)
    plain = (series == "") | (series == frame["mineral_id"].astype(str))
    return base.where(plain, base + " (" + series + ")")


def us_reliance_vs_published(
    frame: pd.DataFrame, *, year: int, names: Mapping[str, str] | None = None
) -> go.Figure:
    """U.S. net import reliance (%) computed from USGS's components beside USGS's published figure.

    Parameters
    ----------
    frame
        :func:`friendshore.metrics.us_published.us_reliance_published` (one row
        per commodity series, each at its latest year).
    year
        The assessment year (the latest year shown).
    names
        Mineral id → display name.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per commodity: the computed figure as a filled blue circle (an
        interval as a bar between its ends), USGS's published figure as an
        open vermillion diamond, or, where USGS publishes a bound, an open
        triangle at the bound pointing the way of the bound (``>50``: ▷ at 50%).
    """
    data = frame.assign(label=_us_labels(frame, names))
    lo = data["net_import_reliance_min"].astype(float)
    hi = data["net_import_reliance_max"].astype(float)
    pub = data["published"].astype(float)
    order = (
        data.assign(_key=hi.fillna(pub).fillna(-1.0))
        .sort_values(["_key", "label"], ascending=[True, False])["label"]
        .tolist()
    )
    fig = go.Figure()
    span = data[(lo.notna() & hi.notna()) & ((hi - lo) > 0.0005)]
    if not span.empty:
        gap = np.full(len(span), np.nan)
        xs = np.column_stack(
            [span["net_import_reliance_min"], span["net_import_reliance_max"], gap]
        ).ravel()
        labels = span["label"].to_numpy(dtype=object)
        ys = np.column_stack([labels, labels, np.full(len(span), None)]).ravel()
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name="computed interval",
                line={"color": ZONE_COLOUR, "width": 6},
                opacity=0.45,
                hoverinfo="skip",
            )
        )
    point = data[(lo.notna() & hi.notna()) & ((hi - lo) <= 0.0005)]
    fig.add_trace(
        go.Scatter(
            x=point["net_import_reliance_min"],
            y=point["label"],
            mode="markers",
            name="computed (USGS components)",
            marker={"color": ZONE_COLOUR, "symbol": "circle", "size": 9},
            customdata=point[["year"]].astype(str).to_numpy(),
            hovertemplate="%{y}: computed %{x:.1%} (%{customdata[0]})<extra></extra>",
        )
    )
    bound = data["published_bound"].fillna("").astype(str)
    for name, mask, symbol in (
        ("published", pub.notna() & (bound == ""), "diamond-open"),
        ("published bound (>)", pub.notna() & (bound == ">"), "triangle-right-open"),
        ("published bound (<)", pub.notna() & (bound == "<"), "triangle-left-open"),
    ):
        part = data[mask]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["published"],
                y=part["label"],
                mode="markers",
                name=f"USGS {name}",
                marker={
                    "color": CHINA_COLOUR,
                    "symbol": symbol,
                    "size": 11,
                    "line": {"width": 2, "color": CHINA_COLOUR},
                },
                customdata=part[["published_text", "year"]].astype(str).to_numpy(),
                hovertemplate="%{y}: USGS %{customdata[0]}% (%{customdata[1]})<extra></extra>",
            )
        )
    low_end = min(-0.02, float(lo.min()) - 0.02) if lo.notna().any() else -0.02
    fig.update_xaxes(range=[low_end, 1.02], tickformat=_PCT, title_text="net import reliance (%)")
    fig.update_yaxes(categoryorder="array", categoryarray=order, automargin=True)
    title = (
        f"United States: net import reliance computed vs USGS published, latest year ≤ {year} "
        f"({_span(data['year'])})"
        "<br><sup>Source: USGS MCS salient statistics and Fig. 2; net exporters (E) "
        "and figures USGS does not publish are not drawn</sup>"
    )
    fig = _layout(fig, title, height=160 + _ROW_PX * max(len(order), 5))
    fig.update_layout(legend={"orientation": "h", "y": -0.12})
    return fig
