"""The self-contained, offline HTML report of a zone assessment.

:func:`write_report` writes one ``index.html`` that needs nothing but a
browser: plotly.js is inlined once, the figures are ``<div>``s drawn by inline
scripts, the world map uses the bundled Natural Earth geometry, and a
Content-Security-Policy forbids the page from loading anything from anywhere.
"""

from __future__ import annotations

import html
import json
import numbers
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from friendshore._core.errors import InputError, ValidationError
from friendshore.data.catalog import read_minerals
from friendshore.data.countries import read_countries
from friendshore.data.geometry import read_world_geometry
from friendshore.data.sources import SOURCES
from friendshore.metrics.assessment import Assessment
from friendshore.report import figures

#: File name of the report inside ``out_dir``.
REPORT_NAME: Final = "index.html"
#: Rows per stage in the ranked summary table.
SUMMARY_ROWS: Final = 15
#: Key of the bundled world geometry in ``window.PlotlyGeoAssets``: every map
#: trace names it instead of carrying its own copy of the GeoJSON.
GEOJSON_KEY: Final = "friendshore:naturalearth-110m"
#: plotly.js fetches ``<topojsonURL>/<scope>_<resolution>m.json`` from its CDN
#: for any geo subplot, even with the base map hidden; an empty topology
#: registered under that name stops the request.
TOPOJSON_NAME: Final = "world_110m"
_EMPTY_TOPOLOGY: Final[dict[str, Any]] = {
    "type": "Topology",
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
    "arcs": [],
}

_PLOTLY_CONFIG: Final[dict[str, Any]] = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

Formatter = Callable[[Any], str]


def _na(value: Any) -> bool:
    """True for None, NaN and pandas' NA (a string is never missing here)."""
    if isinstance(value, str):
        return False
    return value is None or bool(pd.isna(value))


def _share(value: Any) -> str:
    return "n/a" if _na(value) else f"{float(value):.1%}"


def share_range(value: Any, low: Any = None, high: Any = None) -> str:
    """A share (0–1) as a percentage, or the range its bounds allow, or ``'n/a'``.

    Examples
    --------
    >>> share_range(0.125), share_range(None, 0.0, 0.0213), share_range(0.0), share_range(None)
    ('12.5%', '0.0–2.1%', '0.0%', 'n/a')
    """
    if not _na(value):
        return _share(value)
    if _na(low) or _na(high):
        return "n/a" if _na(low) else f"≥{_share(low)}"
    lo, hi = _share(low), _share(high)
    return lo if lo == hi else f"{lo.removesuffix('%')}–{hi}"


def _number(value: Any) -> str:
    return "n/a" if _na(value) else f"{float(value):,.0f}"


def _decimal(value: Any) -> str:
    return "n/a" if _na(value) else f"{float(value):,.2f}"


def _text(value: Any) -> str:
    return "" if _na(value) else str(value)


def _coverage(value: Any) -> str:
    """Coverage as the metrics give it: a fraction (shown as %) or a text note."""
    if _na(value):
        return "n/a"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.0%}"
    return str(value)


def _band(value: Any) -> str:
    """A DOJ band without the repeated word: 'highly concentrated' → 'highly'."""
    text = _text(value)
    return text.removesuffix(" concentrated") if text != "unconcentrated" else text


def _share_bar(value: Any) -> str:
    if _na(value):
        return "n/a"
    width = max(0.0, min(1.0, float(value))) * 60
    return f'{float(value):.1%}<span class="bar" style="width:{width:.0f}px"></span>'


