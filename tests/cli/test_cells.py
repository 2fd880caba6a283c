"""Cells of the terminal tables: percentages, intervals, quantities, money, footnotes."""

from __future__ import annotations

import doctest

from friendshore.cli import cells
from friendshore.cli.cells import Footnotes, interval, money_usd, percent, quantity_t


def test_doctests() -> None:
    failed, tried = doctest.testmod(cells)
    assert tried > 0
    assert failed == 0


def test_intervals_print_as_ranges_and_points() -> None:
    assert interval(None, 0.38, 0.61) == "38–61%"
    assert interval(None, 0.3801, 0.3804) == "38%"  # the ends print alike
    assert interval(None, None, 0.2) == "≤20%"
    assert interval(None, -0.123, 0.95) == "-12–95%"
    assert interval(None, None, None) is None
    assert interval(float("nan"), float("nan"), float("nan")) is None
    assert interval(None, 0.1, float("inf")) == "≥10%"


def test_numbers_never_in_scientific_notation() -> None:
    assert quantity_t(7.76e7) == "77,600,000 t"
    assert quantity_t(7.76e7, scaled=True) == "77.6 Mt"
    assert money_usd(-7.75e7) == "-US$77.5 m"
    assert percent(1e-7) == "<0.1%"
    assert percent(-29.03) == "-2,903%"


def test_footnotes_number_each_reason_once() -> None:
    notes = Footnotes()
    assert notes.cell("12%", "unused") == "12%"
    assert notes.cell(None, "no trade code") == "—¹"
    assert notes.blank("withheld") == "—²"
    assert notes.blank("no trade code") == "—¹"
    lines = notes.lines(width=30)
    assert lines[0] == "—¹ no trade code"
    assert len(notes) == 2
    assert all(len(line) <= 30 for line in notes.lines(width=30))
