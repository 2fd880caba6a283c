"""Metric endpoints: figures equal the CLI's and published USGS figures; errors name the field."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Any

import duckdb
import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.api.schemas import (
    AssessmentOut,
    DependenceOut,
    MemberProfile,
    MineralDetail,
    MineralInfo,
    TableOut,
    TradeOut,
    ZoneInfo,
)
from friendshore.model.zone import default_zone


def get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def test_zone_lists_the_members_and_their_countries(client: TestClient) -> None:
    zone = ZoneInfo.model_validate(get(client, "/api/v1/zone"))
    assert [m.member for m in zone.members] == ["USA", "MEX", "EU27", "JPN"]
    eu = next(m for m in zone.members if m.member == "EU27")
    assert len(eu.countries) == 27
    assert {"DEU", "FRA", "POL"} <= set(eu.countries)
    assert zone.rivals == ["CHN"]
    assert zone.year == 2024


def test_minerals_say_what_data_each_has(client: TestClient) -> None:
    minerals = {
        m["mineral"]: MineralInfo.model_validate(m) for m in get(client, "/api/v1/minerals")
    }
    assert minerals["graphite"].has_trade
    assert minerals["graphite"].has_production
    # neither gallium metal nor germanium metal has an HS92 trade row in the BACI subset
    assert not minerals["gallium"].has_trade
    assert minerals["gallium"].usgs_critical_2022


def test_assessment_equals_the_cli(client: TestClient, store_path: Any) -> None:
    payload = get(client, "/api/v1/assessment")
    AssessmentOut.model_validate(payload)
    cli = cli_json("assess", "--store", str(store_path), "--no-report")
    assert_json_close(payload["records"], cli)
    assert payload["year"] == 2024


def test_mineral_detail_has_usgs_figures_with_their_release(client: TestClient) -> None:
    detail = MineralDetail.model_validate(get(client, "/api/v1/minerals/rare_earths"))
    china = {
        r.year: r
        for r in detail.production
        if r.country == "CHN" and r.stage == "mining" and r.source == "USGS MCS"
    }
    # USGS MCS 2025 world data (MCS2025_World_Data.csv), the latest edition for 2023: China
    # mined 255,000 t REO in 2023 (MCS 2024 had 240,000 t). The listed rows sum to 376,090 t,
    # above the rounded world total of 376,000 t by less than its rounding, so the listed sum
    # is the denominator (metrics.shares.ROUNDED_BELOW).
    assert china[2023].quantity_t == 255_000
    assert china[2023].share == pytest.approx(255_000 / 376_090, abs=1e-12)
    assert china[2023].release == "MCS2025"
    # and MCS 2025's estimate for 2024: 270,000 t
    assert (china[2024].quantity_t, china[2024].release) == (270_000, "MCS2025")
    assert china[2024].status == "estimated"
    reserves = {r.year: r for r in detail.reserves if r.country == "CHN"}
    # USGS MCS 2024: China's reserves 44,000,000 t of a world 110,000,000 t
    assert reserves[2023].quantity_t == 44_000_000
    assert reserves[2023].share == pytest.approx(0.4, abs=1e-12)
    assert {c.source for c in detail.citations} >= {"USGS MCS", "CEPII BACI"}
    assert any(s.stage == "mining" and s.source == "USGS MCS" for s in detail.sources)


def test_trade_flows_sum_to_the_members_imports_in_the_store(
    client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    trade = TradeOut.model_validate(
        get(client, "/api/v1/minerals/graphite/trade?stage=mining&year=2024")
    )
    zone = default_zone()
    c2m = zone.country_to_member()
    rows = con.execute(
        "SELECT t.exporter, t.importer, t.value_usd FROM trade_latest t "
        "JOIN hs_concordance h USING (hs6) WHERE h.mineral_id = 'graphite' "
        "AND h.stage = 'mining' AND t.year = 2024"
    ).fetchall()
    expected = sum(
        value
        for exporter, importer, value in rows
        if importer in c2m and c2m.get(exporter) != c2m[importer]
    )
    assert sum(f.value_usd for f in trade.flows) == pytest.approx(expected, rel=1e-12)
    assert len({f.exporter for f in trade.flows}) <= trade.top_exporters + 1
    assert {t.year for t in trade.trend} == set(range(2015, 2025))
    assert trade.stages == ["mining"]


def test_trade_defaults_to_the_first_stage_and_latest_year(client: TestClient) -> None:
    trade = get(client, "/api/v1/minerals/tungsten/trade")
    assert trade["stage"] == "mining"
    assert trade["stages"] == ["mining", "processing"]
    assert trade["year"] == 2024


def test_member_profile_matches_cli_dependence(client: TestClient, store_path: Any) -> None:
    profile = MemberProfile.model_validate(get(client, "/api/v1/members/USA"))
    assert profile.countries == ["USA"]
    api_rows = {
        (r.stage, r.year): r.china_import_share for r in profile.rows if r.mineral == "graphite"
    }
    cli = cli_json(
        "metrics",
        "dependence",
        "--member",
        "USA",
        "--mineral",
        "graphite",
        "--store",
        str(store_path),
    )
    assert_json_close(
        api_rows, {(r["stage"], r["year"]): r["china_import_share_value"] for r in cli}
    )
    zone = get(client, "/api/v1/members/zone")
    assert len(zone["countries"]) == 30


def test_member_reliance_is_at_the_latest_year_with_production_and_trade(
    client: TestClient,
) -> None:
    profile = MemberProfile.model_validate(get(client, "/api/v1/members/USA"))
    assert profile.reliance
    for rel in profile.reliance:
        years = [
            r.year
            for r in profile.rows
            if r.mineral == rel.mineral
            and r.stage == rel.stage
            and r.year <= profile.year
            and (
                r.import_reliance is not None
                or (r.import_reliance_min is not None and r.import_reliance_max is not None)
            )
        ]
        assert rel.year == max(years)
        row = next(
            r
            for r in profile.rows
            if (r.mineral, r.stage, r.year) == (rel.mineral, rel.stage, rel.year)
        )
        assert rel.import_reliance == row.import_reliance
    # trade runs a year beyond production: the reliance is older than the latest trade year
    latest_trade = max(r.year for r in profile.rows if r.imports_value_usd is not None)
    assert any(rel.year < latest_trade for rel in profile.reliance)


@pytest.mark.parametrize(
    ("url", "args"),
    [
        (
            "/api/v1/metrics/concentration?mineral=gallium&stage=processing",
            ["metrics", "concentration", "--mineral", "gallium", "--stage", "processing"],
        ),
        (
            "/api/v1/metrics/dependence?member=EU27&mineral=graphite&year=2023",
            [
                "metrics",
                "dependence",
                "--member",
                "EU27",
                "--mineral",
                "graphite",
                "--year",
                "2023",
            ],
        ),
        (
            "/api/v1/metrics/supply-risk?mineral=graphite",
            ["metrics", "supply-risk", "--mineral", "graphite"],
        ),
    ],
)
def test_metric_tables_equal_the_cli(
    client: TestClient, store_path: Any, url: str, args: list[str]
) -> None:
    model = DependenceOut if "/dependence" in url else TableOut  # + is_member, member_of, note
    table = model.model_validate(get(client, url))
    assert_json_close(table.rows, cli_json(*args, "--store", str(store_path)))
    assert table.rows


def test_gallium_processing_concentration_is_china(client: TestClient) -> None:
    rows = get(client, "/api/v1/metrics/concentration?mineral=gallium&stage=processing")["rows"]
    china = next(r for r in rows if r["country"] == "CHN")
    # USGS MCS 2025 world data (MCS2025_World_Data.csv, gallium, primary production in kg):
    # the latest year is now 2024, China 750,000 kg (estimated) of listed rows summing to
    # 762,000 kg, above the rounded world total of 760,000 kg by less than its rounding, so
    # the listed sum is the denominator (MCS 2024 had 2023: China 600 t of a world 610 t)
    assert (china["year"], china["quantity_t"], china["world_quantity_t"]) == (2024, 750, 762)
    assert china["share"] == pytest.approx(750 / 762, abs=1e-12)
    assert rows[0]["country"] == "CHN"


def test_membership_adds_australia(client: TestClient) -> None:
    table = get(client, "/api/v1/metrics/membership?candidate=aus")
    assert table["query"]["candidate"] == "AUS"
    ree = next(
        r
        for r in table["rows"]
        if r["mineral"] == "rare_earths"
        and r["stage"] == "mining"
        and r["metric"] == "zone_production_share"
    )
    # USGS MCS 2025 world data, at the zone's year 2024: Australia mined 13,000 t REO (est.)
    # of listed rows summing to 393,950 t (rounded world total 390,000 t, exceeded by less
    # than its rounding, so the listed sum is the denominator)
    assert table["query"]["year"] in (None, 2024)
    assert ree["year"] == 2024
    assert ree["change"] == pytest.approx(13_000 / 393_950, abs=1e-12)
    assert ree["after"] == pytest.approx(ree["before"] + 13_000 / 393_950, abs=1e-12)


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/minerals/unobtainium", 404, "mineral"),
        ("/api/v1/minerals/unobtainium/trade", 404, "mineral"),
        ("/api/v1/members/CHN", 404, "member"),
        ("/api/v1/minerals/gallium/trade", 422, "mineral"),
        ("/api/v1/minerals/graphite/trade?stage=processing", 422, "stage"),
        ("/api/v1/minerals/graphite/trade?stage=smelting", 422, "stage"),
        ("/api/v1/minerals/graphite/trade?year=2010", 422, "year"),
        ("/api/v1/minerals/graphite/trade?year=abc", 422, "year"),
        ("/api/v1/metrics/concentration?mineral=unobtainium", 422, "mineral"),
        ("/api/v1/metrics/concentration", 422, "mineral"),
        ("/api/v1/metrics/concentration?mineral=gallium&year=1800", 422, "year"),
        ("/api/v1/metrics/dependence?member=CHN&mineral=graphite", 422, "member"),
        ("/api/v1/metrics/dependence?member=USA&mineral=gallium", 422, "mineral"),
        ("/api/v1/metrics/supply-risk?mineral=unobtainium", 422, "mineral"),
        ("/api/v1/metrics/membership?candidate=CHN", 422, "candidate"),
    ],
)
def test_bad_input_names_the_field(client: TestClient, url: str, status: int, field: str) -> None:
    body = get(client, url, status)
    assert body["field"] == field
    assert body["detail"]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    schema = get(client, "/api/v1/openapi.json")
    paths = set(schema["paths"])
    assert {
        "/api/v1/zone",
        "/api/v1/minerals",
        "/api/v1/assessment",
        "/api/v1/minerals/{mineral}",
        "/api/v1/minerals/{mineral}/trade",
        "/api/v1/members/{member}",
        "/api/v1/metrics/concentration",
        "/api/v1/metrics/dependence",
        "/api/v1/metrics/supply-risk",
        "/api/v1/metrics/membership",
        "/api/v1/scenarios",
        "/api/v1/scenarios/{scenario_id}",
        "/api/v1/scenarios/run",
        "/api/v1/scenarios/montecarlo",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/geometry/world",
    } <= paths
    assert "AssessmentOut" in schema["components"]["schemas"]
    assert "Scenario" in str(schema["components"]["schemas"])
    assert "ErrorBody" in schema["components"]["schemas"]


def test_world_geometry_is_served_gzipped_with_an_etag(client: TestClient) -> None:
    response = client.get("/api/v1/geometry/world", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    features = response.json()["features"]
    assert {f["properties"]["iso3"] for f in features} >= {"CHN", "USA", "MEX", "JPN", "DEU"}
    again = client.get(
        "/api/v1/geometry/world", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    topology = get(client, "/api/v1/geometry/topology")
    assert topology["type"] == "Topology"
    assert topology["arcs"] == []


def test_plotly_js_is_the_vendored_partial_bundle(client: TestClient) -> None:
    shipped = files("friendshore.web").joinpath("vendor", "plotly-friendshore.min.js").read_bytes()
    digest = hashlib.sha256(shipped).hexdigest()  # compared by hash: no megabyte diffs
    response = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert hashlib.sha256(response.content).hexdigest() == digest
    zipped = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(shipped) / 2
    assert hashlib.sha256(zipped.content).hexdigest() == digest  # decoded by the client


@pytest.mark.parametrize("path", ["/", "/mineral", "/member", "/scenarios"])
def test_pages_forbid_other_origins(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert "http" not in csp
    assert "<!--nav-->" not in response.text
    assert "aria-current=page" in response.text
    assert 'href="#main"' in response.text
    assert "https://" not in response.text.split("<footer")[0]


def test_api_responses_carry_the_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/zone")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers


def test_docs_ui_is_not_served(client: TestClient) -> None:
    # Swagger UI and ReDoc load from a CDN: the app does not offer them (offline)
    assert client.get("/docs").status_code == 404
    assert client.get("/api/v1/docs").status_code == 404


def test_repeated_metric_requests_are_answered_from_memory(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    url = "/api/v1/metrics/concentration?mineral=graphite"
    first = client.get(url)
    snap = engine.current()
    key = ("/api/v1/metrics/concentration", b"mineral=graphite")
    assert snap.cache.get(key) == first.content
    # the default restated (stage=mining): the same answer, not kept again by URL
    restated = client.get(f"{url}&stage=mining")
    assert restated.content == first.content
    assert ("/api/v1/metrics/concentration", b"mineral=graphite&stage=mining") not in snap.cache
    again = client.get(url)
    assert again.content == first.content
    assert again.headers["content-length"] == str(len(first.content))
    assert again.headers["content-type"] == "application/json"
    assert "content-security-policy" in again.headers
    assert "x-friendshore-cache" not in again.headers
    # errors and responses that do not depend on the store alone are not kept
    client.get("/api/v1/metrics/concentration?mineral=unobtainium")
    client.get("/api/v1/scenarios")
    assert ("/api/v1/metrics/concentration", b"mineral=unobtainium") not in snap.cache
    assert ("/api/v1/scenarios", b"") not in snap.cache


def test_member_profile_of_the_usa_has_usgs_published_beside_ours(
    client: TestClient, store_path: Any
) -> None:
    profile = MemberProfile.model_validate(get(client, "/api/v1/members/USA"))
    assert profile.us_published
    by_key = {(r.usgs_key, r.series): r for r in profile.us_published}
    assert len(by_key) == len(profile.us_published)  # one row per series, its latest year
    aluminum = by_key[("alumi", "")]
    assert aluminum.year <= profile.year
    assert aluminum.published_text == aluminum.fig2_text
    assert aluminum.agreement == "within 5 pp"
    # the same figures as the CLI's assess JSON
    cli = cli_json("assess", "--no-report", "--store", str(store_path))
    rows = next(r for r in cli if r["mineral"] == "aluminum")["us_net_import_reliance"]
    assert_json_close([aluminum.model_dump()], rows)
    # other members: none
    assert get(client, "/api/v1/members/JPN")["us_published"] == []


def test_dependence_of_the_usa_carries_usgs_columns_equal_to_the_cli(
    client: TestClient, store_path: Any
) -> None:
    url = "/api/v1/metrics/dependence?member=USA&mineral=aluminum&year=2023"
    table = DependenceOut.model_validate(get(client, url))
    args = ["metrics", "dependence", "--member", "USA", "--mineral", "aluminum", "--year", "2023"]
    assert_json_close(table.rows, cli_json(*args, "--store", str(store_path)))
    aluminum = [r for r in table.rows if r["mineral_id"] == "aluminum"]
    assert {r["usgs_published_text"] for r in aluminum} == {"44"}