def _table(
    frame: pd.DataFrame,
    columns: Mapping[str, tuple[str, Formatter]],
    *,
    numeric: frozenset[str] = frozenset(),
    raw_html: frozenset[str] = frozenset(),
) -> str:
    """Render ``frame`` as an HTML table: ``columns`` maps column → (header, formatter)."""
    head = "".join(
        f"<th{' class=num' if col in numeric else ''}>{html.escape(title)}</th>"
        for col, (title, _) in columns.items()
    )
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for col, (_, fmt) in columns.items():
            text = fmt(record.get(col))
            body = text if col in raw_html else html.escape(text)
            cls = " ".join(
                c for c in ("num" if col in numeric else "", "na" if text == "n/a" else "") if c
            )
            cells.append(f'<td class="{cls}">{body}</td>' if cls else f"<td>{body}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _zone_section(assessment: Assessment, country_names: Mapping[str, str]) -> str:
    zone = assessment.zone

    def names(codes: frozenset[str] | set[str]) -> str:
        return ", ".join(f"{country_names.get(c, c)} ({c})" for c in sorted(codes))

    members = pd.DataFrame(
        {
            "member": list(zone.members),
            "n": [len(group) for group in zone.members.values()],
            "countries": [names(set(group)) for group in zone.members.values()],
        }
    )
    table = _table(
        members,
        {"member": ("member", _text), "n": ("countries", _text), "countries": ("", _text)},
        numeric=frozenset({"n"}),
    )
    extra = [f"<li><strong>Rivals</strong>: {html.escape(names(set(zone.rivals)) or 'none')}</li>"]
    if zone.partners:
        extra.append(
            f"<li><strong>Partners</strong>: {html.escape(names(set(zone.partners)))}</li>"
        )
    if zone.candidates:
        extra.append(
            f"<li><strong>Candidates</strong>: {html.escape(', '.join(zone.candidates))}</li>"
        )
    extra.append(
        "<li><strong>Supply-risk trade parameter</strong> t<sub>c</sub>: "
        f"{zone.trade_parameter_member:g} for members, {zone.trade_parameter_partner:g} for "
        f"partners, {zone.trade_parameter_default:g} for everyone else</li>"
    )
    source = (
        f" Zone file: <code>{html.escape(Path(zone.source).name)}</code>." if zone.source else ""
    )
    return (
        f"<p><strong>{html.escape(zone.name)}</strong>: {len(zone.members)} members, "
        f"{len(zone.countries)} countries. Trade among the countries of one member, and "
        f"among all members when the zone is taken as one bloc, counts as domestic.{source}</p>"
        f"{table}<ul>{''.join(extra)}</ul>"
    )


def _zone_import_share(assessment: Assessment) -> pd.DataFrame:
    """China's share of the zone's (bloc) imports per mineral and stage, latest year ≤ year."""
    zone_rows = assessment.members[
        (assessment.members["member"] == "zone") & (assessment.members["year"] <= assessment.year)
    ]
    if zone_rows.empty:
        return pd.DataFrame(columns=["mineral", "stage", "zone_china_import_share"])
    last = zone_rows.groupby(["mineral", "stage"])["year"].transform("max")
    latest = zone_rows[zone_rows["year"] == last]
    return latest[["mineral", "stage", "china_import_share"]].rename(
        columns={"china_import_share": "zone_china_import_share"}
    )


def _summary_section(assessment: Assessment, mineral_names: Mapping[str, str]) -> str:
    summary = assessment.summary.merge(
        _zone_import_share(assessment), on=["mineral", "stage"], how="left"
    )
    summary = summary.assign(
        label=figures.mineral_labels(summary, mineral_names),
        zone_production_range=[
            share_range(v, lo, hi)
            for v, lo, hi in zip(
                summary["zone_production_share"],
                summary["zone_production_share_min"],
                summary["zone_production_share_max"],
                strict=True,
            )
        ],
    )
    columns: dict[str, tuple[str, Formatter]] = {
        "rank": ("#", _text),
        "label": ("mineral", _text),
        "year": ("year", _text),
        "source": ("source", _text),
        "china_share": ("China share of world", _share_bar),
        "top3_share": ("top-3 share", _share),
        "hhi": ("HHI", _number),
        "hhi_band": ("concentration", _band),
        "zone_production_range": ("zone share of world", _text),
        "zone_reserves_share": ("zone share of reserves", _share),
        "zone_self_sufficiency": ("zone self-sufficiency", _share),
        "zone_china_import_share": ("China share of zone imports", _share),
        "supply_risk": ("supply risk (EU CRM)", _decimal),
        "geopolrisk": ("GeoPolRisk", _decimal),
        "coverage": ("figures known", _coverage),
    }
    numeric = frozenset(columns) - {"label", "source", "hhi_band"}
    parts = [
        "<p>Minerals ranked by China's share of world production, for each stage, at the "
        f"latest year up to {assessment.year} that each series has. Shares are of the world "
        "total the source publishes (USGS rounds it); n/a means the figure is withheld, "
        "missing or not computable, never zero; a range (0.0–2.1%) means only its bounds are known "
        "(a member's figure withheld, or a source listing top producers only whose rest of the "
        "world may hold members). HHI is on 0–10,000 with the U.S. DOJ bands "
        "(below 1,500 unconcentrated, 1,500–2,500 moderately, above 2,500 highly "
        "concentrated). Zone self-sufficiency is zone production over zone apparent "
        "consumption. 'Figures known' is the share of the series' country figures that are "
        "neither withheld nor missing.</p>"
    ]
    for stage in ("mining", "processing", "components"):
        part = summary[summary["stage"] == stage]
        if part.empty:
            continue
        ranked = part.sort_values(
            ["china_share", "hhi"], ascending=False, na_position="last", kind="stable"
        ).head(SUMMARY_ROWS)
        ranked = ranked.assign(rank=range(1, len(ranked) + 1))
        parts.append(
            f"<h3>{html.escape(stage.capitalize())}: top {len(ranked)} of {len(part)}</h3>"
        )
        parts.append(_table(ranked, columns, numeric=numeric, raw_html=frozenset({"china_share"})))
    return "\n".join(parts)


def _published_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return "n/a"
    t = value.strip()
    if t.upper() == "E":
        return "net exporter"
    return f"{t}%" if t.lstrip("<>").replace(".", "", 1).isdigit() else t


def _computed(record: Mapping[Any, Any]) -> str:
    lo: Any = record.get("net_import_reliance_min")
    hi: Any = record.get("net_import_reliance_max")
    if _na(lo) or _na(hi):
        return "n/a"
    if abs(float(hi) - float(lo)) <= 0.0005:
        return f"{float(lo):.0%}"
    return f"{float(lo) * 100:.0f}–{float(hi):.0%}"


def _us_section(us: pd.DataFrame | None, year: int, mineral_names: Mapping[str, str]) -> str:
    """The U.S. net import reliance computed beside USGS's published figure: table and dots."""
    if us is None or us.empty:
        return (
            "<p>Not shown: the zone does not count the United States as a member, or the "
            "store holds no USGS salient statistics.</p>"
        )
    minerals = read_minerals()
    critical = set(minerals.loc[minerals["usgs_critical_2022"], "mineral_id"])
    frame = us[us["mineral_id"].isin(critical)]
    if frame.empty:
        return "<p>No critical mineral has a USGS salient balance.</p>"
    frame = frame.assign(
        label=figures._us_labels(frame, mineral_names),
        computed=[_computed(r) for r in frame.to_dict("records")],
    )
    agree = frame["agreement"].isin(("within 5 pp", "inside published bound"))
    columns: dict[str, tuple[str, Formatter]] = {
        "label": ("mineral", _text),
        "year": ("year", _text),
        "computed": ("computed from USGS components", _text),
        "published_text": ("USGS published", _published_text),
        "difference_pp": ("difference (pp)", _signed_pp),
        "agreement": ("agreement", _text),
        "reason": ("why they differ", _text),
        "release": ("edition", _text),
    }
    fig = figures.us_reliance_vs_published(frame, year=year, names=mineral_names)
    return "\n".join(
        [
            "<p>U.S. net import reliance computed by friendshore from USGS's own U.S. "
            "components (salient statistics: production, imports, exports, stocks, apparent "
            "consumption) beside the figure USGS publishes (salient statistics, MCS Fig. 2), "
            f"for the critical minerals, each at its latest year up to {year}. The two are "
            "never blended. Agreement: within 5 percentage points of a published point, or "
            "the whole computed interval inside a published bound such as &gt;50%; "
            f"<strong>{int(agree.sum())} of {len(frame)}</strong> agree. An interval "
            "(38–61%) means a component is withheld (W) or published as a bound.</p>",
            _table(
                frame,
                columns,
                numeric=frozenset({"year", "computed", "published_text", "difference_pp"}),
            ),
            _figure(
                fig,
                "fig-us-published",
                "Computed (blue; a bar where it is an interval) against USGS's published "
                "figure (open vermillion diamond; an open triangle at a published bound, "
                "pointing the way of the bound: ▷ at 50% for >50%). Source: USGS MCS "
                "salient statistics and Fig. 2 (public domain).",
            ),
        ]
    )


def _signed_pp(value: Any) -> str:
    if _na(value):
        return "n/a"
    v = float(value)
    return "0.0" if round(v, 1) == 0 else f"{v:+.1f}"


def _figure(fig: go.Figure, div_id: str, caption: str) -> str:
    div = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=_PLOTLY_CONFIG,
        validate=True,
    )
    return f'<div class="figure">{div}</div><p class="caption">{caption}</p>'


