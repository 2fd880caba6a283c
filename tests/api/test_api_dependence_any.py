"""Dependence of any country over the API: the CLI's figures, ``is_member`` and ``note``, 404s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.api.schemas import DependenceOut, MemberProfile
from friendshore.metrics.country_dependence import country_member_rows
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone


def get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.parametrize(
    ("member", "asked", "mineral"),
    [("CAN", "can", "graphite"), ("DEU", "Germany", "cobalt"), ("EU27", "eu27", "graphite")],
)
def test_dependence_of_any_country_equals_the_cli(
    client: TestClient, store_path: Path, member: str, asked: str, mineral: str
) -> None:
    body = DependenceOut.model_validate(
        get(client, f"/api/v1/metrics/dependence?member={asked}&mineral={mineral}&year=2023")
    )
    args = ["metrics", "dependence", "--member", member, "--mineral", mineral, "--year", "2023"]
    assert_json_close(body.rows, cli_json(*args, "--store", str(store_path)))
    assert body.rows
    assert {r["member"] for r in body.rows} == {member}
    assert body.is_member is (member == "EU27")
    if member == "EU27":
        assert (body.member_of, body.note) == (None, None)
    elif member == "CAN":
        assert body.member_of is None
        assert body.note is not None
        assert body.note.startswith("CAN is a candidate, not a member of the zone")
    else:
        assert body.member_of == "EU27"
        assert body.note is not None
        assert "member state of EU27" in body.note


def test_member_profile_of_a_country_outside_the_zone(client: TestClient, store_path: Path) -> None:
    profile = MemberProfile.model_validate(get(client, "/api/v1/members/Canada"))
    assert (profile.member, profile.name, profile.countries) == ("CAN", "Canada", ["CAN"])
    assert profile.is_member is False
    assert profile.note is not None
    assert "not a member of the zone" in profile.note
    assert profile.us_published == []
    expected = country_member_rows(
        SupplyNetwork.from_store(store_path), default_zone(), "CAN"
    ).sort_values(["mineral", "stage", "year"])
    assert len(profile.rows) == len(expected)
    graphite = next(
        r for r in profile.rows if (r.mineral, r.stage, r.year) == ("graphite", "mining", 2023)
    )
    want = expected[
        (expected["mineral"] == "graphite")
        & (expected["stage"] == "mining")
        & (expected["year"] == 2023)
    ].iloc[0]
    assert graphite.import_reliance == pytest.approx(want["import_reliance"], rel=1e-9)
    assert graphite.intra_zone_share == pytest.approx(want["intra_zone_share"], rel=1e-9)
    # the latest net import reliance per mineral and stage, as for members
    rel = next(r for r in profile.reliance if (r.mineral, r.stage) == ("graphite", "mining"))
    with_ir = [
        r
        for r in profile.rows
        if (r.mineral, r.stage) == ("graphite", "mining") and r.import_reliance is not None
    ]
    latest = max(with_ir, key=lambda r: r.year)
    assert (rel.year, rel.import_reliance) == (latest.year, latest.import_reliance)


def test_member_state_profile_says_which_bloc(client: TestClient) -> None:
    profile = MemberProfile.model_validate(get(client, "/api/v1/members/DEU"))
    assert (profile.is_member, profile.member_of) == (False, "EU27")
    eu = MemberProfile.model_validate(get(client, "/api/v1/members/EU27"))
    assert (eu.is_member, eu.member_of, eu.note) == (True, None, None)
    # the figures of Germany alone, not of the bloc
    deu = {(r.mineral, r.stage, r.year): r for r in profile.rows}
    bloc = {(r.mineral, r.stage, r.year): r for r in eu.rows}
    key = ("graphite", "mining", 2023)
    assert deu[key].member == "DEU"
    assert deu[key].import_reliance != bloc[key].import_reliance


@pytest.mark.parametrize(
    ("url", "status", "field", "words"),
    [
        ("/api/v1/members/Canda", 404, "member", "did you mean Canada"),
        ("/api/v1/members/CHN", 404, "member", "rival of the zone"),
        ("/api/v1/metrics/dependence?member=Canda&mineral=graphite", 422, "member", "Canada"),
        ("/api/v1/metrics/dependence?member=CHN&mineral=graphite", 422, "member", "rival"),
        ("/api/v1/metrics/dependence?member=CAN&mineral=graphite&year=1990", 422, "mineral", ""),
    ],
)
def test_unknown_countries_and_rivals_name_the_field(
    client: TestClient, url: str, status: int, field: str, words: str
) -> None:
    body = get(client, url, status)
    assert body["field"] == field
    assert words in body["detail"]
