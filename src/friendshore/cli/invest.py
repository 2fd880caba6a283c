"""``friendshore invest …``: project pipelines and portfolio optimisation."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from friendshore._core.errors import ValidationError
from friendshore._core.types import OutputFormat
from friendshore.cli.cells import percent_digits
from friendshore.cli.common import (
    FormatOption,
    StoreOption,
    ZoneOption,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, progress_bar, stderr, stdout
from friendshore.data.pipeline_files import shipped_pipeline_paths
from friendshore.invest.defaults import DEFAULT_YEAR

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.invest.pipeline import Pipeline
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.run import ScenarioResult

app = typer.Typer(
    help="Investment planner: choose projects that cut the zone's dependence most per dollar.",
    no_args_is_help=True,
)


class ObjectiveChoice(StrEnum):
    """Objectives of ``invest optimize`` and ``invest frontier``."""

    DEPENDENCE = "dependence"
    SHORTFALL = "shortfall"


PipelineArgument = Annotated[
    str,
    typer.Argument(
        help="A pipeline file (CSV or YAML) or a shipped example id "
        f"({', '.join(shipped_pipeline_paths()) or 'none'}).",
        metavar="PIPELINE",
    ),
]
YearOption = Annotated[
    int, typer.Option("--year", help="Target year: chosen projects produce by then.")
]
ObjectiveOption = Annotated[
    ObjectiveChoice,
    typer.Option(
        "--objective",
        help="dependence: risk-weighted China share of zone supply; shortfall: expected "
        "shortfall share under --scenario runs.",
        case_sensitive=False,
    ),
]
ScenarioOption = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        help="Scenario id or YAML file for --objective shortfall (repeat for several; "
        "equally likely).",
        show_default=False,
    ),
]
BudgetPerYearOption = Annotated[
    float | None,
    typer.Option(
        "--budget-per-year", help="Capex budget per calendar year (USD).", show_default=False
    ),
]
MemberShareOption = Annotated[
    float,
    typer.Option(
        "--min-member-share", help="Smallest share (0-1) of the chosen capex for each member."
    ),
]
StandardOption = Annotated[
    list[str] | None,
    typer.Option(
        "--require-standard",
        help="A standard every chosen project must meet, e.g. IRMA (repeatable).",
        show_default=False,
    ),
]
RequireOption = Annotated[
    list[str] | None,
    typer.Option(
        "--require", help="A project id that must be chosen (repeatable).", show_default=False
    ),
]
TargetsOption = Annotated[
    str | None,
    typer.Option(
        "--targets",
        help="outlook:SCENARIO:YEAR (e.g. outlook:APS:2030): close the zone's supply gaps of "
        "`friendshore outlook` in that IEA scenario and year instead (the target year).",
        metavar="outlook:SCENARIO:YEAR",
        show_default=False,
    ),
]


def _scenario_runs(
    names: list[str] | None, objective: ObjectiveChoice, supply: SupplyNetwork, zone: Zone
) -> list[ScenarioResult]:
    from friendshore.scenarios.model import load_scenario
    from friendshore.scenarios.run import run_scenario

    if objective is ObjectiveChoice.DEPENDENCE:
        if names:
            raise ValidationError("--scenario applies to --objective shortfall only")
        return []
    if not names:
        raise ValidationError("--objective shortfall needs at least one --scenario")
    return [run_scenario(supply, load_scenario(name), zone) for name in names]


def _problem(
    pipeline: str,
    *,
    zone_file: Path | None,
    store_path: Path | None,
    year: int,
    budget_per_year: float | None,
    objective: ObjectiveChoice,
    scenario: list[str] | None,
    min_member_share: float,
    require_standard: list[str] | None,
    require: list[str] | None,
    targets: str | None = None,
) -> tuple[SupplyNetwork, Pipeline, Zone, dict[str, Any]]:
    """The network, pipeline and zone, and the problem options shared by optimize and frontier.

    The options are the keyword arguments of :func:`plan_portfolio` and
    :func:`build_problem` other than the budget.
    """
    from friendshore.invest.pipeline import load_pipeline
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone

    outlook = _outlook_target(targets, objective, year) if targets is not None else None
    loaded = load_pipeline(pipeline)
    zone = Zone.load(zone_file)
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    options: dict[str, Any] = {
        "year": year,
        "budget_per_year_usd": budget_per_year,
        "objective": objective.value,
        "scenarios": _scenario_runs(scenario, objective, supply, zone),
        "min_member_share": min_member_share,
        "require_standards": require_standard or (),
        "require_projects": require or (),
    }
    if outlook is not None:
        options.update(_outlook_options(outlook, store_path, zone))
    return supply, loaded, zone, options


def _outlook_target(text: str, objective: ObjectiveChoice, year: int) -> tuple[str, int]:
    """``(scenario, year)`` of ``--targets outlook:SCENARIO:YEAR``, checked against the options."""
    from friendshore.invest.targets import parse_targets

    scenario, target_year = parse_targets(text)
    if objective is not ObjectiveChoice.DEPENDENCE:
        raise ValidationError("--targets replaces --objective: leave --objective out")
    if year not in {DEFAULT_YEAR, target_year}:
        raise ValidationError(
            f"--year {year} differs from the --targets year {target_year}: leave --year out"
        )
    return scenario, target_year


def _outlook_options(
    target: tuple[str, int], store_path: Path | None, zone: Zone
) -> dict[str, Any]:
    """The planner's options for ``--targets outlook:SCENARIO:YEAR`` (the outlook's gaps)."""
    from friendshore.invest.targets import outlook_targets
    from friendshore.scenarios.outlook import OutlookOptions, run_outlook

    scenario, target_year = target
    text = f"outlook:{scenario}:{target_year}"
    try:
        outlook = run_outlook(
            resolve_store(store_path),
            zone,
            options=OutlookOptions(scenarios=(scenario,), years=(target_year,)),
        )
    except ValidationError as exc:
        raise ValidationError(f"--targets {text!r}: {exc}") from None
    return {
        "objective": "outlook",
        "year": target_year,
        "outlook": outlook_targets(outlook, scenario, target_year),
    }


def _parse_budgets(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise ValidationError(f"--budgets: {text!r} is not a list of numbers") from None
    if not values or any(v < 0 for v in values):
        raise ValidationError("--budgets: give one or more budgets >= 0 (USD)")
    return values


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares as percentages, supply risk to 3 decimals, USD as million USD (table output)."""

    out = frame.copy()
    for col in [c for c in out.columns if "_usd" in c]:
        out[col.replace("_usd", "_musd")] = (out.pop(col) / 1e6).round(1)
    for col in [c for c in out.columns if "share" in c or "sufficiency" in c]:
        out[col] = out[col].map(lambda v: percent_digits(v, 1) or "—")
    for col in [c for c in out.columns if c.startswith("supply_risk")]:
        out[col] = out[col].round(3)
    return out


