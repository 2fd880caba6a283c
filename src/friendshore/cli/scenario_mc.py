"""``friendshore scenario montecarlo``: shortfall distributions under random export restrictions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from friendshore._core.errors import InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.cells import percent_digits
from friendshore.cli.common import (
    Backend,
    FormatOption,
    ScenarioArgument,
    SchedulerOption,
    StoreOption,
    WorkersOption,
    ZoneOption,
    dask_client,
    handle_errors,
    resolve_store,
)
from friendshore.cli.output import emit_frame, emit_json, progress_bar, stdout

if TYPE_CHECKING:
    import pandas as pd


def _table(frame: pd.DataFrame) -> pd.DataFrame:

    out = frame.copy()
    for col in [c for c in out.columns if c.startswith("shortfall_share") or c == "p_exceed"]:
        out[col] = out[col].map(lambda v: percent_digits(v, 1) or "—")
    for col in [c for c in out.columns if c.startswith("shortfall_t") or c == "baseline_t"]:
        out[col] = out[col].round(1)
    return out


@handle_errors
def montecarlo_command(
    scenario: ScenarioArgument,
    draws: Annotated[int, typer.Option("--draws", help="Number of draws.", min=1)] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.", min=0)] = 0,
    backend: Annotated[
        Backend, typer.Option("--backend", help="local (numpy) or dask.", case_sensitive=False)
    ] = Backend.LOCAL,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Shortfall share whose exceedance probability is given."),
    ] = 0.1,
    cut_share: Annotated[
        float | None,
        typer.Option(
            "--cut-share",
            help="Share of exports cut per event; default: the scenario's largest, else 0.5.",
            show_default=False,
        ),
    ] = None,
    probabilities: Annotated[
        Path | None,
        typer.Option(
            "--probabilities",
            help="YAML/TOML file of probability overrides: CHN: 0.3, 'CHN:graphite': 0.6.",
            show_default=False,
        ),
    ] = None,
    zone_file: ZoneOption = None,
    store_path: StoreOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Monte Carlo of random export restrictions: shortfall distributions per member.

    Each draw, every supplier restricts exports of each mineral with a probability
    from its political stability (WGI) and its history of restrictions; the
    scenario's own shocks apply in every draw. Reports the PRE-RESPONSE shortfall
    (before re-routing, sharing and stockpiles): mean, p50, p95, p99 and the
    probability that the shortfall share exceeds --threshold.
    """
    from friendshore.model.supply import SupplyNetwork
    from friendshore.model.zone import Zone
    from friendshore.scenarios.model import load_scenario
    from friendshore.scenarios.montecarlo import (
        load_probability_overrides,
        montecarlo_payload,
        run_montecarlo,
    )

    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must be between 0 and 1, got {threshold}")
    loaded = load_scenario(scenario)
    zone = Zone.load(zone_file)
    overrides = load_probability_overrides(probabilities) if probabilities else None
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    with (
        dask_client(
            enabled=backend is Backend.DASK, scheduler=scheduler, workers=workers
        ) as client,
        progress_bar("draws") as bar,
    ):
        task = bar.add_task("draws", total=draws)
        result = run_montecarlo(
            supply,
            loaded,
            zone,
            draws,
            seed,
            backend=backend.value,
            client=client,
            threshold=threshold,
            cut_share=cut_share,
            overrides=overrides,
            progress=lambda n: bar.advance(task, n),
        )
    if fmt is OutputFormat.JSON:
        emit_json(montecarlo_payload(result))
        return
    if fmt is OutputFormat.CSV:
        emit_frame(result.summary, fmt)
        return
    hit = result.summary[result.summary["shortfall_t_mean"] > 0]
    hit = hit.sort_values("shortfall_share_mean", ascending=False).head(30)
    stdout.print(
        f"{loaded.id}: {draws:,} draws, seed {seed}, {backend.value} backend, cut share "
        f"{result.cut_share:g}, {result.events.mean():.0f} restriction events per draw. "
        "Shortfalls are PRE-RESPONSE (before re-routing, sharing, stockpiles).",
        highlight=False,
    )
    cols = [
        "member",
        "mineral",
        "stage",
        "baseline_t",
        "shortfall_t_mean",
        "shortfall_t_p95",
        "shortfall_share_mean",
        "shortfall_share_p50",
        "shortfall_share_p95",
        "shortfall_share_p99",
        "p_exceed",
    ]
    emit_frame(
        _table(hit[cols]),
        fmt,
        title=f"Largest mean shortfall shares (top 30; P(share > {threshold:g}) = p_exceed)",
    )
