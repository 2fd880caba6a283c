"""``friendshore floor …``: reference prices kept by adjustable tariffs, against a CfD.

``floor run`` replays a reference-price file over a period ("had the floor stood
in 2015–2024"): the levy per member × origin × year, tariff revenue, consumer
cost, members' production, China's share of zone supply, and with ``--cfd`` the
fiscal cost of a contract for differences instead. ``floor schedule`` writes one
year's levies as the tariff schedule ``friendshore tariff smart`` and ``tariff
ge`` read; ``floor list`` lists the shipped reference files.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.cells import DASH, EN_DASH, money_usd, number, percent, quantity_t
from friendshore.cli.common import (
    FormatOption,
    StoreOption,
    ZoneOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, emit_table, progress_bar, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.policy.floors import FloorResult

app = typer.Typer(
    help="Price floors: reference prices kept by adjustable tariffs, against a contract "
    "for differences.",
    no_args_is_help=True,
)

#: Most years one run may span (as the API's limit).
MAX_YEARS: Final = 30
_YEARS_RE: Final = re.compile(r"^\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?$")


class FloorMode(StrEnum):
    """How the tariff keeps the reference price."""

    UNIFORM = "uniform"
    PER_ORIGIN = "per-origin"
    MIN_PRICE_QUOTA = "min-price-quota"


ReferenceArgument = Annotated[
    str,
    typer.Argument(
        help="A shipped reference file id (see `friendshore floor list`) or a YAML file.",
        metavar="REFERENCE_FILE",
    ),
]
ModeOption = Annotated[
    FloorMode,
    typer.Option(
        "--mode",
        help="uniform: one variable levy per member (reference − lowest landed offer from "
        "outside the zone, the EEC's); per-origin: each non-member origin pays reference − "
        "its own landed price; min-price-quota: a minimum import price on a quota, duty "
        "above it.",
        case_sensitive=False,
    ),
]


def parse_years(text: str | None) -> list[int] | None:
    """Parse ``--years``: ``2015-2024`` (both included) or one year ``2020``.

    Raises
    ------
    ValidationError
        If the text is not a year or a range FROM-TO, FROM is after TO, or the
        range spans more than :data:`MAX_YEARS` years.

    Examples
    --------
    >>> parse_years("2022-2024"), parse_years("2020"), parse_years(None)
    ([2022, 2023, 2024], [2020], None)
    """
    if text is None:
        return None
    match = _YEARS_RE.match(text)
    if match is None:
        raise ValidationError(f"--years {text!r} is not a year or a range FROM-TO (e.g. 2015-2024)")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if first > last:
        raise ValidationError(
            f"--years {text!r}: the first year {first} is after the last {last} "
            f"(give FROM-TO, e.g. {last}-{first})"
        )
    if not (first >= 1960 and last <= 2100):
        raise ValidationError(f"--years {text!r}: years must lie in 1960-2100")
    if last - first + 1 > MAX_YEARS:
        raise ValidationError(
            f"--years {text!r} spans {last - first + 1} years: at most {MAX_YEARS}"
        )
    return list(range(first, last + 1))


@app.command("list")
@handle_errors
def list_command(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the shipped reference-price files: id, name, version, date, rules, source."""
    from friendshore.policy.reference import list_reference_files

    emit_frame(list_reference_files(), fmt, title="Shipped reference-price files")


def _per_t(low: Any, high: Any) -> str:
    """A price or a price range per tonne: ``US$110,000/t``, ``US$62,000–110,000/t``."""
    lo, hi = number(low), number(high)
    if lo is None and hi is None:
        return DASH

    def fmt(v: float) -> str:
        if v == 0:
            return "0"
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"

    if lo is None or hi is None or fmt(lo) == fmt(hi):
        v = lo if lo is not None else hi
        assert v is not None
        return f"US${fmt(v)}/t".replace("US$-", "-US$")
    return f"US${fmt(lo)}{EN_DASH}{fmt(hi)}/t".replace("US$-", "-US$")