def _geo_assets(geometry: Mapping[str, Any]) -> str:
    """JavaScript registering the bundled geometry (and the empty topology) with plotly.js."""

    def js(value: Any) -> str:  # JSON is JavaScript; "</" must not close the <script>
        return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")

    return (
        "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
        "PlotlyGeoAssets.topojson = PlotlyGeoAssets.topojson || {};"
        f"PlotlyGeoAssets.topojson[{js(TOPOJSON_NAME)}] = {js(_EMPTY_TOPOLOGY)};"
        f"PlotlyGeoAssets[{js(GEOJSON_KEY)}] = {js(geometry)};"
    )


def _map_series(assessment: Assessment, mineral: str) -> tuple[str, str | None, str | None]:
    """Stage, source and product to map for ``mineral``: mining where it has data."""
    rows = assessment.country_shares[assessment.country_shares["mineral"] == mineral]
    if rows.empty:
        known = ", ".join(sorted(assessment.country_shares["mineral"].unique()))
        raise ValidationError(f"no production by country for mineral {mineral!r}; known: {known}")
    stages = set(rows["stage"])
    stage = "mining" if "mining" in stages else sorted(stages)[0]
    chosen = assessment.summary[
        (assessment.summary["mineral"] == mineral) & (assessment.summary["stage"] == stage)
    ]
    if chosen.empty:
        return stage, None, None
    first = chosen.assign(product=chosen["product"].fillna("")).sort_values("product").iloc[0]
    return stage, str(first["source"]), str(first["product"])


