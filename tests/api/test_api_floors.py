"""The price-floor endpoints and /prices: the CLI's figures, validated input, never a 5xx."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json
from typer.testing import CliRunner

from friendshore.cli.main import app as cli_app
from friendshore.data.queries import annual_prices

NDPR = {"mineral_id": "rare_earths", "stage": "processing", "product": "NdPr oxide"}


def run(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/floors/run", json=body)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_floors_list_the_shipped_files_as_the_cli(client: TestClient) -> None:
    response = client.get("/api/v1/floors")
    assert response.status_code == 200
    assert response.json() == cli_json("floor", "list")


def test_a_file_comes_in_the_form_the_run_takes(client: TestClient) -> None:
    ref = client.get("/api/v1/floors/mp-ndpr").json()
    assert ref["id"] == "mp-ndpr"
    rule = ref["rules"][0]
    assert (rule["mineral"], rule["method"], rule["price"], rule["unit"]) == (
        "rare_earths",
        "fixed",
        110.0,
        "USD/kg",
    )
    assert "path" not in ref
    # sent back as the inline reference, it gives the shipped file's figures
    inline = run(client, reference=ref, years=[2023])
    shipped = run(client, reference_id="mp-ndpr", years=[2023])
    assert_json_close(inline["levies"], shipped["levies"])
    response = client.get("/api/v1/floors/no-such-floor")
    assert response.status_code == 404
    assert response.json()["field"] == "reference_id"


def test_a_run_equals_the_cli(client: TestClient, store_path: Path) -> None:
    payload = run(client, reference_id="mp-ndpr", years=[2022, 2023], cfd=True, upside_share=0.5)
    cli = cli_json(
        "floor",
        "run",
        "mp-ndpr",
        "--years",
        "2022-2023",
        "--cfd",
        "--upside-share",
        "0.5",
        "--store",
        str(store_path),
    )
    for key in ("mode", "years", "totals", "assumptions", "levies", "market", "cfd", "levy_path"):
        assert_json_close(payload[key], cli[key], key)
    assert payload["levy_rows"] == len(payload["levies"])
    assert "path" not in payload["reference"]
    # the summary: one row per mineral × stage, sums of the market model
    (summary,) = payload["summary"]
    assert (summary["mineral_id"], summary["stage"]) == ("rare_earths", "processing")
    assert summary["tariff_revenue_usd"] == pytest.approx(
        sum(m["tariff_revenue_usd"] for m in payload["market"]), rel=1e-12
    )
    assert summary["cfd_fiscal_cost_usd"] == pytest.approx(
        sum(c["fiscal_cost_usd"] for c in payload["cfd"]), rel=1e-12
    )


def test_the_slider_price_replaces_the_rule(client: TestClient) -> None:
    base = run(client, reference_id="mp-ndpr", years=[2024])
    same = run(
        client,
        reference_id="mp-ndpr",
        years=[2024],
        reference_price={**NDPR, "usd_per_t": 110_000.0},
    )
    assert_json_close(same["levies"], base["levies"])
    # a reference below every landed offer: no levy, no revenue, no consumer cost
    low = run(
        client,
        reference_id="mp-ndpr",
        years=[2024],
        cfd=True,
        reference_price={**NDPR, "usd_per_t": 1.0},
    )
    assert all(r["levy_usd_per_t"] == 0 for r in low["levies"])
    assert all(r["reference_usd_per_t"] == 1.0 for r in low["levies"])
    assert all(m["consumer_cost_usd"] == 0 for m in low["market"])
    assert all(m["tariff_revenue_usd"] == 0 for m in low["market"])
    assert all(c["fiscal_cost_usd"] == 0 for c in low["cfd"])
    # mineral and stage filters keep one rule of a file with many
    one = run(
        client,
        reference_id="illustrative",
        years=[2024],
        mineral_id="cobalt",
        stage="processing",
        product="Cobalt metal, mattes and powders",
    )
    assert {r["product"] for r in one["levies"]} == {"Cobalt metal, mattes and powders"}
    assert [(s["mineral_id"], s["stage"]) for s in one["summary"]] == [("cobalt", "processing")]


def test_the_schedule_csv_equals_the_cli(client: TestClient, store_path: Path) -> None:
    response = client.get("/api/v1/floors/mp-ndpr/schedule?year=2023&mode=per-origin")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    result = CliRunner().invoke(
        cli_app,
        [
            "floor",
            "schedule",
            "mp-ndpr",
            "--year",
            "2023",
            "--mode",
            "per-origin",
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0
    assert response.text == result.stdout
    assert response.text.startswith("importer,exporter,hs6,rate_before,rate_after,source,note\n")


def test_prices_are_the_stores_annual_prices(client: TestClient, store_path: Path) -> None:
    rows = client.get("/api/v1/prices?mineral=cobalt").json()
    frame = annual_prices(store_path, mineral="cobalt")
    assert len(rows) == len(frame) > 0
    assert {r["series"] for r in rows} == set(frame["series"])
    assert all(r["mineral_id"] == "cobalt" and r["file"] and r["line"] for r in rows)
    staged = client.get("/api/v1/prices?mineral=cobalt&stage=processing").json()
    assert all(r["stage"] == "processing" for r in staged)
    # a catalog mineral without a published price: an empty list, not an error
    minerals = client.get("/api/v1/minerals").json()
    priced = set(annual_prices(store_path)["mineral_id"].dropna())
    bare = next(m["mineral"] for m in minerals if m["mineral"] not in priced)
    assert client.get(f"/api/v1/prices?mineral={bare}").json() == []


BAD_RUNS: list[tuple[dict[str, Any], str]] = [
    ({"reference_id": "/etc/passwd"}, "reference_id"),
    ({"reference_id": "../floors/mp-ndpr"}, "reference_id"),
    ({}, "reference_id"),
    ({"reference_id": "mp-ndpr", "years": [1990, 2024]}, "years"),
    ({"reference_id": "mp-ndpr", "years": []}, "years"),
    ({"reference_id": "mp-ndpr", "years": list(range(1990, 2030))}, "years"),
    ({"reference_id": "mp-ndpr", "years": [1999]}, "years"),
    ({"reference_id": "mp-ndpr", "years": [3000]}, "years.0"),
    ({"reference_id": "mp-ndpr", "mode": "sliding"}, "mode"),
    ({"reference_id": "mp-ndpr", "upside_share": 2}, "upside_share"),
    ({"reference_id": "mp-ndpr", "max_levies": 10**9}, "max_levies"),
    ({"reference_id": "mp-ndpr", "colour": "red"}, "colour"),
    ({"reference_id": "mp-ndpr", "mineral_id": "unobtainium"}, "mineral_id"),
    ({"reference_id": "mp-ndpr", "mineral_id": "cobalt"}, "mineral_id"),
    ({"reference_id": "mp-ndpr", "stage": "smelting"}, "stage"),
    (
        {"reference_id": "mp-ndpr", "reference_price": {**NDPR, "usd_per_t": -5}},
        "reference_price.usd_per_t",
    ),
    (
        {"reference_id": "mp-ndpr", "reference_price": {**NDPR, "usd_per_t": "Infinity"}},
        "reference_price.usd_per_t",
    ),
    (
        {
            "reference_id": "mp-ndpr",
            "reference_price": {"mineral_id": "cobalt", "stage": "mining", "usd_per_t": 5},
        },
        "reference_price",
    ),
    (
        {
            "reference_id": "illustrative",
            "reference_price": {"mineral_id": "cobalt", "stage": "processing", "usd_per_t": 5},
        },
        "reference_price.product",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_RUNS)
def test_bad_runs_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/floors/run", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_bad_inline_rules_are_422_naming_the_field(client: TestClient) -> None:
    ref = client.get("/api/v1/floors/mp-ndpr").json()
    both = client.post("/api/v1/floors/run", json={"reference_id": "mp-ndpr", "reference": ref})
    assert both.status_code == 422
    bad = copy.deepcopy(ref)
    bad["rules"][0]["price"] = -110
    response = client.post("/api/v1/floors/run", json={"reference": bad})
    assert response.status_code == 422
    assert response.json()["field"] == "reference.rules.0.price"
    bad = copy.deepcopy(ref)
    bad["rules"][0]["method"] = "guess"
    response = client.post("/api/v1/floors/run", json={"reference": bad})
    assert response.status_code == 422
    assert response.json()["field"].startswith("reference.rules.0")
    bad = copy.deepcopy(ref)
    bad["rules"] = [bad["rules"][0]] * 201
    response = client.post("/api/v1/floors/run", json={"reference": bad})
    assert response.status_code == 422
    assert response.json()["field"].startswith("reference")


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/floors/mp-ndpr/schedule", 422, "year"),
        ("/api/v1/floors/mp-ndpr/schedule?year=abc", 422, "year"),
        ("/api/v1/floors/mp-ndpr/schedule?year=1999", 422, "year"),
        ("/api/v1/floors/mp-ndpr/schedule?year=2023&mode=x", 422, "mode"),
        ("/api/v1/floors/nope/schedule?year=2023", 404, "reference_id"),
        ("/api/v1/prices?mineral=unobtainium", 422, "mineral"),
        ("/api/v1/prices?stage=smelting", 422, "stage"),
    ],
)
def test_bad_queries_are_4xx_naming_the_field(
    client: TestClient, url: str, status: int, field: str
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    "pipeline", ["/etc/passwd.csv", "../../pipelines/example-illustrative.yaml"]
)
def test_an_inline_cost_basis_takes_shipped_pipelines_only(
    client: TestClient, pipeline: str
) -> None:
    ref = client.get("/api/v1/floors/mp-ndpr").json()
    ref["rules"] = [
        {
            "mineral": "graphite",
            "stage": "mining",
            "product": "Natural graphite",
            "method": "cost_basis",
            "pipeline": pipeline,
            "share": 0.5,
            "discount_rate": 0.08,
            "life_years": 20,
        }
    ]
    response = client.post("/api/v1/floors/run", json={"reference": ref, "years": [2023]})
    assert response.status_code == 422
    assert response.json()["field"] == "reference.rules.0.pipeline"
    ref["rules"][0]["pipeline"] = "example-illustrative"
    assert client.post("/api/v1/floors/run", json={"reference": ref, "years": [2023]}).is_success
