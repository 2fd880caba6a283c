"""``friendshore assess --compare YEAR``: the change of each metric, as a table, JSON or CSV.

The table (fits 100 columns) ranks the critical records as ``assess`` does and
shows the rival's share of world output then and now and its change in
percentage points, and the change of the zone's share of world output, of its
net import reliance and of supply risk. ``--wide`` adds then / now / change of
every compared metric. Ranges print as ranges (``-41–+52``), and every blank
is ``—`` with its reason under the table, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from friendshore._core.types import OutputFormat
from friendshore.cli.assess_table import RANGE_NOTE, TABLE_WIDTH, AssessTable
from friendshore.cli.cells import EN_DASH, Footnotes, first_text, interval, number
from friendshore.data.names import mineral_name
from friendshore.metrics.compare import METRIC_LABELS

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.metrics.assessment import Assessment
    from friendshore.model.supply import SupplyNetwork

__all__ = [
    "change_text",
    "compare_records",
    "compare_summary",
    "compare_table",
    "emit_compared",
]


def change_text(value: Any, low: Any = None, high: Any = None, *, kind: str = "pp") -> str | None:
    """A change as signed percentage points (``kind='pp'``, fractions in) or a signed score.

    A point prints as ``+2.1`` (``0.0`` for no change); bounds as ``-41–+52`` (or
    ``≥-41``, ``≤+52`` where one side is open); ``None`` where nothing is known.

    Examples
    --------
    >>> change_text(0.021), change_text(None, -0.41, 0.52), change_text(0.0)
    ('+2.1', '-41–+52', '0.0')
    >>> change_text(-0.314, kind="score"), change_text(None, -0.1, None), change_text(None)
    ('-0.31', '≥-10', None)
    >>> change_text(-0.00001), change_text(0.00001)
    ('>-0.1', '<+0.1')
    """
    scale, point_digits, range_digits = (100.0, 1, 0) if kind == "pp" else (1.0, 2, 2)

    def fmt(v: float, digits: int) -> str:
        text = f"{v * scale:+,.{digits}f}"
        if float(text.replace(",", "")) != 0:
            return text
        if v == 0:
            return text.lstrip("+-")
        step = f"{10.0**-digits:.{digits}f}"  # a non-zero change never prints as 0
        return f"<+{step}" if v > 0 else f">-{step}"

    v = number(value)
    if v is not None:
        return fmt(v, point_digits)
    lo, hi = number(low), number(high)
    if lo is None and hi is None:
        return None
    if hi is None:
        return f"≥{fmt(lo, range_digits)}" if lo is not None else None
    if lo is None:
        return f"≤{fmt(hi, range_digits)}"
    a, b = fmt(lo, range_digits), fmt(hi, range_digits)
    return a if a == b else f"{a}{EN_DASH}{b}"


@dataclass(frozen=True)
class _Col:
    header: str
    metric: str
    part: str  # then | now | change
    kind: str  # percent | decimal | int


#: Compared metrics of the wide table: (metric, header word, value kind).
_WIDE: list[tuple[str, str, str]] = [
    ("china_share", "{rival}", "percent"),
    ("zone_production_share", "zone output", "percent"),
    ("zone_import_reliance", "import reliance", "percent"),
    ("zone_rival_import_share", "imports from {rival}", "percent"),
    ("zone_self_sufficiency", "self-sufficiency", "percent"),
    ("supply_risk", "supply risk", "decimal"),
    ("hhi", "HHI", "int"),
    ("geopolrisk", "GeoPolRisk", "decimal"),
]


def _columns(rival: str, then: int, now: int, *, wide: bool) -> list[_Col]:
    if not wide:
        return [
            _Col(f"{rival}\n{then}", "china_share", "then", "percent"),
            _Col(f"{rival}\n{now}", "china_share", "now", "percent"),
            _Col(f"{rival}\nΔ pp", "china_share", "change", "percent"),
            _Col("zone out-\nput Δ pp", "zone_production_share", "change", "percent"),
            _Col("import re-\nliance Δ pp", "zone_import_reliance", "change", "percent"),
            _Col("supply\nrisk Δ", "supply_risk", "change", "decimal"),
        ]
    cols = []
    for metric, word, kind in _WIDE:
        label = word.format(rival=rival)
        unit = "Δ pp" if kind == "percent" else "Δ"
        cols += [
            _Col(f"{label}\n{then}", metric, "then", kind),
            _Col(f"{label}\n{now}", metric, "now", kind),
            _Col(f"{label}\n{unit}", metric, "change", kind),
        ]
    return cols


def _cell(row: dict[str, Any], col: _Col) -> str | None:
    m = col.metric
    if col.part == "change":
        kind = "pp" if col.kind == "percent" else "score"
        if col.kind == "int":
            v = number(row.get(f"{m}_change"))
            return None if v is None else f"{v:+,.0f}" if v else "0"
        return change_text(
            row.get(f"{m}_change"),
            row.get(f"{m}_change_min"),
            row.get(f"{m}_change_max"),
            kind=kind,
        )
    value = row.get(f"{m}_{col.part}")
    if col.kind == "int":
        v = number(value)
        return None if v is None else f"{v:,.0f}"
    return interval(
        value,
        row.get(f"{m}_{col.part}_min"),
        row.get(f"{m}_{col.part}_max"),
        kind="percent" if col.kind == "percent" else "decimal",
    )


def _reason(row: dict[str, Any], col: _Col, then: int, now: int) -> str:
    m = col.metric
    if col.part == "change":
        return first_text([row.get(f"{m}_change_note")]) or f"{METRIC_LABELS[m]}: no change"
    year = then if col.part == "then" else now
    if number(row.get(f"year_{col.part}")) is None:
        return f"no figure for this record in or before {year}"
    return f"{METRIC_LABELS[m]} is not known for {year} (--format json gives the reason)"


def compare_table(
    result: Assessment,
    compared: pd.DataFrame,
    critical: set[str],
    *,
    then_year: int,
    rival: str = "China",
    top: int = 20,
    wide: bool = False,
) -> AssessTable:
    """Cells, title and footnotes of ``assess --compare`` (critical records, ranked as ``assess``).

    Rows: the critical mineral × stage × product records of ``compared``
    (:func:`friendshore.metrics.compare.compare_assessments`) ranked by the
    rival's share of world output now, then HHI; the first ``top`` (all if 0).
    """
    import pandas as pd

    now_year = result.year
    rows = compared[compared["mineral"].isin(critical)].sort_values(
        ["china_share_now", "hhi_now"], ascending=False, na_position="last"
    )
    total = len(rows)
    shown = rows if top <= 0 else rows.head(top)
    notes = Footnotes()
    cols = _columns(rival, then_year, now_year, wide=wide)
    cells: dict[str, list[str]] = {"mineral": [], "stage": []}
    for c in cols:
        cells[c.header] = []
    for raw in shown.to_dict("records"):
        row = {str(k): v for k, v in raw.items()}
        product = str(row.get("product") or "")
        name = mineral_name(str(row["mineral"]), short=bool(product))
        cells["mineral"].append(f"{name} ({product})" if product else name)
        cells["stage"].append(str(row["stage"]))
        for c in cols:
            cells[c.header].append(notes.cell(_cell(row, c), _reason(row, c, then_year, now_year)))
    frame = pd.DataFrame(cells)
    title = (
        f"{result.zone.name}: {then_year} → {now_year}, {len(shown)} of {total} critical "
        f"mineral × stage records ranked by {rival}'s share of world output now (each "
        f"series' latest year ≤ {then_year} and ≤ {now_year}); Δ pp: change in percentage points"
    )
    footnotes = notes.lines(width=TABLE_WIDTH)
    if any(EN_DASH in text for column in cells.values() for text in column):
        footnotes.extend(RANGE_NOTE)
        footnotes.append("a change a–b: every difference the bounds then and now allow.")
    if len(shown) < total:
        footnotes.append(f"{total - len(shown)} more records: --top 0 shows all.")
    return AssessTable(
        frame=frame,
        title=title,
        footnotes=footnotes,
        shown=len(shown),
        total=total,
        right=frozenset(c.header for c in cols),
    )


def compare_summary(result: Assessment, compared: pd.DataFrame) -> pd.DataFrame:
    """The CSV of ``assess --compare``: the summary with the compared columns appended.

    Every column of :func:`~friendshore.metrics.compare.compare_assessments` but
    the keys and ``year_now`` (the summary's ``year``) joins the summary row of
    the same mineral, stage and product.
    """
    extra = compared.drop(columns=["year_now"])
    summary = result.summary.assign(product=result.summary["product"].fillna(""))
    extra = extra.assign(product=extra["product"].fillna(""))
    return summary.merge(extra, on=["mineral", "stage", "product"], how="left")


def compare_records(records: list[dict[str, Any]], compared: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON records of ``assess`` with a ``compare`` object each (then, now, change).

    ``compare``: ``year`` (the record's year then, ``null`` where it has none),
    and per metric of :data:`~friendshore.metrics.compare.COMPARED_METRICS`
    ``then``, ``now``, ``change`` (``null`` unless a point), ``change_low`` /
    ``change_high`` (the bounds of the change) and ``note`` (why the change is
    not a point).
    """
    from friendshore._core.records import plain
    from friendshore.metrics.compare import COMPARED_METRICS

    by_key = {
        (r["mineral"], r["stage"], r["product"] if isinstance(r["product"], str) else ""): r
        for r in compared.to_dict("records")
    }
    out = []
    for rec in records:
        row = by_key.get((rec["mineral"], rec["stage"], rec.get("product") or ""))
        if row is None:
            out.append(rec)
            continue
        block: dict[str, Any] = {"year": plain(row["year_then"])}
        for m in COMPARED_METRICS:
            change = plain(row[f"{m}_change"])
            block[m] = {
                "then": plain(row[f"{m}_then"]),
                "now": plain(row[f"{m}_now"]),
                "change": change,
                "change_low": plain(row.get(f"{m}_change_min", change)),
                "change_high": plain(row.get(f"{m}_change_max", change)),
                "note": plain(row[f"{m}_change_note"]),
            }
        out.append(rec | {"compare": block})
    return out


def emit_compared(
    network: SupplyNetwork,
    result: Assessment,
    us: pd.DataFrame,
    *,
    compare: int,
    fmt: OutputFormat,
    top: int,
    wide: bool,
) -> None:
    """Assess ``compare`` too and print the comparison in ``fmt`` (``assess --compare``).

    Raises
    ------
    ValidationError
        Naming ``--compare`` and the years with data, for a year without
        production data or not before the assessed year.
    """
    from friendshore._core.errors import InputError, ValidationError
    from friendshore.cli.assess import emit_us_section
    from friendshore.cli.assess_table import rival_label
    from friendshore.cli.output import emit_frame, emit_json, emit_table
    from friendshore.data.countries import read_countries
    from friendshore.metrics import assessment
    from friendshore.metrics.compare import check_compare_year, compare_assessments

    rows, _ = network.default_production()
    try:
        check_compare_year(rows["year"], compare, now=result.year)
    except InputError as exc:
        raise ValidationError(f"--compare {compare}: {exc}") from None
    then = assessment.assess(network, result.zone, year=compare)
    compared = compare_assessments(then, result)
    if fmt is OutputFormat.JSON:
        from friendshore.metrics.us_published import with_us_records

        records = with_us_records(assessment.summary_records(result), us)
        emit_json(compare_records(records, compared))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(compare_summary(result, compared), fmt)
        return
    critical = set(network.minerals.loc[network.minerals["usgs_critical_2022"], "mineral_id"])
    countries = read_countries()
    names = dict(zip(countries["iso3"], countries["name"], strict=True))
    view = compare_table(
        result,
        compared,
        critical,
        then_year=compare,
        rival=rival_label(result.zone.rivals, names),
        top=top,
        wide=wide,
    )
    emit_table(
        view.frame,
        title=view.title,
        right=view.right,
        notes=view.footnotes,
        max_width={"mineral": 19},
    )
    assessed = set(result.summary["mineral"]) & critical
    emit_us_section(us[us["mineral_id"].isin(assessed)], year=result.year)