def _figures_html(
    assessment: Assessment, map_mineral: str, geometry: Mapping[str, Any]
) -> dict[str, str]:
    minerals = read_minerals()
    names = dict(zip(minerals["mineral_id"], minerals["name"], strict=True))
    basis = dict(zip(minerals["mineral_id"], minerals["unit_basis"], strict=True))
    countries = read_countries()
    country_names = dict(zip(countries["iso3"], countries["name"], strict=True))
    year = assessment.year
    stage, source, product = _map_series(assessment, map_mineral)
    trend_pairs = figures.default_trend_pairs(assessment.china_import_trend)
    world_map = figures.production_map(
        assessment.country_shares,
        geometry,
        mineral=map_mineral,
        stage=stage,
        year=year,
        source=source,
        product=product,
        names=names,
        country_names=country_names,
        basis=basis.get(map_mineral, "") if stage == "mining" else "",
    )
    world_map.update_traces(geojson=GEOJSON_KEY, selector={"type": "choropleth"})
    return {
        "fig_china_share": _figure(
            figures.china_share_by_stage(assessment.summary, year=year, names=names),
            "fig-china-share",
            "China's share of each mineral's world production, mine output and processing "
            "(refining, smelting) side by side. Each bar is the series' latest year; "
            "minerals without a China figure are not drawn.",
        ),
        "fig_members": _figure(
            figures.member_dependence_heatmap(assessment.members, year=year, names=names),
            "fig-members",
            "Share of each member's imports (by value) that comes from China, per mineral and "
            "stage. Hover for net import reliance, intra-zone sourcing and the import-source "
            "HHI. Blank cells: no imports recorded.",
        ),
        "fig_trend": _figure(
            figures.china_import_trend(
                assessment.china_import_trend, pairs=trend_pairs, names=names
            ),
            "fig-trend",
            "China's share of each member's imports by value, year by year, for the minerals "
            "where it is highest in the latest year.",
        ),
        "fig_zone_vs_china": _figure(
            figures.zone_vs_china(assessment.summary, assessment.reserves, year=year, names=names),
            "fig-zone-vs-china",
            "The zone's combined share (blue circles) against China's (vermillion diamonds) "
            "of world mine production, processing and reserves.",
        ),
        "fig_map": _figure(
            world_map,
            "fig-map",
            "Production by country. Country shapes: Natural Earth 1:110m (public domain), "
            "bundled with friendshore.",
        ),
    }


