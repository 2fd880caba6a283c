"""``friendshore comply …``: rules of origin, responsible sourcing, certificates."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Compliance: check declarations against rule packs; issue, verify, revoke certificates.",
    no_args_is_help=True,
)
