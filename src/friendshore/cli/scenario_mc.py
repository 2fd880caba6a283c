"""``friendshore scenario montecarlo``: shortfall distributions under random export restrictions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from friendshore._core.errors import InputError
from friendshore._core.types import OutputFormat
from friendshore.cli.common import FormatOption, StoreOption, handle_errors, resolve_store
from friendshore.cli.output import emit_frame, emit_json, records, stderr, stdout
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.montecarlo import (
    MonteCarloResult,
    load_probability_overrides,
    local_cluster,
    run_montecarlo,
)


class Backend(StrEnum):
    """Where the draws run."""

    LOCAL = "local"
    DASK = "dask"


def montecarlo_payload(result: MonteCarloResult) -> dict[str, Any]:
    """The JSON document of a Monte Carlo run (docs/cli.md)."""
    return {
        "scenario": result.scenario.id,
        "baseline_year": result.scenario.year,
        "draws": result.draws,
        "seed": result.seed,
        "chunk_size": result.chunk_size,
        "backend": result.backend,
        "threshold": result.threshold,
        "cut_share": result.cut_share,
        "shortfall_basis": result.shortfall_basis,
        "mean_events_per_draw": float(result.events.mean()),
        "records": records(result.summary),
    }


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in [c for c in out.columns if c.startswith("shortfall_share") or c == "p_exceed"]:
        out[col] = out[col].map(lambda v: "—" if pd.isna(v) else f"{100 * v:.1f}%")
    for col in [c for c in out.columns if c.startswith("shortfall_t") or c == "baseline_t"]:
        out[col] = out[col].round(1)
    return out


@handle_errors
def montecarlo_command(
    scenario: Annotated[
        str,
        typer.Argument(
            help="A shipped scenario id (see `friendshore scenario list`) or a YAML file.",
            metavar="NAME_OR_FILE",
        ),
    ],
    draws: Annotated[int, typer.Option("--draws", help="Number of draws.", min=1)] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.", min=0)] = 0,
    backend: Annotated[
        Backend, typer.Option("--backend", help="local (numpy) or dask.", case_sensitive=False)
    ] = Backend.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address; default: a LocalCluster.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Workers of the LocalCluster (dask).", min=1)
    ] = 2,
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
    zone_file: Annotated[
        Path | None,
        typer.Option(
            "--zone",
            help="Zone file (TOML). Default: the bundled zone (USA, MEX, EU27, JPN).",
            show_default=False,
        ),
    ] = None,
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
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must be between 0 and 1, got {threshold}")
    loaded = load_scenario(scenario)
    zone = Zone.load(zone_file)
    overrides = load_probability_overrides(probabilities) if probabilities else None
    supply = SupplyNetwork.from_store(resolve_store(store_path))
    client: Any = None
    cluster: Any = None
    if backend is Backend.DASK:
        from distributed import Client  # noqa: PLC0415 (heavy, dask only)

        if scheduler:
            client = Client(scheduler)  # type: ignore[no-untyped-call]
        else:
            cluster = local_cluster(workers)
            client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        with Progress(
            TextColumn("draws"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        ) as bar:
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
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
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
