"""The terminal table of ``friendshore assess``: the columns that answer its question.

Default (fits 100 columns): mineral, stage, the rival's share of world output,
the zone's share of world output, the zone's net import reliance, the share of
the zone's imports sourced from the rival, and supply risk. ``--wide`` adds the
rest. Every blank is ``—`` with a footnote giving its reason; intervals print
as ``38–61%``.

Reads the assessment's interval convention: for a metric ``X`` the frame may
carry ``X`` (point), ``X_min``/``X_max`` (bounds) and ``X_note`` (why ``X`` is
not a point, or why even the bounds are missing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from friendshore.cli.cells import (
    EN_DASH,
    Footnotes,
    first_text,
    interval,
    number,
    quantity_t,
)
from friendshore.data.names import mineral_name

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.metrics.assessment import Assessment

#: Columns of the zone's own dependence, taken from ``Assessment.members`` (``member = 'zone'``)
#: when the summary does not carry them: summary name → members name.
ZONE_COLUMNS: dict[str, str] = {
    "zone_import_reliance": "import_reliance",
    "zone_rival_import_share": "china_import_share",
}

#: Width of the terminal the default table must fit.
TABLE_WIDTH = 100

#: Under a table with a range: what a range means (each record's reason is in its JSON).
RANGE_NOTE = [
    "a–b: not known exactly, only its bounds (a member's figure withheld or a bound, or a source",
    "  listing top producers only whose rest of the world may hold members); the reason per",
    "  figure is its *_note field in --format json. 0% is a known zero.",
]


@dataclass(frozen=True)
class AssessTable:
    """What :func:`assess_table` prints: the cells, their title and the footnotes."""

    frame: pd.DataFrame
    title: str
    footnotes: list[str]
    shown: int
    total: int
    right: frozenset[str]


def _suffix(frame: pd.DataFrame, name: str, suffix: str) -> pd.Series | None:
    col = f"{name}{suffix}"
    return frame[col] if col in frame.columns else None


def with_zone_dependence(result: Assessment) -> pd.DataFrame:
    """The summary with the zone's import reliance and rival sourcing (and their bounds, notes).

    Takes ``zone_import_reliance[_min|_max|_note]`` and
    ``zone_rival_import_share`` from the summary where it has them, else from the
    ``member = 'zone'`` rows of :attr:`Assessment.members` of the record's year.
    """
    summary = result.summary.copy()
    members = result.members
    zone_rows = members[members["member"] == "zone"]
    keys = ["mineral", "stage", "year"]
    take: dict[str, str] = {}
    for target, source in ZONE_COLUMNS.items():
        if target in summary.columns:
            continue
        for suffix in ("", "_min", "_max", "_note"):
            if f"{source}{suffix}" in zone_rows.columns:
                take[f"{source}{suffix}"] = f"{target}{suffix}"
    if "china_import_share" in take and "zone_china_import_share" in summary.columns:
        del take["china_import_share"]
    if take:
        extra = zone_rows[[*keys, *take]].rename(columns=take).drop_duplicates(keys)
        summary = summary.merge(extra, on=keys, how="left", indicator="zone_has_trade")
        summary["zone_has_trade"] = summary["zone_has_trade"] == "both"
    else:
        summary["zone_has_trade"] = True
    if "zone_rival_import_share" not in summary.columns and (
        "zone_china_import_share" in summary.columns
    ):
        summary["zone_rival_import_share"] = summary["zone_china_import_share"]
    return summary


@dataclass(frozen=True)
class _Column:
    header: str
    metric: str
    kind: str  # percent | decimal | quantity | text | int
    wide: bool
    reason: Callable[[Any], str]


def _row_get(row: Any, name: str) -> Any:
    return getattr(row, name, None)


def _no_world(row: Any) -> str:
    if number(_row_get(row, "world_quantity_t")) is None:
        return "the source gives no world total for this mineral and stage"
    return "the source gives no country breakdown for this product"


def _trade_reason(row: Any) -> str:
    if not _row_get(row, "zone_has_trade"):
        return "no HS code of the concordance maps to this mineral and stage: no trade data"
    note = first_text([_row_get(row, "zone_import_reliance_note")])
    return note or "the zone's production or trade is not known for the year"


def _sourcing_reason(row: Any) -> str:
    if not _row_get(row, "zone_has_trade"):
        return _trade_reason(row)
    return "the zone's imports have no value in the year"


def _risk_reason(row: Any) -> str:
    note = first_text([_row_get(row, "supply_risk_note")])
    return note or "needs the zone's import reliance: " + _trade_reason(row)


def _suff_reason(row: Any) -> str:
    note = first_text([_row_get(row, "zone_self_sufficiency_note")])
    return note or "needs the zone's import reliance: " + _trade_reason(row)


def _reserves_reason(row: Any) -> str:
    if row.stage != "mining":
        return "reserves are published for the mining stage only"
    return "no reserves in the sources for this mineral"


def _gpr_reason(row: Any) -> str:
    if not _row_get(row, "zone_has_trade"):
        return _trade_reason(row)
    return "GeoPolRisk needs the zone's import quantities and production shares of the same year"


def _generic(what: str) -> Callable[[Any], str]:
    def reason(row: Any) -> str:
        return f"no {what} in the sources for this mineral and stage"

    return reason


def _columns(rival: str) -> list[_Column]:
    return [
        _Column(rival, "china_share", "percent", False, _no_world),
        _Column("zone\noutput", "zone_production_share", "percent", False, _no_world),
        _Column("zone import\nreliance", "zone_import_reliance", "percent", False, _trade_reason),
        _Column(
            f"zone imports\nfrom {rival}",
            "zone_rival_import_share",
            "percent",
            False,
            _sourcing_reason,
        ),
        _Column("supply\nrisk", "supply_risk", "decimal", False, _risk_reason),
        _Column("year", "year", "int", True, _generic("year")),
        _Column("source", "source", "text", True, _generic("source")),
        _Column("world output", "world_quantity_t", "quantity", True, _no_world),
        _Column("top 3", "top3_share", "percent", True, _no_world),
        _Column("HHI", "hhi", "int", True, _no_world),
        _Column("zone\nreserves", "zone_reserves_share", "percent", True, _reserves_reason),
        _Column("self-\nsufficiency", "zone_self_sufficiency", "percent", True, _suff_reason),
        _Column("GeoPol-\nRisk", "geopolrisk", "decimal3", True, _gpr_reason),
        _Column("known", "coverage", "percent", True, _no_world),
    ]


def _format(row: Any, col: _Column) -> str | None:
    value = _row_get(row, col.metric)
    if col.kind in ("percent", "decimal", "decimal3"):
        # X_min without X_max is a lower bound only (e.g. the known members' output)
        low = _row_get(row, f"{col.metric}_min")
        high = _row_get(row, f"{col.metric}_max")
        kind = "percent" if col.kind == "percent" else "decimal"
        return interval(value, low, high, kind=kind, digits=3 if col.kind == "decimal3" else 2)
    if col.kind == "quantity":
        return quantity_t(value)
    if col.kind == "int":
        v = number(value)
        return None if v is None else f"{v:,.0f}" if col.metric != "year" else str(int(v))
    return None if value is None or value != value else str(value)  # noqa: PLR0124 (NaN)


def rival_label(codes: frozenset[str], names: dict[str, str]) -> str:
    """The rival's name for headers: ``China`` for ``{CHN}``, else the codes joined."""
    if len(codes) == 1:
        (code,) = codes
        return names.get(code, code)
    return "rivals" if len(codes) > 3 else "+".join(sorted(codes))