def _arrow(before: Any, after: Any) -> str:
    b, a = percent(before), percent(after)
    if b is None and a is None:
        return DASH
    return f"{b or DASH} → {a or DASH}"


def summary_cells(summary: pd.DataFrame, *, cfd: bool) -> pd.DataFrame:
    """The table of ``floor run``: one row of ready-made cells per mineral × stage."""
    import pandas as pd

    rows = []
    for r in summary.to_dict("records"):
        first, last = r["first_year"], r["last_year"]
        years = (
            DASH
            if pd.isna(first)
            else (str(int(first)) if first == last else f"{int(first)}{EN_DASH}{int(last)}")
        )
        row = {
            "mineral": str(r["mineral_id"]),
            "stage": str(r["stage"]),
            "years": years,
            "reference": _per_t(r["reference_min_usd_per_t"], r["reference_max_usd_per_t"]),
            "market price": _per_t(r["market_min_usd_per_t"], r["market_max_usd_per_t"]),
            "levy": _per_t(r["levy_min_usd_per_t"], r["levy_max_usd_per_t"]),
            "tariff\nrevenue": money_usd(r["tariff_revenue_usd"]) or DASH,
            "consumer\ncost": money_usd(r["consumer_cost_usd"]) or DASH,
            "production\ngain": quantity_t(r["production_gain_t"], scaled=True) or DASH,
            "China share\nbefore → after": _arrow(r["china_share_before"], r["china_share_after"]),
        }
        if cfd:
            row["CfD fiscal\ncost"] = money_usd(r["cfd_fiscal_cost_usd"]) or DASH
        rows.append(row)
    return pd.DataFrame(rows)


def _totals_lines(totals: dict[str, Any]) -> list[str]:
    from friendshore.report.floor import total_label

    lines = []
    for key, value in totals.items():
        v = number(value)
        if v is None:
            text = str(value)
        elif key.endswith("_usd"):
            text = money_usd(v) or DASH
        elif "share" in key:
            text = percent(v) or DASH
        elif key.endswith("_t"):
            text = quantity_t(v, scaled=True) or DASH
        else:
            text = f"{v:,.6g}"
        lines.append(f"total {total_label(key)}: {text}")
    return lines