def _sources_section(assessment: Assessment, mineral_names: Mapping[str, str]) -> str:
    summary = assessment.summary
    n = len(summary)
    with_china = int(summary["china_share"].notna().sum())
    notes = [
        f"{n} production series (mineral × stage × product), {with_china} with a China figure.",
        "Production: USGS Mineral Commodity Summaries wherever USGS lists countries for a "
        "mineral and stage (every producing country, other countries and a world total); the "
        "IEA Critical Minerals Data Explorer where only it covers a stage (refined cobalt, "
        "nickel, lithium chemicals, battery-grade graphite, magnet rare earths: top "
        "producers and rest of world).",
        "Trade: CEPII BACI (HS 1992), 2015–2024; ores and concentrates count as mining, "
        "oxides, carbonates, hydroxides and unwrought metal as processing.",
        "Withheld (USGS 'W') and missing figures are NULL and shown as n/a; a share is "
        "never filled with zero. The coverage column says how much of each series was known.",
    ]
    partial = int(((summary["n_withheld"] + summary["n_missing"]) > 0).sum())
    notes.append(f"{partial} of {n} series have some country figures withheld or missing.")
    sources = assessment.sources
    if "mineral" in sources.columns:
        sources = sources.assign(
            mineral=figures.mineral_labels(sources.assign(product=""), mineral_names)
        )
    table = _table(sources, {c: (c.replace("_", " "), _text) for c in sources.columns})
    latest = assessment.source_comparison
    latest = latest[latest["year"] == latest.groupby(["mineral", "stage"])["year"].transform("max")]
    comparison = _table(
        latest,
        {
            "mineral": ("mineral", _text),
            "stage": ("stage", _text),
            "product": ("product", _text),
            "year": ("year", _text),
            "source": ("source", _text),
            "release": ("release", _text),
            "world_quantity_t": ("world (t)", _number),
            "china_share": ("China share", _share),
            "top3_share": ("top-3 share", _share),
            "coverage": ("known", _coverage),
            "default": ("used by default", lambda v: "yes" if v else "no"),
        },
        numeric=frozenset({"world_quantity_t", "china_share", "top3_share", "coverage"}),
    )
    return (
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        f"<details><summary>Source used for each mineral and stage ({len(sources)} rows), "
        f"the alternatives and why</summary>{table}</details>"
        "<details open><summary>Where USGS and the IEA both cover a stage: both figures "
        f"(latest common year)</summary>{comparison}</details>"
    )