def assess_table(
    result: Assessment,
    critical: set[str],
    *,
    rival: str = "China",
    added: list[str] | None = None,
    top: int = 20,
    wide: bool = False,
) -> AssessTable:
    """Cells, title and footnotes of the ``assess`` table (critical minerals, ranked).

    Rows: the critical mineral × stage records of the summary, ranked by the
    rival's share of world output of the stage, then HHI; the first ``top``
    (all if ``top`` is 0). Columns: see the module docstring.
    """
    import pandas as pd

    summary = with_zone_dependence(result)
    ranked = summary[summary["mineral"].isin(critical)].sort_values(
        ["china_share", "hhi"], ascending=False, na_position="last"
    )
    total = len(ranked)
    shown_rows = ranked if top <= 0 else ranked.head(top)
    notes = Footnotes()
    cols = [c for c in _columns(rival) if wide or not c.wide]
    cells: dict[str, list[str]] = {"mineral": [], "stage": []}
    for c in cols:
        cells[c.header] = []
    for row in shown_rows.itertuples(index=False):
        product = str(row.product or "")
        mineral = mineral_name(str(row.mineral), short=bool(product))
        cells["mineral"].append(f"{mineral} ({product})" if product else mineral)
        cells["stage"].append(str(row.stage))
        for c in cols:
            text = _format(row, c)
            cells[c.header].append(notes.cell(text, c.reason(row)))
    frame = pd.DataFrame(cells)
    title = result.zone.name
    if added:
        title += f", with {', '.join(added)} added by --add-member"
    title += (
        f": {len(shown_rows)} of {total} critical mineral × stage records, ranked by "
        f"{rival}'s share of world output of the stage (latest year ≤ {result.year})"
    )
    footnotes = notes.lines(width=TABLE_WIDTH)
    if any(EN_DASH in text for column in cells.values() for text in column):
        footnotes.extend(RANGE_NOTE)
    if len(shown_rows) < total:
        footnotes.append(f"{total - len(shown_rows)} more records: --top 0 shows all.")
    return AssessTable(
        frame=frame,
        title=title,
        footnotes=footnotes,
        shown=len(shown_rows),
        total=total,
        right=frozenset(c.header for c in cols if c.kind != "text"),
    )


__all__ = ["TABLE_WIDTH", "AssessTable", "assess_table", "rival_label", "with_zone_dependence"]
