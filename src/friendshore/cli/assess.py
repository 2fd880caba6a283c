"""``friendshore assess``: the main job, and ``friendshore metrics …``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.types import OutputFormat
from friendshore.cli.common import (
    FormatOption,
    MemberOption,
    MineralOption,
    StageOption,
    StoreOption,
    handle_errors,
    named_minerals,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, emit_table, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone

ZoneOption = Annotated[
    Path | None,
    typer.Option(
        "--zone",
        help="Zone file (TOML). Default: the bundled zone (USA, MEX, EU27, JPN).",
        show_default=False,
    ),
]
AddMemberOption = Annotated[
    list[str] | None,
    typer.Option(
        "--add-member",
        help="Add a member (ISO3 or bloc) for a quick what-if; repeatable.",
        show_default=False,
    ),
]
YearOption = Annotated[
    int | None,
    typer.Option(
        "--year",
        help="Latest year to assess; each series uses its latest year up to it.",
        show_default=False,
    ),
]


def us_published_rows(network: SupplyNetwork, zone: Zone, *, year: int | None) -> pd.DataFrame:
    """U.S. net import reliance computed beside USGS's published figure, if the USA is a member.

    One row per commodity series of the salient statistics at its latest year up
    to ``year`` (:func:`friendshore.metrics.us_published.us_reliance_of`); no
    rows where the zone does not count the USA as a member.
    """
    import pandas as pd

    from friendshore.metrics.us_published import US_PUBLISHED_COLUMNS, us_reliance_of

    if "USA" not in zone.members:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in US_PUBLISHED_COLUMNS})
    return us_reliance_of(network, year=year)


def emit_us_section(us: pd.DataFrame, *, year: int | None) -> None:
    """Print the U.S. section (computed beside published) under a table; nothing if empty."""
    from friendshore.cli.us_section import TABLE_WIDTH, us_section

    if us.empty:
        return
    view = us_section(us, year=year)
    stdout.print("")
    emit_table(
        view.frame,
        title=view.title,
        right=view.right,
        notes=view.footnotes,
        max_width={"mineral": 24},
        width=TABLE_WIDTH,
    )


def load_zone(path: Path | None, add: list[str] | None) -> Zone:
    """Read the zone file (or the default zone) and add what-if members."""
    from friendshore.model.zone import Zone

    zone = Zone.load(path)
    for code in add or []:
        zone = zone.with_member(code.strip().upper())
    return zone


@handle_errors
def assess_command(
    zone_file: ZoneOption = None,
    add_member: AddMemberOption = None,
    year: YearOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML report.")] = Path(
        "friendshore-report"
    ),
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Do not write the HTML report.")
    ] = False,
    top: Annotated[
        int,
        typer.Option("--top", min=0, help="Rows of the table (0: every critical record)."),
    ] = 20,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Table: add year, source, world output, top-3 share, HHI, reserves, "
            "self-sufficiency, GeoPolRisk and coverage (wider than 100 columns).",
        ),
    ] = False,
    compare: Annotated[
        int | None,
        typer.Option(
            "--compare",
            help="Also compare with an earlier year with data (e.g. 2020): each metric "
            "then, now and its change (table: the rival's share then/now and the change in "
            "pp of it, the zone's output share, import reliance and supply risk; --wide: "
            "every metric; JSON: a 'compare' object per record; CSV: *_then, *_change columns).",
            metavar="YEAR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Assess the zone's dependence on its rival (China): every mineral, stage and member.

    The table ranks the critical mineral × stage records by the rival's share of
    world output and gives the zone's share of world output, its net import
    reliance, the share of its imports from the rival and supply risk; intervals
    print as 38–61% and every blank "—" has its reason under the table. --format
    json: one record per mineral and stage in the documented schema; csv: the
    whole summary. Writes a self-contained HTML report to --out.
    """
    from friendshore.cli.assess_table import assess_table, rival_label
    from friendshore.data.countries import read_countries
    from friendshore.metrics import assessment
    from friendshore.model.supply import SupplyNetwork
    from friendshore.report.html import check_report_dir, write_report

    if not no_report:
        check_report_dir(out)
    zone = load_zone(zone_file, add_member)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    result = assessment.assess(network, zone, year=year)
    us = us_published_rows(network, zone, year=result.year)
    if compare is not None:
        from friendshore.cli.assess_compare import emit_compared

        emit_compared(network, result, us, compare=compare, fmt=fmt, top=top, wide=wide)
    elif fmt is OutputFormat.JSON:
        from friendshore.metrics.us_published import with_us_records

        emit_json(with_us_records(assessment.summary_records(result), us))
    elif fmt is OutputFormat.CSV:
        emit_frame(result.summary, fmt)
    else:
        critical = set(network.minerals.loc[network.minerals["usgs_critical_2022"], "mineral_id"])
        countries = read_countries()
        names = dict(zip(countries["iso3"], countries["name"], strict=True))
        view = assess_table(
            result,
            critical,
            rival=rival_label(zone.rivals, names),
            added=[c.strip().upper() for c in add_member or []],
            top=top,
            wide=wide,
        )
        emit_table(
            view.frame,
            title=view.title,
            right=view.right,
            notes=view.footnotes,
            max_width={"mineral": 23},
        )
        assessed = set(result.summary["mineral"]) & critical
        emit_us_section(us[us["mineral_id"].isin(assessed)], year=result.year)
    if not no_report:
        path = write_report(result, out, us_published=us)
        stderr.print(f"report written to {path}")


