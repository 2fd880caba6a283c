"""``friendshore stockpile size``: how big a strategic stockpile of what, against what."""

from __future__ import annotations

import math
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.errors import InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.common import (
    Backend,
    FormatOption,
    SchedulerOption,
    StoreOption,
    WorkersOption,
    ZoneOption,
    dask_client,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, emit_table, progress_bar, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd

    from friendshore.scenarios.stockpile import StockpileOptions, StockpileResult

app = typer.Typer(
    help="Strategic stockpiles: size the stock per mineral × stage under a budget.",
    no_args_is_help=True,
)


class Reserve(StrEnum):
    """One reserve for the zone, or one per member."""

    ZONE = "zone"
    MEMBER = "member"


class Method(StrEnum):
    """Closed form (newsvendor) or the sample average approximation LP."""

    NEWSVENDOR = "newsvendor"
    SAA = "saa"


def _options(
    *,
    budget: float,
    draws: int | None,
    seed: int,
    scenarios: list[str],
    reserve: Reserve,
    carrying_rate: float,
    shortfall_multiple: float,
    method: Method,
    months: int,
) -> StockpileOptions:
    from friendshore.scenarios.model import scenario_ids
    from friendshore.scenarios.stockpile import (
        OptionError,
        StockpileOptions,
        parse_scenario_weight,
    )

    try:
        weighted = tuple(parse_scenario_weight(s) for s in scenarios)
        shipped = set(scenario_ids())
        for name, _ in weighted:
            if name not in shipped and not Path(name).is_file():
                raise OptionError(
                    f"unknown scenario {name!r}: give a file or one of "
                    + ", ".join(sorted(shipped)),
                    field="scenario",
                )
        return StockpileOptions(
            budget_usd=budget,
            carrying_rate=carrying_rate,
            shortfall_cost_multiple=shortfall_multiple,
            reserve="zone" if reserve is Reserve.ZONE else "member",
            method="newsvendor" if method is Method.NEWSVENDOR else "saa",
            draws=draws,
            seed=seed,
            scenarios=weighted,
            months=months,
        )
    except OptionError as exc:
        raise InputError(f"--{exc.field}: {exc.message}") from None


def _money(v: float) -> str:
    if math.isnan(v):
        return "—"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f} m"
    return f"{v:,.0f}"


def _num(v: float, digits: int = 0) -> str:
    return "—" if math.isnan(v) else f"{v:,.{digits}f}"


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    rows = frame.sort_values("purchase_cost_usd", ascending=False)
    return pd.DataFrame(
        {
            "mineral": rows["mineral"],
            "stage": rows["stage"],
            "member": rows["member"],
            "price US$/t": rows["price_usd_t"].map(_num),
            "tonnes": rows["tonnes"].map(_num),
            "cost US$": rows["purchase_cost_usd"].map(_money),
            "days of cover": rows["days_of_cover"].map(_num),
            "E shortfall t/yr": rows["expected_shortfall_t"].map(_num),
            "E avoided t/yr": rows["expected_shortfall_avoided_t"].map(_num),
            "60 days t": rows["jogmec_60d_t"].map(_num),
        }
    )


