"""The U.S. section of ``assess`` and ``metrics dependence``: computed beside USGS's published.

A compact table (fits 100 columns): mineral, year, net import reliance computed
from USGS's salient components (an interval prints as ``38–61%``), the figure
USGS publishes as written (``>50%``), the difference in percentage points and
whether they agree; why they differ is listed under the table by mineral. The frame it
reads is :func:`friendshore.metrics.us_published.us_reliance_published`.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from friendshore.cli.cells import first_text, interval, number

if TYPE_CHECKING:
    import pandas as pd

#: Width of the terminal the section must fit.
TABLE_WIDTH = 100

_SHORT = {
    "within 5 pp": "agrees",
    "inside published bound": "inside bound",
    "overlaps published bound": "overlaps bound",
    "overlaps published figure": "overlaps",
    "differs": "differs",
    "not comparable": "not comparable",
}


@dataclass(frozen=True)
class USSection:
    """Cells, title and footnotes of the U.S. section."""

    frame: pd.DataFrame
    title: str
    footnotes: list[str]
    right: frozenset[str]


def published_text(text: Any) -> str | None:
    """USGS's figure as written, with its unit: ``'44' → '44%'``, ``'>50' → '>50%'``.

    ``E`` (net exporter) prints as ``net exporter``; ``NA``, ``W`` or nothing as ``None``.

    Examples
    --------
    >>> published_text("44"), published_text(">50"), published_text("E"), published_text("NA")
    ('44%', '>50%', 'net exporter', None)
    """
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.strip()
    if t.upper() == "E":
        return "net exporter"
    if re.fullmatch(r"[<>]?\s*\d+(\.\d+)?", t):
        return f"{t.replace(' ', '')}%"
    if t.upper() in ("NA", "W", "XX"):
        return None
    return t


def difference_text(value: Any) -> str | None:
    """Percentage points with a sign: ``0.337 → '+0.3'``, ``-12 → '-12.0'``, ``None`` if missing.

    Examples
    --------
    >>> difference_text(0.337), difference_text(-12), difference_text(0.0), difference_text(None)
    ('+0.3', '-12.0', '0.0', None)
    """
    v = number(value)
    if v is None or math.isinf(v):
        return None
    return "0.0" if round(v, 1) == 0 else f"{v:+.1f}"


def label(row: Any) -> str:
    """``mineral (series)`` where the salient file has several products, else the mineral."""
    series = row.get("series") if isinstance(row, dict) else getattr(row, "series", "")
    mineral = row.get("mineral_id") if isinstance(row, dict) else row.mineral_id
    series = series if isinstance(series, str) else ""
    return f"{mineral} ({series})" if series and series != mineral else str(mineral)


def us_section(frame: pd.DataFrame, *, year: int | None = None) -> USSection:
    """The U.S. section's cells: one row per commodity series (and year) of ``frame``.

    A figure that cannot be given prints as ``n/a``; why it cannot, and why the
    two figures differ, is listed under the table by mineral (no footnote
    markers, so they never mix with the main table's ``—¹``).
    """
    import pandas as pd

    cells: dict[str, list[str]] = {
        "mineral": [],
        "year": [],
        "computed": [],
        "USGS\npublished": [],
        "diff\n(pp)": [],
        "agreement": [],
    }
    why: dict[str, list[str]] = {}
    for rec in frame.to_dict("records"):
        reason = first_text([rec.get("reason")])
        name = label(rec)
        cells["mineral"].append(name)
        cells["year"].append(str(int(rec["year"])))
        computed = interval(
            rec.get("net_import_reliance"),
            rec.get("net_import_reliance_min"),
            rec.get("net_import_reliance_max"),
        )
        cells["computed"].append(computed or "n/a")
        pub = published_text(rec.get("published_text"))
        cells["USGS\npublished"].append(pub or "n/a")
        diff = difference_text(rec.get("difference_pp"))
        if diff is None:
            diff = "·" if computed is not None and pub is not None else ""
        cells["diff\n(pp)"].append(diff)
        agreement = str(rec.get("agreement") or "not comparable")
        cells["agreement"].append(_SHORT.get(agreement, agreement))
        if agreement not in ("within 5 pp", "inside published bound"):
            text = reason or ("USGS publishes no figure" if pub is None else "no reason recorded")
            years = why.setdefault(f"{name}: {text}", [])
            years.append(str(int(rec["year"])))
    body = pd.DataFrame(cells)
    n_agree = sum(a in ("agrees", "inside bound") for a in cells["agreement"])
    when = f"latest year ≤ {year}" if year is not None else "by year"
    title = (
        f"USA: net import reliance computed from USGS salient components beside USGS's "
        f"published figure ({when}); {n_agree} of {len(body)} agree"
    )
    legend = (
        "agrees: within 5 pp of USGS's figure; inside bound: the whole computed interval lies "
        "inside a published bound such as >50%; ·: no difference in pp where either figure is "
        "a range or a bound. Source: USGS MCS salient statistics and Fig. 2."
    )
    footnotes = textwrap.wrap(legend, width=TABLE_WIDTH, break_on_hyphens=False)
    if why:
        footnotes.append("Why they differ or cannot be compared:")
    for text, years in why.items():
        span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
        line = text if year is not None else f"{text} ({span})"
        footnotes.extend(
            textwrap.wrap(
                line,
                width=TABLE_WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    return USSection(
        frame=body,
        title=title,
        footnotes=footnotes,
        right=frozenset({"year", "computed", "USGS\npublished", "diff\n(pp)"}),
    )


__all__ = ["TABLE_WIDTH", "USSection", "difference_text", "label", "published_text", "us_section"]
