"""``friendshore invest …``: project pipelines and portfolio optimisation."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Investment planner: choose projects that cut the zone's dependence most per dollar.",
    no_args_is_help=True,
)
