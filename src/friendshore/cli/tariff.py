"""``friendshore tariff …``: tariff and preference simulation (SMART PE, structural gravity GE)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Tariff and preference simulation: SMART partial equilibrium, structural gravity GE.",
    no_args_is_help=True,
)
