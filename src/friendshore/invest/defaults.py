"""Defaults of the investment planner that interfaces show before loading the solver stack."""

from __future__ import annotations

from typing import Final

#: Default target year: projects must produce by then.
DEFAULT_YEAR: Final = 2030