def _write_scenario(result: StockpileResult, path: Path) -> None:
    """Write the first sized scenario (or the Monte Carlo background) with the block, atomically."""
    import yaml

    from friendshore.scenarios.model import load_scenario
    from friendshore.scenarios.stockpile import background_scenario, stocked_scenario

    opts = result.options
    base = (
        load_scenario(opts.scenarios[0][0])
        if opts.scenarios
        else background_scenario(result.distribution.year)
    )
    stocked = stocked_scenario(base, result)
    stocked = stocked.model_copy(
        update={
            "id": f"{base.id}-stockpile"[:80],
            "name": f"{base.name} (with the sized stockpile)",
        }
    )
    doc = stocked.model_dump(mode="json", exclude_none=True)
    text = (
        f"# {stocked.name}: written by `friendshore stockpile size` ({result.method}, "
        f"budget US${opts.budget_usd:,.0f}, {opts.reserve} reserve).\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise InputError(f"--write-scenario: {folder} is not a folder")
    fd, tmp = tempfile.mkstemp(prefix=".stockpile-", suffix=".yaml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("size")
@handle_errors
def size_command(
    budget: Annotated[
        float, typer.Option("--budget", help="Budget for buying the stock, US$ (Project Vault).")
    ] = 12e9,
    draws: Annotated[
        int | None,
        typer.Option(
            "--draws",
            help="Monte Carlo draws of random export restrictions (default 1000 without "
            "--scenario, none with).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.", min=0)] = 0,
    scenarios: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="A shipped scenario id or file, with its yearly probability: ID[:weight] "
            "(weight in [0, 1], default 0.1). Repeatable.",
            show_default=False,
        ),
    ] = None,
    reserve: Annotated[
        Reserve,
        typer.Option("--reserve", help="One reserve for the zone, or one per member."),
    ] = Reserve.ZONE,
    carrying_rate: Annotated[
        float,
        typer.Option(
            "--carrying-rate",
            help="Carrying cost per year, fraction of the stock's value (capital + storage).",
        ),
    ] = 0.06,
    shortfall_multiple: Annotated[
        float,
        typer.Option(
            "--shortfall-multiple", help="Cost of a tonne short, as a multiple of its price."
        ),
    ] = 5.0,
    method: Annotated[
        Method,
        typer.Option("--method", help="newsvendor (closed form) or saa (linear programme)."),
    ] = Method.NEWSVENDOR,
    months: Annotated[
        int, typer.Option("--months", help="Duration of a Monte Carlo disruption (months).")
    ] = 12,
    backend: Annotated[
        Backend,
        typer.Option(
            "--backend", help="Monte Carlo on local (numpy) or dask.", case_sensitive=False
        ),
    ] = Backend.LOCAL,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    write_scenario: Annotated[
        Path | None,
        typer.Option(
            "--write-scenario",
            help="Write the first --scenario (or the Monte Carlo background) with the sized "
            "stock as its response.stockpiles block to FILE (YAML), for `scenario run`.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write stockpile.csv, frontier.csv, references.csv and the HTML report "
            "(index.html) to DIR.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Size a strategic stockpile per mineral × stage minimising expected cost under a budget.

    Expected yearly cost = carrying rate × price × tonnes + expected cost of the
    shortfall left (shortfall multiple × price per tonne short), over the
    disruptions of the Monte Carlo (pre-response shortfall) and/or the weighted
    scenarios (shortfall after their response). Only minerals × stages with a
    price are sized (the others are listed). Output: tonnes, cost, days of
    cover of apparent consumption, expected shortfall avoided, the marginal
    value of budget, a budget frontier, 60 days of consumption (JOGMEC) and the
    US DoD 2025 plans (US$245 m antimony, US$500 m cobalt) as reference points.
    """
    from friendshore.data.queries import annual_prices
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.stockpile import plan_stockpile, stockpile_payload

    options = _options(
        budget=budget,
        draws=draws,
        seed=seed,
        scenarios=scenarios or [],
        reserve=reserve,
        carrying_rate=carrying_rate,
        shortfall_multiple=shortfall_multiple,
        method=method,
        months=months,
    )
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out: {out_dir} exists and is not a folder")
    if write_scenario is not None and write_scenario.is_dir():
        raise InputError(f"--write-scenario: {write_scenario} is a folder; give a file name")
    zone = Zone.load(zone_file)
    store = resolve_store(store_path)
    supply = SupplyNetwork.from_store(store)
    prices = annual_prices(store)
    n = options.n_draws
    with (
        dask_client(
            enabled=backend is Backend.DASK and n > 0, scheduler=scheduler, workers=workers
        ) as client,
        progress_bar("draws", disable=n == 0) as bar,
    ):
        task = bar.add_task("draws", total=n)
        result = plan_stockpile(
            supply,
            zone,
            prices,
            options=options,
            backend="dask" if backend is Backend.DASK else "local",
            client=client,
            progress=lambda k: bar.advance(task, k),
        )
    if write_scenario is not None:
        _write_scenario(result, write_scenario)
        stderr.print(f"scenario written to {write_scenario}", highlight=False)
    if out_dir is not None:
        from friendshore.report.stockpile import write_stockpile_report

        paths = write_stockpile_report(result, out_dir)
        stderr.print(f"report written to {paths[-1]}", highlight=False)
    if fmt is OutputFormat.JSON:
        emit_json(stockpile_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.frame, fmt)
        return
    _print_table(result)


_METHODS = {
    "newsvendor": "closed form: critical fractile",
    "saa": "sample average approximation LP, HiGHS",
}


def _print_table(result: StockpileResult) -> None:
    o = result.options
    f = result.frame
    dist = result.distribution
    parts = []
    if dist.draws:
        parts.append(f"{dist.draws:,} Monte Carlo draws (seed {o.seed}, pre-response)")
    parts += [f"{s} p={w:g}" for s, w in o.scenarios]
    stdout.print(
        f"Method: {result.method} ({_METHODS[result.method]}); {o.reserve} reserve; "
        f"budget US${_money(o.budget_usd)}; carrying rate {o.carrying_rate:g}/yr; "
        f"shortfall cost {o.shortfall_cost_multiple:g} × price; distribution: {', '.join(parts)}; "
        f"baseline year {dist.year}.",
        highlight=False,
        markup=False,
    )
    stocked = f[f["tonnes"] > 0]
    if stocked.empty:
        stdout.print(
            "No stock: no priced mineral × stage has an expected shortfall worth stocking."
        )
    else:
        cells = _cells(stocked)
        emit_table(
            cells,
            title="Sized stock (tonnes on the network's basis; days of apparent consumption)",
            right=[c for c in cells.columns if c not in ("mineral", "stage", "member")],
            width=140,
        )
    stdout.print(
        f"Total: US${_money(float(f['purchase_cost_usd'].sum()))} for "
        f"{float(f['tonnes'].sum()):,.0f} t; carrying "
        f"US${_money(float(f['carrying_cost_usd_yr'].sum()))}/yr; "
        f"expected shortfall avoided {float(f['expected_shortfall_avoided_t'].sum()):,.0f} of "
        f"{float(f['expected_shortfall_t'].sum()):,.0f} t/yr; marginal value of budget "
        f"{result.marginal_value_usd_per_usd:.3f} US$/yr per US$.",
        highlight=False,
        markup=False,
    )
    fr = result.frontier
    if not fr.empty:
        import pandas as pd

        emit_table(
            pd.DataFrame(
                {
                    "budget US$": fr["budget_usd"].map(_money),
                    "spent US$": fr["spent_usd"].map(_money),
                    "E cost US$/yr": fr["expected_cost_usd_yr"].map(_money),
                    "avoided t/yr": fr["avoided_t"].map(_num),
                    "marginal value": fr["marginal_value_usd_per_usd"].map(lambda v: f"{v:.3f}"),
                }
            ),
            title="Budget frontier",
            right=["budget US$", "spent US$", "E cost US$/yr", "avoided t/yr", "marginal value"],
        )
    for r in result.references.to_dict("records"):
        stdout.print(
            f"Reference {r['source']}: {_num(float(r['tonnes']))} t at "
            f"US${_num(float(r['price_usd_t']))}/t = "
            f"{_num(float(r['days_of_consumption']))} days of U.S. apparent consumption "
            f"({_num(float(r['apparent_consumption_t']))} t/yr).",
            highlight=False,
            markup=False,
        )
    if not result.left_out.empty:
        names = sorted(
            {
                f"{m} ({s})"
                for m, s in zip(result.left_out["mineral"], result.left_out["stage"], strict=True)
            }
        )
        stdout.print(f"Left out (no price): {', '.join(names)}.", highlight=False, markup=False)
