"""``friendshore outlook``: the zone's demand against its supply to 2050, by IEA scenario.

Per mineral × stage × scenario × year: the IEA's world demand, the zone's share
of it (apparent consumption in the base year, or a user allocation), the zone's
supply (the IEA's country projections where members are listed, else held at the
base year), a pipeline's capacity from its first output year, the gap,
self-sufficiency and the rival's (China's) share of world supply.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.cells import DASH, EN_DASH, interval, percent, quantity_t
from friendshore.cli.common import (
    FormatOption,
    MineralsOption,
    StoreOption,
    ZoneOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, emit_table, progress_bar, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.scenarios.outlook import OutlookResult

#: Years the table shows without --year (JSON and CSV carry every year).
TABLE_YEARS: Final[tuple[int, ...]] = (2030, 2035, 2040)


class Scenario(StrEnum):
    """The IEA's scenarios."""

    STEPS = "STEPS"
    APS = "APS"
    NZE = "NZE"


def _tonnes(value: object, low: object, high: object) -> str:
    """A point or an interval of tonnes, scaled: ``'41.1–52.5 kt'``."""
    from friendshore.cli.cells import number

    point = quantity_t(value, scaled=True)
    if point is not None:
        return point
    lo, hi = number(low), number(high)
    if lo is None and hi is None:
        return DASH
    if hi is None:
        return f"≥{quantity_t(lo, scaled=True)}"
    if lo is None:
        return f"≤{quantity_t(hi, scaled=True)}"
    a, b = quantity_t(lo, scaled=True), quantity_t(hi, scaled=True)
    if a == b:
        return str(a)
    unit_a, unit_b = str(a).rsplit(" ", 1)[-1], str(b).rsplit(" ", 1)[-1]
    if unit_a == unit_b:
        return f"{str(a).rsplit(' ', 1)[0]}{EN_DASH}{b}"
    return f"{a}{EN_DASH}{b}"


def outlook_cells(frame: pd.DataFrame, *, rival: str) -> pd.DataFrame:
    """The table of ``friendshore outlook``: one row of ready-made cells per row of ``frame``."""
    import pandas as pd

    rows = []
    for r in frame.to_dict("records"):
        rows.append(
            {
                "mineral": str(r["mineral"]),
                "stage": str(r["stage"]),
                "scenario": str(r["scenario"]),
                "year": str(int(r["year"])),
                "world\ndemand": quantity_t(r["world_demand_t"], scaled=True) or DASH,
                "zone\nshare": interval(r["zone_share"], r["zone_share_min"], r["zone_share_max"])
                or DASH,
                "zone\ndemand": _tonnes(
                    r["zone_demand_t"], r["zone_demand_min_t"], r["zone_demand_max_t"]
                ),
                "zone\nsupply": _tonnes(
                    r["zone_supply_t"], r["zone_supply_min_t"], r["zone_supply_max_t"]
                ),
                "pipeline": quantity_t(r["pipeline_t"], scaled=True) or DASH,
                "gap": _tonnes(r["gap_t"], r["gap_min_t"], r["gap_max_t"]),
                "self-\nsufficiency": (
                    interval(
                        r["self_sufficiency"], r["self_sufficiency_min"], r["self_sufficiency_max"]
                    )
                    or DASH
                ).replace("≥<0.1%", ">0%"),
                f"{rival} share\nof world supply": percent(r["rival_world_supply_share"]) or DASH,
            }
        )
    return pd.DataFrame(rows)


def load_allocation(path: Path) -> pd.DataFrame:
    """Read a user allocation CSV: ``member,share`` (optionally ``mineral``, ``stage``).

    Raises
    ------
    DataError
        Naming the file, the line and the field of the first bad cell.
    """
    import pandas as pd

    from friendshore._core.errors import DataError
    from friendshore.data.documents import read_csv_rows, read_text

    text = read_text(path, what="allocation file")
    table = read_csv_rows(
        path,
        text,
        required=("member", "share"),
        optional=("mineral", "stage"),
        comments=True,
        what="allocation",
    )
    records = []
    for line, row in zip(table.lines, table.rows, strict=True):
        for name in ("member", "share"):
            if not row.get(name, ""):
                raise DataError(
                    "required field is missing (or empty)", file=path, line=line, field=name
                )
        try:
            share = float(row["share"])
        except ValueError:
            raise DataError(
                f"share must be a number, got {row['share']!r}", file=path, line=line, field="share"
            ) from None
        if not 0.0 <= share <= 1.0:
            raise DataError(
                f"share must be a fraction between 0 and 1, got {share:g}",
                file=path,
                line=line,
                field="share",
            )
        records.append(
            {
                "member": row["member"],
                "share": share,
                "mineral": row.get("mineral") or None,
                "stage": row.get("stage") or None,
                "line": line,
            }
        )
    if not records:
        raise DataError("the allocation file has no row", file=path, line=1)
    return pd.DataFrame(records)