def _attribution_section() -> str:
    rows = pd.DataFrame([vars(info) for info in SOURCES.values()])
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                [
                    {
                        "source": f"plotly.js {get_plotlyjs_version()}",
                        "publisher": "Plotly, Inc.",
                        "licence": "MIT",
                        "citation": "plotly.js, inlined in this file to draw the figures",
                        "url": "https://github.com/plotly/plotly.js",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    table = _table(
        rows,
        {
            "source": ("dataset", _text),
            "publisher": ("publisher", _text),
            "licence": ("licence", _text),
            "citation": ("cite as", _text),
            "url": ("where", _text),
        },
    )
    return (
        "<p>Every figure in this report comes from the datasets below, redistributed "
        "under their licences (see <code>DATA-LICENSES.md</code>). Links are given as "
        "text; this page loads nothing from the network.</p>" + table
    )


def _package_version() -> str:
    try:
        return version("friendshore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def render_report(
    assessment: Assessment,
    *,
    map_mineral: str = "rare_earths",
    generated: datetime | None = None,
    us_published: pd.DataFrame | None = None,
) -> str:
    """Return the report of ``assessment`` as one self-contained HTML document.

    ``us_published`` (:func:`friendshore.metrics.us_published.us_reliance_of`)
    adds the U.S. net import reliance computed beside USGS's published figure.

    Raises
    ------
    ValidationError
        If ``map_mineral`` has no production by country in the assessment.
    """
    generated = generated or datetime.now(UTC)
    minerals = read_minerals()
    names = dict(zip(minerals["mineral_id"], minerals["name"], strict=True))
    countries = read_countries()
    country_names = dict(zip(countries["iso3"], countries["name"], strict=True))
    zone = assessment.zone
    title = f"Dependence on China: {zone.name}"
    subtitle = (
        f"Data up to {assessment.year} · generated {generated:%Y-%m-%d %H:%M} UTC by "
        f"friendshore {_package_version()} · members: {', '.join(zone.members)} · "
        f"rival{'s' if len(zone.rivals) != 1 else ''}: {', '.join(sorted(zone.rivals))}"
    )
    geometry = read_world_geometry()
    template = Template(
        files("friendshore.report").joinpath("templates", "report.html").read_text("utf-8")
    )
    return template.substitute(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        version=html.escape(_package_version()),
        plotlyjs=get_plotlyjs(),
        geoassets=_geo_assets(geometry),
        zone=_zone_section(assessment, country_names),
        summary=_summary_section(assessment, names),
        us_published=_us_section(us_published, assessment.year, names),
        sources=_sources_section(assessment, names),
        attribution=_attribution_section(),
        footer=html.escape(
            f"friendshore {_package_version()} · plotly.js {get_plotlyjs_version()} · "
            f"generated {generated:%Y-%m-%d} · code Apache-2.0, data under the licences above"
        ),
        **_figures_html(assessment, map_mineral, geometry),
    )


def write_report(
    assessment: Assessment,
    out_dir: Path,
    *,
    map_mineral: str = "rare_earths",
    us_published: pd.DataFrame | None = None,
) -> Path:
    """Write the self-contained HTML report of ``assessment`` to ``out_dir/index.html``.

    The file is written to a temporary file in ``out_dir`` and renamed over
    ``index.html``, so a reader never sees half a report. Nothing else is written.

    Parameters
    ----------
    assessment
        The result of :func:`friendshore.metrics.assessment.assess`.
    out_dir
        Folder of the report (created if needed).
    map_mineral
        Mineral of the world production map.
    us_published
        U.S. net import reliance computed beside USGS's published figure
        (:func:`friendshore.metrics.us_published.us_reliance_of`), or ``None``.

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Raises
    ------
    ValidationError
        If ``map_mineral`` has no production by country in the assessment.
    """
    document = render_report(assessment, map_mineral=map_mineral, us_published=us_published)
    return write_html(document, out_dir)


# --- public building blocks, shared with the scenario report ------------------------------


def check_report_dir(out_dir: Path) -> None:
    """Raise :class:`InputError` if ``out_dir`` exists and is not a folder (check before work)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder (give a folder for the report)")


def csv_file(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer of ``frame`` as CSV (no index, ``\\n`` line ends), for :func:`write_outputs`."""

    def write(path: Path) -> None:
        frame.to_csv(path, index=False, lineterminator="\n")

    return write


def html_file(document: str) -> Callable[[Path], None]:
    """A writer of an HTML ``document`` (UTF-8), for :func:`write_outputs`."""

    def write(path: Path) -> None:
        path.write_text(document, encoding="utf-8", newline="\n")

    return write


def write_outputs(
    out_dir: Path, files: Mapping[str, Callable[[Path], object]], *, prefix: str
) -> list[Path]:
    """Write a set of output files into ``out_dir`` all or nothing; return their paths.

    Each writer of ``files`` (name → a function that writes the file at the path it
    is given) first writes into a temporary folder inside ``out_dir``; only when all
    are written are they moved over their names (a rename each), so a failure leaves
    ``out_dir`` as it was.

    Raises
    ------
    InputError
        If ``out_dir`` is a file or cannot be created.
    """
    check_report_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=out_dir))
    try:
        for name, write in files.items():
            write(staging / name)
        paths = []
        for name in files:
            (staging / name).chmod(0o644)
            os.replace(staging / name, out_dir / name)
            paths.append(out_dir / name)
        return paths
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_html(document: str, out_dir: Path, *, name: str = REPORT_NAME) -> Path:
    """Write ``document`` to ``out_dir/name`` atomically and return its path.

    The text goes to a temporary file in ``out_dir`` that is renamed over
    ``name``, so a reader never sees half a report; nothing else is left behind.

    Raises
    ------
    InputError
        If ``out_dir`` is a file, or cannot be created.
    """
    check_report_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the report folder ({exc.strerror})") from None
    target = out_dir / name
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(document)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def page_head(title: str) -> str:
    """The ``<head>`` content of every report: charset, the CSP, the styles and plotly.js.

    Taken from the assessment report's template, so both reports share one
    Content-Security-Policy (nothing may be loaded from anywhere) and one style
    sheet; plotly.js is inlined once.
    """
    text = files("friendshore.report").joinpath("templates", "report.html").read_text("utf-8")
    start = text.index("<head>") + len("<head>")
    end = text.index("<script>$plotlyjs</script>")
    head = Template(text[start:end]).safe_substitute(
        title=html.escape(title), version=html.escape(_package_version())
    )
    return f"{head}<script>{get_plotlyjs()}</script>\n"


