"""The report's U.S. section: computed net import reliance beside USGS's published figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from friendshore.data.catalog import read_minerals
from friendshore.metrics.assessment import Assessment
from friendshore.metrics.us_published import AGREEING, us_reliance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.report import figures
from friendshore.report.html import write_report

YEAR = 2024


@pytest.fixture(scope="module")
def us(store_path: Path) -> pd.DataFrame:
    return us_reliance_of(SupplyNetwork.from_store(store_path), year=YEAR)


def test_dot_plot_draws_computed_and_published_with_bounds_as_open_markers(
    us: pd.DataFrame,
) -> None:
    fig = figures.us_reliance_vs_published(us, year=YEAR)
    by_name = {t.name: t for t in fig.data}
    computed = by_name["computed (USGS components)"]
    published = by_name["USGS published"]
    above = by_name["USGS published bound (>)"]
    assert "Aluminum" in list(computed.y)
    assert float(computed.x[list(computed.y).index("Aluminum")]) == pytest.approx(
        float(us.loc[us["mineral_id"] == "aluminum", "net_import_reliance"].iloc[0])
    )
    assert published.marker.symbol == "diamond-open"
    assert above.marker.symbol == "triangle-right-open"
    # lithium: USGS publishes >50 (a bound), computed 0-100% (an interval bar)
    assert float(above.x[list(above.y).index("Lithium")]) == pytest.approx(0.5)
    interval = by_name["computed interval"]
    assert "Lithium" in list(interval.y)


def test_report_has_the_us_section(
    assessment: Assessment, us: pd.DataFrame, tmp_path: Path
) -> None:
    text = write_report(assessment, tmp_path / "out", us_published=us).read_text("utf-8")
    section = text[text.index('<section id="us-published">') : text.index('<section id="trend">')]
    assert 'id="fig-us-published"' in section
    assert "<td>Aluminum</td>" in section
    assert "&gt;50%" in section  # lithium, as USGS writes it
    assert "withheld (W)" in section  # the reason of a miss
    critical = us[us["mineral_id"].isin(_critical())]
    n_agree = int(critical["agreement"].isin(AGREEING).sum())
    assert f"<strong>{n_agree} of {len(critical)}</strong> agree" in section
    # without the U.S. figures the section says why it is empty
    bare = write_report(assessment, tmp_path / "bare").read_text("utf-8")
    assert "Not shown: the zone does not count the United States" in bare


def _critical() -> set[str]:
    minerals = read_minerals()
    return set(minerals.loc[minerals["usgs_critical_2022"], "mineral_id"])