metrics_app = typer.Typer(help="Individual metrics, as tables, JSON or CSV.", no_args_is_help=True)


@metrics_app.command("concentration")
@handle_errors
def concentration_command(
    mineral: MineralOption,
    stage: StageOption = None,
    year: YearOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Per-country shares of world production and the HHI for one mineral and stage.

    Without --stage, the mineral's stage with production data (gallium:
    processing; the first where it has several).
    """
    from friendshore.data.names import mineral_name, resolve_stage
    from friendshore.metrics import assessment
    from friendshore.model.supply import SupplyNetwork

    network = SupplyNetwork.from_store(resolve_store(store_path))
    production = network.production
    picked = resolve_stage(
        mineral, stage, available=production.loc[production["mineral_id"] == mineral, "stage"]
    )
    frame = assessment.concentration_table(network, mineral=mineral, stage=picked.value, year=year)
    emit_frame(
        named_minerals(frame, fmt),
        fmt,
        title=f"{mineral_name(mineral)} {picked.value}: shares of world production",
    )


@metrics_app.command("dependence")
@handle_errors
def dependence_command(
    member: MemberOption,
    mineral: MineralOption,
    year: YearOption = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Import reliance and sourcing for one mineral, by stage: a member, the zone or any country.

    --member takes a zone member, 'zone', or any other country or bloc (a
    candidate such as CAN, a member state inside a bloc such as DEU): its own
    material balance, the zone's rival, and its share of imports from the zone's
    countries; a line under the title (on standard error for JSON and CSV) says
    it is not a member. For the USA, USGS's published net import reliance is
    shown beside the figure computed from USGS's salient components (all forms
    of the commodity, not one stage), with the difference and its reason: a
    second table, or ``usgs_*`` and ``salient_*`` columns in JSON and CSV.
    """
    from friendshore.data.names import mineral_name
    from friendshore.metrics.country_dependence import country_standing, dependence_rows
    from friendshore.model.supply import SupplyNetwork

    zone = load_zone(zone_file, None)
    standing = country_standing(zone, member)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = dependence_rows(network, zone, member=member, mineral=mineral, year=year)
    if standing.note is not None:
        if fmt is OutputFormat.TABLE:
            stdout.print(standing.note, highlight=False, markup=False)
        else:
            stderr.print(f"note: {standing.note}", highlight=False, markup=False)
    if member != "USA":
        title = f"{member}: dependence for {mineral_name(mineral)}"
        emit_frame(named_minerals(frame, fmt), fmt, title=title)
        return
    from friendshore.metrics.us_published import us_reliance_of, with_us_published

    us = us_reliance_of(network, minerals=[mineral])
    if fmt is not OutputFormat.TABLE:
        emit_frame(named_minerals(with_us_published(frame, us), fmt), fmt)
        return
    title = f"{member}: dependence for {mineral_name(mineral)}"
    emit_frame(named_minerals(frame, fmt), fmt, title=title)
    if year is not None:
        us = us[us["year"] == year]
    emit_us_section(us, year=None)


@metrics_app.command("supply-risk")
@handle_errors
def supply_risk_command(
    mineral: MineralOption,
    year: YearOption = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """EU-CRM-style supply risk and GeoPolRisk of the zone for one mineral, by stage."""
    from friendshore.data.names import mineral_name
    from friendshore.metrics import assessment
    from friendshore.model.supply import SupplyNetwork

    zone = load_zone(zone_file, None)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.supply_risk_table(network, zone, mineral=mineral, year=year)
    emit_frame(named_minerals(frame, fmt), fmt, title=f"{mineral_name(mineral)}: supply risk")


@metrics_app.command("membership")
@handle_errors
def membership_command(
    candidate: Annotated[
        str, typer.Option("--candidate", help="Country (ISO3) or bloc that would join.")
    ],
    year: YearOption = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """What changes for each metric, mineral and stage if the candidate joins the zone."""
    from friendshore.metrics import assessment
    from friendshore.model.supply import SupplyNetwork

    zone = load_zone(zone_file, None)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.membership_change(network, zone, candidate=candidate.upper(), year=year)
    emit_frame(frame, fmt, title=f"If {candidate.upper()} joins {zone.name}")