def html_document(title: str, body: str) -> str:
    """A whole self-contained report page: :func:`page_head` and ``body`` (``<main>…</main>``)."""
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{page_head(title)}</head>\n<body>'
        f"{body}\n</body>\n</html>\n"
    )


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, tuple[str, Formatter]],
    *,
    numeric: frozenset[str] = frozenset(),
    raw_html: frozenset[str] = frozenset(),
) -> str:
    """Render ``frame`` as an HTML table: ``columns`` maps column → (header, formatter)."""
    return _table(frame, columns, numeric=numeric, raw_html=raw_html)


def figure_html(fig: go.Figure, div_id: str, caption: str) -> str:
    """A figure as a ``<div>`` drawn by an inline script (plotly.js not included), with caption."""
    return _figure(fig, div_id, caption)


def attribution_html() -> str:
    """The data attribution and licences section (datasets and plotly.js)."""
    return _attribution_section()


def package_version() -> str:
    """The installed friendshore version ('unknown' in a bare source tree)."""
    return _package_version()


#: Cell formatters: a share as a percentage, a whole number, two decimals, text;
#: missing values show as "n/a" (text as empty).
format_share: Final[Formatter] = _share
format_number: Final[Formatter] = _number
format_decimal: Final[Formatter] = _decimal
format_text: Final[Formatter] = _text


def figure_layout(fig: go.Figure, title: str, *, height: int) -> go.Figure:
    """Give ``fig`` the reports' common layout: title at left, font, white template."""
    return figures._layout(fig, title, height)
