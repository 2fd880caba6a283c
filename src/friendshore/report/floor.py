"""The summary, Plotly figures and offline HTML report of a price-floor run (USD).

:func:`floor_summary` folds a :class:`~friendshore.policy.floors.FloorResult` into
one row per mineral × stage (× product): the reference and market price ranges
over the period, the levy range, tariff revenue, consumer cost, the producers'
gain, China's share of zone supply before and after (last year) and, with a
contract for differences, its fiscal cost; ``friendshore floor run`` prints it
and the report shows it. :func:`floor_figures` draws the levy path per year, the
revenue against the consumer cost and the CfD's fiscal cost, and China's share
before and after. :func:`write_floor_outputs` writes the CSV files (levies,
market, CfD, one tariff schedule per year) and ``index.html``, staged in a
temporary folder and moved into place only once every file is written.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from friendshore.data.catalog import read_minerals
from friendshore.data.floor_files import write_schedule_csv
from friendshore.report.figures import CHINA_COLOUR, MEMBER_COLOURS, OKABE_ITO, ZONE_COLOUR
from friendshore.report.html import (
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
    from friendshore.policy.floors import FloorResult

__all__ = [
    "SUMMARY_COLUMNS",
    "TOTAL_LABELS",
    "floor_figures",
    "floor_summary",
    "levy_by_year",
    "render_floor_report",
    "total_label",
    "write_floor_outputs",
]

#: Keys of a market row (``product`` where the result has it).
_KEYS: Final = ("mineral_id", "stage", "product")
#: Columns of :func:`floor_summary`, in order.
SUMMARY_COLUMNS: Final = (
    "mineral_id",
    "stage",
    "product",
    "first_year",
    "last_year",
    "reference_min_usd_per_t",
    "reference_max_usd_per_t",
    "market_min_usd_per_t",
    "market_max_usd_per_t",
    "levy_min_usd_per_t",
    "levy_max_usd_per_t",
    "tariff_revenue_usd",
    "consumer_cost_usd",
    "producer_revenue_gain_usd",
    "production_gain_t",
    "china_share_before",
    "china_share_after",
    "cfd_fiscal_cost_usd",
)
_MILLION: Final = 1e6


def _keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in _KEYS if k in frame.columns]


def _sum(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.groupby(keys, dropna=False).size().index)
    return frame.groupby(keys, dropna=False)[column].sum(min_count=1)


def floor_summary(result: FloorResult) -> pd.DataFrame:
    """Return one row per mineral × stage (× product) of a floor run, over its years.

    Parameters
    ----------
    result
        A floor run (:func:`friendshore.policy.floors.run_floor`).

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS`: the first and last year; the reference, market
        (landed price of non-member offers without the floor, weighted by
        tonnes) and levy ranges (US$ per tonne of the traded product, over
        years, and for the levy over members and origins); tariff revenue,
        consumer cost and producers' revenue gain (US$, summed over years); the
        production gain (t, members' production after the floor less before,
        summed over years); China's share of zone supply before and after in the
        last year; the CfD's fiscal cost (US$, summed; missing without a CfD).
    """
    market = result.market
    if market is None or market.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    keys = _keys(market)
    grouped = market.groupby(keys, dropna=False)
    out = pd.DataFrame(
        {
            "first_year": grouped["year"].min(),
            "last_year": grouped["year"].max(),
            "reference_min_usd_per_t": grouped["reference_usd_per_t"].min(),
            "reference_max_usd_per_t": grouped["reference_usd_per_t"].max(),
            "market_min_usd_per_t": grouped["market_usd_per_t"].min(),
            "market_max_usd_per_t": grouped["market_usd_per_t"].max(),
            "tariff_revenue_usd": _sum(market, keys, "tariff_revenue_usd"),
            "consumer_cost_usd": _sum(market, keys, "consumer_cost_usd"),
            "producer_revenue_gain_usd": _sum(market, keys, "producer_revenue_gain_usd"),
        }
    )
    gain = market.assign(
        production_gain_t=market["production_after_t"] - market["zone_production_t"]
    )
    out["production_gain_t"] = _sum(gain, keys, "production_gain_t")
    last = market.sort_values("year").groupby(keys, dropna=False).tail(1).set_index(keys)
    out["china_share_before"] = last["china_share_before"]
    out["china_share_after"] = last["china_share_after"]
    levies = result.levies
    levy_keys = [k for k in keys if k in levies.columns]
    if not levies.empty and levy_keys == keys:
        by = levies.groupby(keys, dropna=False)["levy_usd_per_t"]
        out["levy_min_usd_per_t"] = by.min()
        out["levy_max_usd_per_t"] = by.max()
        # prices per tonne of the traded product, like the levy (the market frame
        # states them per tonne of the balance's basis)
        ref = levies.groupby(keys, dropna=False)["reference_usd_per_t"]
        out["reference_min_usd_per_t"] = ref.min()
        out["reference_max_usd_per_t"] = ref.max()
        outside = levies[levies["origin_group"] != "member"]
        value = outside["landed_usd_per_t"] * outside["import_t"]
        yearly = (
            outside.assign(_value=value)
            .groupby([*keys, "year"], dropna=False)[["_value", "import_t"]]
            .sum()
        )
        landed = (yearly["_value"] / yearly["import_t"].where(yearly["import_t"] > 0)).groupby(
            keys, dropna=False
        )
        out["market_min_usd_per_t"] = landed.min()
        out["market_max_usd_per_t"] = landed.max()
    else:
        out["levy_min_usd_per_t"] = np.nan
        out["levy_max_usd_per_t"] = np.nan
    cfd = result.cfd
    if cfd is not None and not cfd.empty and "fiscal_cost_usd" in cfd.columns:
        out["cfd_fiscal_cost_usd"] = _sum(cfd, _keys(cfd), "fiscal_cost_usd")
    else:
        out["cfd_fiscal_cost_usd"] = np.nan
    out = out.reset_index()
    if "product" not in out.columns:
        out["product"] = None
        if not levies.empty:
            products = (
                levies.groupby(["mineral_id", "stage"])["product"]
                .agg(lambda p: "; ".join(sorted({str(x) for x in p.dropna()})))
                .rename("_products")
            )
            out = out.join(products, on=["mineral_id", "stage"])
            out["product"] = out.pop("_products").replace("", None)
    return out[list(SUMMARY_COLUMNS)].sort_values(["mineral_id", "stage"], ignore_index=True)


def levy_by_year(result: FloorResult) -> pd.DataFrame:
    """The levy per year of each mineral × stage (× product), weighted by non-member imports.

    Returns
    -------
    pandas.DataFrame
        Keys, ``year``, ``levy_usd_per_t`` (import-weighted mean over members and
        non-member origins; the plain mean where no import has a tonnage),
        ``landed_usd_per_t`` (likewise), ``ad_valorem`` (their ratio),
        ``levy_max_usd_per_t``, ``reference_usd_per_t``.
    """
    levies = result.levies
    keys = _keys(levies)
    columns = [
        *keys,
        "year",
        "levy_usd_per_t",
        "landed_usd_per_t",
        "ad_valorem",
        "levy_max_usd_per_t",
        "reference_usd_per_t",
    ]
    if levies.empty:
        return pd.DataFrame(columns=columns)
    frame = levies.loc[levies["origin_group"] != "member"].copy()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    weight = frame["import_t"].fillna(0.0).clip(lower=0.0)
    frame["_w"] = weight
    frame["_wl"] = weight * frame["levy_usd_per_t"]
    frame["_wp"] = weight * frame["landed_usd_per_t"]
    by = frame.groupby([*keys, "year"], dropna=False)
    agg = pd.DataFrame(
        {
            "_w": by["_w"].sum(),
            "_wl": by["_wl"].sum(),
            "_wp": by["_wp"].sum(),
            "_ml": by["levy_usd_per_t"].mean(),
            "_mp": by["landed_usd_per_t"].mean(),
            "levy_max_usd_per_t": by["levy_usd_per_t"].max(),
            "reference_usd_per_t": by["reference_usd_per_t"].max(),
        }
    )
    weighted = agg["_w"] > 0
    agg["levy_usd_per_t"] = np.where(weighted, agg["_wl"] / agg["_w"].where(weighted), agg["_ml"])
    agg["landed_usd_per_t"] = np.where(weighted, agg["_wp"] / agg["_w"].where(weighted), agg["_mp"])
    landed = agg["landed_usd_per_t"].where(agg["landed_usd_per_t"] > 0)
    agg["ad_valorem"] = agg["levy_usd_per_t"] / landed
    return agg.reset_index()[columns]


def _mineral_names() -> dict[str, str]:
    minerals = read_minerals()
    return dict(zip(minerals["mineral_id"], minerals["name"], strict=True))


def _label(row: Mapping[Any, Any], names: Mapping[str, str]) -> str:
    mineral = str(row["mineral_id"])
    text = f"{names.get(mineral, mineral)}, {row['stage']}"
    product = row.get("product")
    if isinstance(product, str) and product:
        text += f" ({product})"
    return text


def floor_figures(
    result: FloorResult, *, names: Mapping[str, str] | None = None
) -> list[tuple[str, go.Figure, str]]:
    """Return the figures of a floor run as (id, figure, caption).

    Parameters
    ----------
    result
        A floor run.
    names
        Mineral id → display name (default: the catalog's names).

    Returns
    -------
    list of (str, plotly.graph_objects.Figure, str)
        The levy path per year (import-weighted, as a share of the reference; US$
        per tonne and the ad valorem equivalent in the hover text) per mineral ×
        stage; tariff revenue, consumer cost and (with a CfD) its fiscal cost per
        year (million US$); China's
        share of zone supply before and after in the last year. Empty when the
        run has no market row.
    """
    market = result.market
    if market is None or market.empty:
        return []
    labels = dict(names) if names is not None else _mineral_names()
    figures: list[tuple[str, go.Figure, str]] = []

    path = levy_by_year(result)
    if not path.empty:
        fig = go.Figure()
        keys = _keys(path)
        for i, (_, part) in enumerate(path.groupby(keys, dropna=False, sort=True)):
            first = part.iloc[0].to_dict()
            reference = part["reference_usd_per_t"].where(part["reference_usd_per_t"] > 0)
            fig.add_trace(
                go.Scatter(
                    x=part["year"],
                    y=part["levy_usd_per_t"] / reference,
                    mode="lines+markers",
                    name=_label(first, labels),
                    line={"color": MEMBER_COLOURS[i % len(MEMBER_COLOURS)]},
                    customdata=part[
                        ["levy_usd_per_t", "reference_usd_per_t", "ad_valorem"]
                    ].to_numpy(dtype=float),
                    hovertemplate=(
                        "%{x}: levy US$%{customdata[0]:,.0f}/t, %{y:.1%} of the reference "
                        "US$%{customdata[1]:,.0f}/t (ad valorem %{customdata[2]:.1%})"
                        "<extra></extra>"
                    ),
                )
            )
        fig.update_xaxes(title_text="year", dtick=1)
        fig.update_yaxes(
            title_text="levy, share of the reference price (%)", tickformat=".0%", range=[0, 1.02]
        )
        figures.append(
            (
                "floor-levy-path",
                figure_layout(
                    fig,
                    f"Levy path per year ({_mode_text(result)})"
                    "<br><sup>import-weighted mean over members and non-member origins</sup>",
                    height=440,
                ),
                "The levy on imports from outside the zone each year, as a share of the "
                "reference price, so that minerals of any price compare (hover: US$ per "
                "tonne and the ad valorem equivalent on the landed price). Members' imports "
                "from each other pay nothing.",
            )
        )

    years = market.groupby("year")
    money = pd.DataFrame(
        {
            "tariff_revenue_usd": years["tariff_revenue_usd"].sum(),
            "consumer_cost_usd": years["consumer_cost_usd"].sum(),
        }
    )
    cfd = result.cfd
    if cfd is not None and not cfd.empty and "fiscal_cost_usd" in cfd.columns:
        money["cfd_fiscal_cost_usd"] = cfd.groupby("year")["fiscal_cost_usd"].sum()
    bars = go.Figure()
    parts = (
        ("tariff_revenue_usd", "tariff revenue", ZONE_COLOUR),
        ("consumer_cost_usd", "consumer cost", OKABE_ITO["orange"]),
        ("cfd_fiscal_cost_usd", "CfD fiscal cost", OKABE_ITO["reddish_purple"]),
    )
    for column, name, colour in parts:
        if column in money.columns:
            bars.add_trace(
                go.Bar(
                    x=money.index,
                    y=money[column] / _MILLION,
                    name=name,
                    marker={"color": colour},
                    hovertemplate=f"%{{x}}: {name} US$%{{y:,.1f}} m<extra></extra>",
                )
            )
    bars.update_layout(barmode="group")
    bars.update_xaxes(title_text="year", dtick=1)
    bars.update_yaxes(title_text="million US$")
    figures.append(
        (
            "floor-money",
            figure_layout(bars, "Tariff revenue, consumer cost and CfD fiscal cost", height=420),
            "Sums over every mineral and stage of the run (million US$ a year). A contract "
            "for differences costs consumers nothing; the treasury pays the gap instead.",
        )
    )

    summary = floor_summary(result)
    shares = summary.dropna(subset=["china_share_before", "china_share_after"], how="all")
    if not shares.empty:
        text = [_label(r, labels) for r in shares.to_dict("records")]
        fig = go.Figure()
        fig.add_trace(
            go.Bar(
                y=text,
                x=shares["china_share_before"],
                orientation="h",
                name="before the floor",
                marker={"color": CHINA_COLOUR},
                hovertemplate="%{y}: %{x:.1%} before<extra></extra>",
            )
        )
        fig.add_trace(
            go.Bar(
                y=text,
                x=shares["china_share_after"],
                orientation="h",
                name="with the floor",
                marker={"color": ZONE_COLOUR},
                hovertemplate="%{y}: %{x:.1%} with the floor<extra></extra>",
            )
        )
        fig.update_layout(barmode="group")
        fig.update_xaxes(title_text="China's share of zone supply (%)", tickformat=".0%")
        fig.update_yaxes(autorange="reversed", automargin=True)
        figures.append(
            (
                "floor-china-share",
                figure_layout(
                    fig,
                    "China's share of zone supply before and with the floor (last year)",
                    height=160 + 44 * len(shares),
                ),
                "Share of the zone's supply (members' production plus imports) coming from "
                "rival origins, in the last year of the run.",
            )
        )
    return figures


def _mode_text(result: FloorResult) -> str:
    return {
        "uniform": "uniform variable levy",
        "per-origin": "per-origin gap levy",
        "min-price-quota": "minimum import price with a quota",
    }.get(str(result.mode), str(result.mode))


def _money(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value) / _MILLION:,.1f}"


def _price(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    v = float(value)
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"


_SUMMARY_HTML: Final[dict[str, tuple[str, Callable[[Any], str]]]] = {
    "mineral_id": ("mineral", format_text),
    "stage": ("stage", format_text),
    "product": ("product", format_text),
    "first_year": ("from", format_text),
    "last_year": ("to", format_text),
    "reference_min_usd_per_t": ("reference min (US$/t)", _price),
    "reference_max_usd_per_t": ("reference max (US$/t)", _price),
    "market_min_usd_per_t": ("market min (US$/t)", _price),
    "market_max_usd_per_t": ("market max (US$/t)", _price),
    "levy_min_usd_per_t": ("levy min (US$/t)", _price),
    "levy_max_usd_per_t": ("levy max (US$/t)", _price),
    "tariff_revenue_usd": ("tariff revenue (US$ m)", _money),
    "consumer_cost_usd": ("consumer cost (US$ m)", _money),
    "producer_revenue_gain_usd": ("producers' gain (US$ m)", _money),
    "production_gain_t": ("production gain (t)", format_number),
    "china_share_before": ("China share before", format_share),
    "china_share_after": ("China share after", format_share),
    "cfd_fiscal_cost_usd": ("CfD fiscal cost (US$ m)", _money),
}


def _reference_text(result: FloorResult) -> str:
    ref: Any = result.reference
    name = getattr(ref, "name", None) or getattr(ref, "id", "reference file")
    parts = [f"<p><strong>{html.escape(str(name))}</strong>"]
    for attr in ("version", "date", "as_of"):
        value = getattr(ref, attr, None)
        if value:
            parts.append(f" · {attr} {html.escape(str(value))}")
    parts.append("</p>")
    if getattr(ref, "illustrative", False):
        parts.append("<p><strong>ILLUSTRATIVE:</strong> these reference prices are not policy.</p>")
    for attr in ("description", "source"):
        value = getattr(ref, attr, None)
        if value:
            parts.append(f"<p>{html.escape(str(value))}</p>")
    return "".join(parts)


def render_floor_report(result: FloorResult) -> str:
    """Return the self-contained HTML document of a floor run."""
    ref: Any = result.reference
    ref_id = str(getattr(ref, "id", "floor"))
    title = f"Price floor: {getattr(ref, 'name', ref_id)}"
    years = [int(y) for y in result.years] if result.years is not None else []
    span = f"{min(years)}–{max(years)}" if years else "all years"
    summary = floor_summary(result)
    if not summary["product"].notna().any():
        summary = summary.drop(columns=["product"])
    if result.cfd is None:
        summary = summary.drop(columns=["cfd_fiscal_cost_usd"])
    columns = {c: v for c, v in _SUMMARY_HTML.items() if c in summary.columns}
    numeric = frozenset(c for c in columns if c not in ("mineral_id", "stage", "product"))
    figures = "".join(
        figure_html(fig, div_id, caption) for div_id, fig, caption in floor_figures(result)
    )
    totals = "".join(
        f"<tr><th>{html.escape(total_label(str(k)))}</th>"
        f"<td class=num>{html.escape(_total(k, v))}</td></tr>"
        for k, v in result.totals.items()
    )
    assumptions = "".join(f"<li>{html.escape(a)}</li>" for a in result.assumptions)
    cfd = " · with a contract for differences" if result.cfd is not None else ""
    meta = f"{ref_id} · {_mode_text(result)} · {span}{cfd} · friendshore {package_version()}"
    body = f"""
<main>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="meta">{html.escape(meta)}</p>
</header>
<section id="reference">
<h2>The reference prices</h2>
{_reference_text(result)}
</section>
<section id="totals">
<h2>Totals</h2>
<div class="scroll"><table><tbody>{totals}</tbody></table></div>
</section>
<section id="figures">
{figures or "<p>No mineral of the reference file has a market row: nothing to plot.</p>"}
</section>
<section id="summary">
<h2>By mineral and stage</h2>
{html_table(summary, columns, numeric=numeric)}
</section>
<section id="assumptions">
<h2>Assumptions</h2>
<ul>{assumptions}</ul>
</section>
<section id="attribution">
<h2>Data attribution and licences</h2>
{attribution_html()}
</section>
</main>"""
    return html_document(title, body)


def _total(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    v = float(value)
    if key.endswith("_usd"):
        sign, a = ("-" if v < 0 else ""), abs(v)
        if a >= 1e9:
            return f"{sign}US${a / 1e9:,.1f} bn"
        if a >= _MILLION:
            return f"{sign}US${a / _MILLION:,.1f} m"
        return f"{sign}US${a:,.0f}"
    if "share" in key:
        return f"{v:.1%}"
    if key.endswith("_t"):
        return f"{v:,.0f} t"
    return f"{v:,.6g}"


#: Words for the keys of :attr:`FloorResult.totals`.
TOTAL_LABELS: Final[dict[str, str]] = {
    "tariff_revenue_usd": "tariff revenue, first order (the same tonnes at the levy)",
    "consumer_cost_usd": "consumer cost, first order",
    "quota_rent_usd": "quota rent kept by exporters",
    "import_nonmember_t": "imports from non-members",
    "import_levied_t": "imports levied",
    "import_member_t": "imports from members (never levied)",
    "market_tariff_revenue_usd": "tariff revenue, market model",
    "market_consumer_cost_usd": "consumer cost, market model",
    "market_producer_revenue_gain_usd": "members' producer revenue gain, market model",
    "cfd_fiscal_cost_usd": "CfD fiscal cost",
}


def total_label(key: str) -> str:
    """Words for a key of the totals: ``cfd_fiscal_cost_usd`` → ``CfD fiscal cost``."""
    if key in TOTAL_LABELS:
        return TOTAL_LABELS[key]
    for suffix in ("_usd", "_t"):
        key = key.removesuffix(suffix)
    return key.replace("_", " ")


def write_floor_outputs(
    result: FloorResult, out_dir: Path, *, schedules: Mapping[int, pd.DataFrame]
) -> list[Path]:
    """Write a floor run's files into ``out_dir``; return their paths.

    ``levies.csv``, ``market.csv``, ``cfd.csv`` (with a CfD), one
    ``schedule-<year>.csv`` per entry of ``schedules`` (the tariff schedule
    ``friendshore tariff smart`` reads) and ``index.html``. Every file is first
    written into a temporary folder inside ``out_dir``; only when all are
    written are they moved over their names (a rename each), so a failure
    leaves ``out_dir`` as it was.
    """
    files: dict[str, Callable[[Path], object]] = {"levies.csv": csv_file(result.levies)}
    if result.market is not None:
        files["market.csv"] = csv_file(result.market)
    if result.cfd is not None:
        files["cfd.csv"] = csv_file(result.cfd)
    for year, frame in sorted(schedules.items()):
        # a floor below every landed price has no rate row: an empty CSV with the header
        files[f"schedule-{year}.csv"] = (
            csv_file(frame) if frame.empty else functools.partial(write_schedule_csv, frame)
        )
    files["index.html"] = html_file(render_floor_report(result))
    return write_outputs(out_dir, files, prefix="floor")