def _run(
    reference: str,
    *,
    mode: FloorMode,
    years: list[int] | None,
    cfd: bool,
    upside_share: float,
    elasticities: Path | None,
    pipeline: Path | None,
    zone_file: Path | None,
    store_path: Path | None,
    show_progress: bool,
) -> FloorResult:
    from friendshore.model.zone import Zone
    from friendshore.policy.floors import load_reference_file, run_floor

    ref = load_reference_file(reference)
    zone = Zone.load(zone_file)
    with progress_bar("floor", disable=not show_progress) as bar:
        task = bar.add_task("floor", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run_floor(
            ref,
            resolve_store(store_path),
            zone,
            mode=mode.value,
            years=years,
            cfd=cfd,
            upside_share=upside_share,
            elasticities=elasticities,
            pipeline=pipeline,
            progress=progress,
        )


@app.command("run")
@handle_errors
def run_command(
    reference: ReferenceArgument,
    mode: ModeOption = FloorMode.UNIFORM,
    years: Annotated[
        str | None,
        typer.Option(
            "--years",
            help="Period FROM-TO (e.g. 2015-2024) or one year. Default: every year with "
            "prices and trade.",
            show_default=False,
        ),
    ] = None,
    cfd: Annotated[
        bool,
        typer.Option(
            "--cfd",
            help="Also price a contract for differences: the treasury pays reference − "
            "market index on members' volumes.",
        ),
    ] = False,
    upside_share: Annotated[
        float,
        typer.Option(
            "--upside-share",
            help="Share of the index above the reference the CfD pays back to the treasury.",
            min=0.0,
            max=1.0,
        ),
    ] = 0.0,
    elasticities: Annotated[
        Path | None,
        typer.Option(
            "--elasticities",
            help="Elasticities CSV of the market model. Default: the shipped "
            "floors/elasticities.csv.",
            show_default=False,
        ),
    ] = None,
    pipeline: Annotated[
        Path | None,
        typer.Option(
            "--pipeline",
            help="Investment pipeline file: projects viable at the reference price add supply.",
            show_default=False,
        ),
    ] = None,
    zone_file: ZoneOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write levies.csv, market.csv, cfd.csv, schedule-<year>.csv and the HTML "
            "report (index.html) to DIR (the report's path goes to stderr).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Replay a reference-price file: levies, revenue, consumer cost, supply, China's share.

    Per mineral × stage: the reference and market (landed, without the floor)
    prices, the levy range over members and origins, tariff revenue, consumer
    cost, the members' production gain, China's share of zone supply before →
    after (last year), and with --cfd the fiscal cost of a contract for
    differences. Members' imports from each other pay nothing. Table: that
    summary, the totals and the assumptions; JSON: the whole run; CSV: the
    levies (member × mineral × stage × origin × year).
    """
    from friendshore.policy.floors import floor_payload, floor_schedule
    from friendshore.report.floor import floor_summary, write_floor_outputs
    from friendshore.report.html import check_report_dir

    period = parse_years(years)
    if out_dir is not None:
        check_report_dir(out_dir)
    result = _run(
        reference,
        mode=mode,
        years=period,
        cfd=cfd,
        upside_share=upside_share,
        elasticities=elasticities,
        pipeline=pipeline,
        zone_file=zone_file,
        store_path=store_path,
        show_progress=fmt is OutputFormat.TABLE,
    )
    if out_dir is not None:
        run_years = sorted({int(y) for y in result.levies["year"].dropna()})
        schedules = {y: floor_schedule(result, year=y) for y in run_years}
        paths = write_floor_outputs(result, out_dir, schedules=schedules)
        stderr.print(f"report written to {paths[-1]}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(floor_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.levies, fmt)
        return
    ref: Any = result.reference
    name = str(getattr(ref, "name", reference))
    tag = " (ILLUSTRATIVE)" if getattr(ref, "illustrative", False) else ""
    summary = floor_summary(result)
    if summary.empty:
        stdout.print(f"{name}: no mineral of the file has prices in the period.", highlight=False)
    else:
        cells = summary_cells(summary, cfd=result.cfd is not None)
        span = (
            f"{min(result.years)}{EN_DASH}{max(result.years)}"
            if result.years
            else "every year with data"
        )
        emit_table(
            cells,
            title=f"{name}{tag}: {mode.value} levy, {span} (US$; per tonne of the product)",
            right=[c for c in cells.columns if c not in ("mineral", "stage", "product", "years")],
            width=120,
        )
    for line in _totals_lines(dict(result.totals)):
        stdout.print(line, highlight=False, markup=False)
    for text in result.assumptions:
        stdout.print(f"assumption: {text}", highlight=False, markup=False)


@app.command("schedule")
@handle_errors
def schedule_command(
    reference: ReferenceArgument,
    year: Annotated[int, typer.Option("--year", help="The year whose levies to write.")],
    mode: ModeOption = FloorMode.UNIFORM,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the schedule CSV to FILE (atomically). Default: standard output.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write one year's levies as a tariff schedule (CSV) for `tariff smart` and `tariff ge`.

    Columns importer, exporter, hs6, rate_before, rate_after (ad valorem
    fractions), source, note: the format of the shipped tariff schedules, so
    that `friendshore tariff smart FILE` runs the floor through SMART.
    """
    from friendshore.data.floor_files import write_schedule_csv
    from friendshore.policy.floors import floor_schedule

    period = parse_years(str(year))
    result = _run(
        reference,
        mode=mode,
        years=period,
        cfd=False,
        upside_share=0.0,
        elasticities=None,
        pipeline=None,
        zone_file=zone_file,
        store_path=store_path,
        show_progress=out is not None,
    )
    frame = floor_schedule(result, year=year)
    if out is None:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n", float_format="%.10g")
        return
    write_schedule_csv(frame, out)
    stderr.print(f"schedule written to {out} ({len(frame):,} rows)", highlight=False)