def compute_outlook(
    *,
    scenario: list[Scenario] | None,
    year: list[int] | None,
    pipeline: str | None,
    allocation: Path | None,
    base_year: int | None,
    mineral: list[str] | None,
    zone_file: Path | None,
    store_path: Path | None,
    show_progress: bool,
) -> OutlookResult:
    """Load the inputs and compute the outlook, with the CLI's option names in errors."""
    from friendshore._core.errors import DataError
    from friendshore.invest.pipeline import load_pipeline
    from friendshore.model.zone import Zone
    from friendshore.scenarios.outlook import (
        SCENARIOS,
        OutlookOptionError,
        OutlookOptions,
        run_outlook,
    )

    zone = Zone.load(zone_file)
    table = None
    if allocation is not None:
        table = load_allocation(allocation)
        unknown = table[~table["member"].isin(list(zone.members))]
        if not unknown.empty:
            first = unknown.iloc[0]
            raise DataError(
                f"{first['member']!r} is not a member of the zone ({', '.join(zone.members)})",
                file=allocation,
                line=int(first["line"]),
                field="member",
            )
        table = table.drop(columns="line")
    options = OutlookOptions(
        scenarios=tuple(s.value for s in scenario) if scenario else SCENARIOS,
        years=tuple(dict.fromkeys(year)) if year else None,
        base_year=base_year,
        allocation=table if table is not None else "consumption",
        allocation_label=f"user allocation {allocation}" if allocation else "user allocation",
        pipeline=load_pipeline(pipeline) if pipeline is not None else None,
        minerals=tuple(mineral) if mineral else None,
    )
    with progress_bar("loading the balance and projections", disable=not show_progress) as bar:
        bar.add_task("load", total=None)
        try:
            return run_outlook(resolve_store(store_path), zone, options=options)
        except OutlookOptionError as exc:
            option = {"year": "--year", "base_year": "--base-year", "mineral": "--mineral"}.get(
                str(exc.field or "")
            )
            if option is None:
                raise
            raise ValidationError(f"{option}: {exc}") from None


@handle_errors
def outlook_command(
    scenario: Annotated[
        list[Scenario] | None,
        typer.Option(
            "--scenario",
            help="IEA scenario: STEPS, APS or NZE (repeat for several). Default: all three.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option(
            "--year",
            help="A year the IEA projects (2023, 2030, 2035, 2040, 2045, 2050; repeatable). "
            "Default: every year (the table: 2030, 2035 and 2040).",
            show_default=False,
        ),
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option(
            "--pipeline",
            help="Investment pipeline (CSV or YAML file, or a shipped id such as "
            "example-illustrative): each project adds its capacity from its first output "
            "year (earliest start + lead time).",
            metavar="FILE|ID",
            show_default=False,
        ),
    ] = None,
    allocation: Annotated[
        Path | None,
        typer.Option(
            "--allocation",
            help="CSV member,share[,mineral][,stage]: each member's share of world demand "
            "instead of its share of world apparent consumption in the base year.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    base_year: Annotated[
        int | None,
        typer.Option(
            "--base-year",
            help="Year of the material balance for the shares and the held supply. Default: "
            "the latest with the zone's apparent consumption.",
            show_default=False,
        ),
    ] = None,
    mineral: MineralsOption = None,
    zone_file: ZoneOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write outlook.csv, members.csv and the HTML report (index.html) to DIR "
            "(the report's path goes to stderr).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The zone's outlook: IEA world demand, zone demand and supply, gap, self-sufficiency.

    Per mineral × stage × scenario × year (t/yr): world demand (IEA total demand;
    clean-technology demand only where that is all the IEA gives), the zone's
    share (apparent consumption in the base year over world production, or
    --allocation), its demand, its supply (the IEA's projections of members'
    listed countries, the rest held at the base year), the pipeline's capacity,
    the gap (demand - supply - pipeline), self-sufficiency and the rival's
    (China's) share of world supply. Intervals of the material balance are
    carried (low-high). JSON: the whole outlook; CSV: every row.
    """
    from friendshore.scenarios.outlook import outlook_payload

    if out_dir is not None:
        from friendshore.report.html import check_report_dir

        check_report_dir(out_dir)
    result = compute_outlook(
        scenario=scenario,
        year=year,
        pipeline=pipeline,
        allocation=allocation,
        base_year=base_year,
        mineral=mineral,
        zone_file=zone_file,
        store_path=store_path,
        show_progress=fmt is OutputFormat.TABLE,
    )
    if out_dir is not None:
        from friendshore.report.outlook import write_outlook_report

        paths = write_outlook_report(result, out_dir)
        stderr.print(f"report written to {paths[-1]}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(outlook_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.frame, fmt)
        return
    frame = result.frame
    if not year:
        frame = frame[frame["year"].isin(TABLE_YEARS)]
    rival = "China" if result.rivals == ("CHN",) else "+".join(result.rivals)
    cells = outlook_cells(frame, rival=rival)
    emit_table(
        cells,
        title=f"Outlook of the zone (t/yr; base year {result.base_year}; "
        f"{result.frame['allocation_method'].iloc[0] if len(result.frame) else ''})",
        right=[c for c in cells.columns if c not in ("mineral", "stage", "scenario")],
        width=120,
    )
    if not result.pipeline_projects.empty:
        used = result.pipeline_projects
        stdout.print(
            f"pipeline: {int(used['used'].sum())} of {len(used)} projects counted "
            "(capacity from each first output year = earliest start + lead time)",
            highlight=False,
            markup=False,
        )
    for line in result.notes:
        stdout.print(f"note: {line}", highlight=False, markup=False)
