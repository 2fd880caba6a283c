"""``friendshore assess``: the main job, and ``friendshore metrics …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat, Stage
from friendshore.cli.common import FormatOption, StoreOption, handle_errors, resolve_store
from friendshore.cli.output import emit_frame, emit_json, stderr
from friendshore.metrics import assessment
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.report.html import write_report

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


def load_zone(path: Path | None, add: list[str] | None) -> Zone:
    """Read the zone file (or the default zone) and add what-if members."""
    zone = Zone.load(path)
    for code in add or []:
        zone = zone.with_member(code.strip().upper())
    return zone


def ranked_summary(summary: pd.DataFrame, critical: set[str], *, top: int = 20) -> pd.DataFrame:
    """The critical minerals where the zone depends most on China, by stage (terminal view).

    Ranked by China's share of world output of the stage, then HHI; shares shown
    in percent, ``—`` where not computable.
    """
    ranked = summary[summary["mineral"].isin(critical)].sort_values(
        ["china_share", "hhi"], ascending=False, na_position="last"
    )

    def pct(col: str) -> pd.Series:
        return ranked[col].map(lambda v: "—" if pd.isna(v) else f"{100 * v:.0f}%")

    view = pd.DataFrame(
        {
            "mineral": ranked["mineral"],
            "stage": ranked["stage"],
            "product": ranked["product"],
            "year": ranked["year"],
            "source": ranked["source"],
            "China": pct("china_share"),
            "HHI": ranked["hhi"].round(0),
            "zone output": pct("zone_production_share"),
            "zone reserves": pct("zone_reserves_share"),
            "self-suff.": pct("zone_self_sufficiency"),
            "supply risk": ranked["supply_risk"].round(2),
            "GeoPolRisk": ranked["geopolrisk"].round(3),
            "known": pct("coverage"),
        }
    )
    return view.head(top).reset_index(drop=True)


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
) -> None:
    """Assess the zone's dependence on China: every mineral, stage and member.

    Prints the minerals where the zone depends most on China, by stage (or, with
    --format json, one record per mineral and stage in the documented schema)
    and writes a self-contained HTML report to --out.
    """
    zone = load_zone(zone_file, add_member)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    result = assessment.assess(network, zone, year=year)
    if fmt is OutputFormat.JSON:
        emit_json(assessment.summary_records(result))
    elif fmt is OutputFormat.CSV:
        emit_frame(result.summary, fmt)
    else:
        critical = set(network.minerals.loc[network.minerals["usgs_critical_2022"], "mineral_id"])
        emit_frame(
            ranked_summary(result.summary, critical),
            fmt,
            title=(
                f"{zone.name}: where the zone depends most on China (critical minerals, "
                f"ranked by China's share of world output of the stage, up to {result.year})"
            ),
        )
    if not no_report:
        path = write_report(result, out)
        stderr.print(f"report written to {path}")


metrics_app = typer.Typer(help="Individual metrics, as tables, JSON or CSV.", no_args_is_help=True)


@metrics_app.command("concentration")
@handle_errors
def concentration_command(
    mineral: Annotated[
        str, typer.Option("--mineral", help="Mineral id (see `friendshore minerals`).")
    ],
    stage: Annotated[
        Stage, typer.Option("--stage", help="Supply-chain stage.", case_sensitive=False)
    ] = Stage.MINING,
    year: YearOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Per-country shares of world production and the HHI for one mineral and stage."""
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.concentration_table(network, mineral=mineral, stage=stage.value, year=year)
    emit_frame(frame, fmt, title=f"{mineral} {stage.value}: shares of world production")


@metrics_app.command("dependence")
@handle_errors
def dependence_command(
    member: Annotated[str, typer.Option("--member", help="Member id (ISO3 or bloc) or 'zone'.")],
    mineral: Annotated[str, typer.Option("--mineral", help="Mineral id.")],
    year: YearOption = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """A member's (or the zone's) import reliance and sourcing for one mineral, by stage."""
    zone = load_zone(zone_file, None)
    if member != "zone" and member not in zone.members:
        raise ValidationError(
            f"{member!r} is not a member of the zone ({', '.join(zone.members)}, or 'zone')"
        )
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.dependence_table(network, zone, member=member, mineral=mineral, year=year)
    emit_frame(frame, fmt, title=f"{member}: dependence for {mineral}")


@metrics_app.command("supply-risk")
@handle_errors
def supply_risk_command(
    mineral: Annotated[str, typer.Option("--mineral", help="Mineral id.")],
    year: YearOption = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """EU-CRM-style supply risk and GeoPolRisk of the zone for one mineral, by stage."""
    zone = load_zone(zone_file, None)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.supply_risk_table(network, zone, mineral=mineral, year=year)
    emit_frame(frame, fmt, title=f"{mineral}: supply risk")


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
    zone = load_zone(zone_file, None)
    network = SupplyNetwork.from_store(resolve_store(store_path))
    frame = assessment.membership_change(network, zone, candidate=candidate.upper(), year=year)
    emit_frame(frame, fmt, title=f"If {candidate.upper()} joins {zone.name}")