@app.command("validate")
@handle_errors
def validate_command(pipeline: PipelineArgument, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Validate a pipeline file and list its projects (exit code 2 naming file, line, field)."""
    from friendshore.invest.pipeline import load_pipeline

    loaded = load_pipeline(pipeline)
    frame = loaded.to_frame()
    if fmt is not OutputFormat.TABLE:
        emit_frame(frame, fmt)
        return
    cols = [
        "id",
        "country",
        "mineral",
        "stage",
        "capacity_t_per_year",
        "capex_usd",
        "earliest_start_year",
        "lead_time_years",
        "status",
        "standards",
    ]
    emit_frame(_shares(frame[cols]), fmt, title=f"{loaded.path}: {len(loaded)} projects, valid")
    if loaded.header:
        stdout.print(loaded.header, highlight=False, markup=False)


@app.command("optimize")
@handle_errors
def optimize_command(
    pipeline: PipelineArgument,
    budget: Annotated[
        float | None,
        typer.Option("--budget", help="Total capex budget (USD), e.g. 1e9.", show_default=False),
    ] = None,
    budget_per_year: BudgetPerYearOption = None,
    year: YearOption = DEFAULT_YEAR,
    objective: ObjectiveOption = ObjectiveChoice.DEPENDENCE,
    scenario: ScenarioOption = None,
    min_member_share: MemberShareOption = 0.0,
    require_standard: StandardOption = None,
    require: RequireOption = None,
    targets: TargetsOption = None,
    zone_file: ZoneOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write an HTML report to FILE.html.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Choose the projects (and start years) that cut the zone's dependence most within budget.

    Solves the portfolio MILP (linopy + HiGHS): budgets total and per year, lead
    times, new capacity at most the zone's net imports, a minimum capex share per
    member, required standards and projects. Reports the chosen projects, capex and
    jobs by member, capex by year, before/after metrics per mineral and stage and the
    marginal value of budget (re-solved with 10% more). CSV: the chosen projects.
    With --targets outlook:SCENARIO:YEAR the objective is the outlook's supply gaps
    left in that year (as shares of zone demand); the table lists the minerals that
    entered and why.
    """
    from friendshore.invest.results import plan_portfolio, portfolio_payload
    from friendshore.report.invest import objective_inputs, write_invest_report

    supply, loaded, zone, options = _problem(
        pipeline,
        zone_file=zone_file,
        store_path=store_path,
        year=year,
        budget_per_year=budget_per_year,
        objective=objective,
        scenario=scenario,
        min_member_share=min_member_share,
        require_standard=require_standard,
        require=require,
        targets=targets,
    )
    result = plan_portfolio(supply, loaded, zone, budget_usd=budget, **options)
    if out is not None:
        path = write_invest_report(result, out)
        stderr.print(f"report written to {path}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(portfolio_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.chosen, fmt)
        return
    sol = result.solution
    budget_text = "unlimited" if budget is None else f"{budget:,.0f} USD"
    stdout.print(
        f"{result.objective} objective, target year {result.problem.year}, budget {budget_text}: "
        f"{sol.objective_before:.4g} → {sol.objective:.4g} ({sol.termination}, "
        f"gap {sol.mip_gap:.2g}; {sol.n_variables} variables, {sol.n_constraints} "
        "constraints)",
        highlight=False,
        markup=False,
    )
    if result.budget_marginal_value is not None and result.budget_step_usd is not None:
        stdout.print(
            f"marginal value of budget: {result.budget_marginal_value:.4g} per extra million "
            f"USD (re-solved with +{result.budget_step_usd:,.0f} USD: "
            f"{result.objective_at_step:.4g})",
            highlight=False,
            markup=False,
        )
    cols = [
        "id",
        "member",
        "mineral",
        "stage",
        "capacity_t_per_year",
        "capex_usd",
        "start_year",
        "online_year",
        "jobs_construction",
        "jobs_operation",
    ]
    emit_frame(_shares(result.chosen[cols]), fmt, title="Chosen projects")
    emit_frame(_shares(result.by_member), fmt, title="By member")
    emit_frame(
        _shares(result.metrics.drop(columns=["product"])),
        fmt,
        title="Before and after (assessment metrics, base year with the new output)",
    )
    inputs = objective_inputs(result)
    if not inputs.empty:
        entered = inputs[inputs["included"] == "yes"]
        emit_frame(
            inputs[["mineral", "stage", "year", "included", "note"]],
            fmt,
            title=f"Minerals in the {result.objective} objective: {len(entered)} of "
            f"{len(inputs)} mineral × stage entered (the basis of each, or the missing input)",
        )


@app.command("frontier")
@handle_errors
def frontier_command(
    pipeline: PipelineArgument,
    budgets: Annotated[
        str | None,
        typer.Option(
            "--budgets",
            help="Comma-separated total budgets (USD), e.g. 2e8,5e8,1e9. "
            "Default: --steps budgets from 0 to the capex of the best portfolio "
            "without a budget limit.",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[
        int, typer.Option("--steps", help="Number of budgets (without --budgets).")
    ] = 11,
    budget_per_year: BudgetPerYearOption = None,
    year: YearOption = DEFAULT_YEAR,
    objective: ObjectiveOption = ObjectiveChoice.DEPENDENCE,
    scenario: ScenarioOption = None,
    min_member_share: MemberShareOption = 0.0,
    require_standard: StandardOption = None,
    require: RequireOption = None,
    zone_file: ZoneOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    store_path: StoreOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the frontier plot (HTML, offline) to FILE.html.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Sweep the total budget and solve the portfolio at each: the efficient frontier.

    One row per budget: the best objective, the chosen capex, projects and jobs.
    More budget never makes the objective worse. --out writes the plot (with the
    portfolio at the largest budget) as one self-contained HTML file.
    """
    from friendshore.invest.results import (
        build_problem,
        efficient_frontier,
        frontier_budgets,
        plan_portfolio,
    )
    from friendshore.report.invest import write_invest_report

    given = _parse_budgets(budgets)
    supply, loaded, zone, options = _problem(
        pipeline,
        zone_file=zone_file,
        store_path=store_path,
        year=year,
        budget_per_year=budget_per_year,
        objective=objective,
        scenario=scenario,
        min_member_share=min_member_share,
        require_standard=require_standard,
        require=require,
    )
    problem, _, before = build_problem(supply, loaded, zone, **options)
    values = given if given is not None else frontier_budgets(problem, steps)
    with progress_bar("budgets") as bar:
        task = bar.add_task("budgets", total=len(values))
        frontier = efficient_frontier(
            problem, values, progress=lambda done, _total: bar.update(task, completed=done)
        )
    if out is not None:
        result = plan_portfolio(
            supply,
            loaded,
            zone,
            budget_usd=max(values),
            budget_step_share=0.0,
            before=before,
            **options,
        )
        path = write_invest_report(result, out, frontier=frontier)
        stderr.print(f"report written to {path}", highlight=False)
    if fmt is OutputFormat.TABLE:
        table = frontier.assign(
            budget_musd=frontier["budget_usd"] / 1e6, capex_musd=frontier["capex_usd"] / 1e6
        )[
            [
                "budget_musd",
                "objective",
                "reduction_share",
                "capex_musd",
                "n_projects",
                "jobs_operation",
                "carried",
            ]
        ]
        emit_frame(_shares(table), fmt, title=f"Efficient frontier ({objective.value}, {year})")
        return
    emit_frame(frontier, fmt)
