"""Rule packs and evaluation: every rule passing and failing, with the edge cases.

Shares are hand-computed from the lots' values; thresholds come from the packs'
legal sources (26 U.S.C. 30D(e)(1): 40% 2023, 50% 2024, 60% 2025).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from compliance_helpers import EVIDENCE, SUPPLIER, make_declaration, make_lot

from friendshore._core.errors import DataError, InputError
from friendshore.compliance.declaration import Declaration, load_declaration
from friendshore.compliance.evaluate import Evaluation, RuleResult, evaluate, evaluation_frame
from friendshore.compliance.rules import (
    DueDiligenceRule,
    FeocRule,
    OriginRule,
    RulePack,
    list_rule_packs,
    load_rule_pack,
    rule_pack_ids,
)
from friendshore.data.compliance_files import declarations_dir

ZONE = "zone-rules-of-origin"
FEOC = "zone-feoc"
IRA = "us-ira-30d-critical-minerals"
EU = "eu-battery-due-diligence"
SOURCING = "zone-responsible-sourcing"


def rule(pack_id: str, decl: Declaration, on: str | date, rule_id: str | None = None) -> RuleResult:
    day = date.fromisoformat(on) if isinstance(on, str) else on
    result = evaluate(decl, [load_rule_pack(pack_id)], on=day)
    rules = result.packs[0].rules
    if rule_id is None:
        assert len(rules) == 1
        return rules[0]
    return next(r for r in rules if r.rule_id == rule_id)


# --- shipped packs ---------------------------------------------------------------------------


def test_shipped_packs_load_with_dates_jurisdiction_and_source() -> None:
    assert rule_pack_ids() == [EU, IRA, FEOC, SOURCING, ZONE]
    frame = list_rule_packs().set_index("id")
    assert frame.loc[IRA, "valid_from"] == "2023-04-18"
    assert frame.loc[IRA, "valid_to"] == "2025-09-30"
    assert frame.loc[IRA, "jurisdiction"] == "USA"
    assert frame.loc[EU, "valid_from"] == "2027-08-18"
    assert frame.loc[EU, "jurisdiction"] == "EU27"
    assert "2023/1542" in str(frame.loc[EU, "source"])
    assert frame.loc[ZONE, "illustrative"]


def test_ira_schedule_is_the_statutory_one() -> None:
    pack = load_rule_pack(IRA)
    origin = pack.rules[0]
    assert isinstance(origin, OriginRule)
    expected = {
        date(2023, 6, 1): 0.4,
        date(2024, 6, 1): 0.5,
        date(2025, 6, 1): 0.6,
        date(2026, 6, 1): 0.7,
        date(2027, 1, 1): 0.8,
        date(2030, 1, 1): 0.8,
        date(2023, 1, 1): None,
    }
    for day, share in expected.items():
        assert origin.product_threshold(day) == share
    feoc = pack.rules[1]
    assert isinstance(feoc, FeocRule)
    assert feoc.valid_from == date(2025, 1, 1)
    assert sorted(feoc.covered_nations) == ["CHN", "IRN", "PRK", "RUS"]


def test_eu_pack_covers_the_four_annex_x_minerals_and_five_oecd_steps() -> None:
    rule_ = load_rule_pack(EU).rules[0]
    assert isinstance(rule_, DueDiligenceRule)
    assert sorted(rule_.minerals or []) == ["cobalt", "graphite", "lithium", "nickel"]
    assert [s.step for s in rule_.steps] == [1, 2, 3, 4, 5]


def test_zone_pack_reads_members_from_the_zone_file() -> None:
    origin = load_rule_pack(ZONE).rules[0]
    assert isinstance(origin, OriginRule)
    countries = origin.qualifying()
    assert {"USA", "MEX", "JPN", "DEU", "FIN"} <= countries
    assert "CHN" not in countries
    assert "AUS" not in countries  # the default zone has no partners


# --- origin: lots ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extraction", "processing", "status"),
    [
        ([{"country": "USA", "share": 0.5}, {"country": "CHN", "share": 0.5}], "CHN", "pass"),
        ([{"country": "USA", "share": 0.49}, {"country": "CHN", "share": 0.51}], "CHN", "fail"),
        ([{"country": "AUS", "share": 1.0}], "FIN", "pass"),  # EU27 member, via processing
        ([{"country": "AUS", "share": 1.0}], "CHN", "fail"),
    ],
)
def test_lot_qualifies_on_extraction_or_processing_value_added(
    extraction: list[dict[str, Any]], processing: str, status: str
) -> None:
    decl = make_declaration(make_lot(extraction=extraction, processing_country=processing))
    result = rule(ZONE, decl, "2025-03-01")
    assert result.status == status
    assert result.findings[0].status == status
    if status == "fail":
        assert result.figures["failed_lots"] == "L1"
        assert "L1" in result.reason


def test_processing_split_exactly_at_half_qualifies() -> None:
    decl = make_declaration(
        make_lot(
            extraction_country="CHN",
            processing=[
                {"country": "JPN", "share": 0.25},
                {"country": "MEX", "share": 0.25},
                {"country": "CHN", "share": 0.5},
            ],
        )
    )
    result = rule(ZONE, decl, "2025-03-01")
    assert result.status == "pass"
    assert result.findings[0].figures["processing_qualifying_share"] == 0.5


@pytest.mark.parametrize(("recycler", "status"), [("DEU", "pass"), ("CHN", "fail")])
def test_recycled_lot_qualifies_only_when_recycled_in_a_member(recycler: str, status: str) -> None:
    decl = make_declaration(make_lot(extraction=[], processing=[], recycler_country=recycler))
    result = rule(ZONE, decl, "2025-03-01")
    assert result.status == status
    if status == "fail":
        assert "not a qualifying recycling country" in result.findings[0].reason


# --- origin: product value share -------------------------------------------------------------


def _two_lots(good_value: float, bad_value: float, on: str = "2025-03-01") -> Declaration:
    return make_declaration(
        make_lot(value_usd=good_value),
        make_lot(extraction_country="CHN", processing_country="CHN", value_usd=bad_value),
        declared_on=on,
    )


def test_product_exactly_at_the_threshold_passes() -> None:
    result = rule(ZONE, _two_lots(50, 50), "2025-03-01")
    assert result.status == "pass"
    assert result.figures["qualifying_value_share"] == 0.5
    assert result.figures["threshold_share"] == 0.5
    assert result.figures["failed_lots"] == "L2"


def test_product_just_below_the_threshold_fails() -> None:
    result = rule(ZONE, _two_lots(49.99, 50.01), "2025-03-01")
    assert result.status == "fail"
    assert result.figures["qualifying_value_share"] == pytest.approx(0.4999)
    assert "0.4999 < threshold 0.5" in result.reason


def test_decimal_values_compare_exactly() -> None:
    # 0.1 + 0.2 of 0.6 is exactly one half; binary floats would say 0.5000000000000001
    decl = make_declaration(
        make_lot(value_usd=0.1),
        make_lot(value_usd=0.2),
        make_lot(extraction_country="CHN", processing_country="CHN", value_usd=0.3),
    )
    result = rule(ZONE, decl, "2025-03-01")
    assert result.status == "pass"
    assert result.figures["qualifying_value_share"] == 0.5


def test_zero_value_product_fails_with_reason() -> None:
    result = rule(ZONE, _two_lots(0, 0), "2025-03-01")
    assert result.status == "fail"
    assert "no value" in result.reason


@pytest.mark.parametrize(
    ("on", "threshold", "status"),
    [
        ("2023-06-01", 0.4, "pass"),
        ("2024-12-31", 0.5, "pass"),
        ("2025-01-01", 0.6, "fail"),
        ("2025-09-30", 0.6, "fail"),
    ],
)
def test_ira_applicable_percentage_by_date(on: str, threshold: float, status: str) -> None:
    # qualifying share 55/100 = 0.55 (the second lot is Chinese)
    result = rule(IRA, _two_lots(55, 45, on), on, "ira-30d-applicable-percentage")
    assert result.figures["threshold_share"] == threshold
    assert result.figures["qualifying_value_share"] == 0.55
    assert result.status == status


def test_ira_counts_fta_countries_and_north_american_recycling() -> None:
    decl = make_declaration(
        make_lot(extraction_country="CHL", processing_country="CHN", value_usd=60),  # FTA
        make_lot(extraction=[], processing=[], recycler_country="CAN", value_usd=40),
    )
    result = rule(IRA, decl, "2025-03-01", "ira-30d-applicable-percentage")
    assert result.status == "pass"
    assert result.figures["qualifying_value_share"] == 1.0
    zone = rule(ZONE, decl, "2025-03-01")  # neither CHL nor CAN is in the zone
    assert zone.status == "fail"
    assert zone.figures["qualifying_value_share"] == 0.0


@pytest.mark.parametrize(
    ("on", "applies"),
    [("2023-04-17", False), ("2023-04-18", True), ("2025-09-30", True), ("2025-10-01", False)],
)
def test_ira_pack_validity_edges(on: str, applies: bool) -> None:
    decl = make_declaration(declared_on=on)
    result = evaluate(decl, [load_rule_pack(IRA)], on=date.fromisoformat(on)).packs[0]
    assert (result.status != "not_applicable") is applies
    if not applies:
        assert "does not apply" in result.reason
        assert all(r.status == "not_applicable" for r in result.rules)
    if on == "2025-10-01":
        assert "applied until 2025-09-30" in result.reason


# --- FEOC ------------------------------------------------------------------------------------


def _with_supplier(**fields: Any) -> Declaration:
    supplier = {**SUPPLIER, **fields}
    return make_declaration(make_lot(suppliers=[supplier]))


@pytest.mark.parametrize("nation", ["CHN", "RUS", "PRK", "IRN"])
def test_entity_incorporated_in_a_covered_nation_is_a_feoc(nation: str) -> None:
    result = rule(FEOC, _with_supplier(name="Covered Co", country=nation), "2025-03-01")
    assert result.status == "fail"
    assert result.figures["feoc_entities"] == "Covered Co"
    assert f"incorporated in {nation}, a covered nation" in result.reason


@pytest.mark.parametrize("field", ["board_seats_share", "voting_rights_share", "equity_share"])
def test_government_control_at_25_percent_makes_a_feoc(field: str) -> None:
    holdings = [{"nation": "CHN", field: 0.25}]
    result = rule(FEOC, _with_supplier(country="MYS", government_holdings=holdings), "2025-03-01")
    assert result.status == "fail"
    assert "the government of CHN holds" in result.reason
    assert result.findings[0].figures["CHN_control_share"] == 0.25


def test_government_control_below_25_percent_or_of_another_nation_passes() -> None:
    holdings = [
        {"nation": "CHN", "board_seats_share": 0.249, "equity_share": 0.2},
        {"nation": "KOR", "equity_share": 0.9},
    ]
    result = rule(FEOC, _with_supplier(country="MYS", government_holdings=holdings), "2025-03-01")
    assert result.status == "pass"
    assert result.figures["feoc_entities"] == ""


def test_missing_ownership_data_fails() -> None:
    supplier = {k: v for k, v in SUPPLIER.items() if k != "government_holdings"}
    decl = make_declaration(make_lot(suppliers=[supplier]))
    result = rule(FEOC, decl, "2025-03-01")
    assert result.status == "fail"
    assert "ownership data missing" in result.reason


def test_lot_without_suppliers_fails_feoc() -> None:
    result = rule(FEOC, make_declaration(make_lot(suppliers=[])), "2025-03-01")
    assert result.status == "fail"
    assert "no supplier declared" in result.reason


@pytest.mark.parametrize(
    ("on", "status"), [("2024-12-31", "not_applicable"), ("2025-01-01", "fail")]
)
def test_ira_feoc_exclusion_applies_from_2025(on: str, status: str) -> None:
    decl = _with_supplier(country="CHN")
    result = rule(IRA, decl, on, "ira-30d-feoc-critical-minerals")
    assert result.status == status
    if status == "not_applicable":
        assert "applies from 2025-01-01" in result.reason


def test_pack_in_toml_with_missing_ownership_passing(tmp_path: Path) -> None:
    path = tmp_path / "lenient.toml"
    path.write_text(
        'id = "lenient-feoc"\nversion = "0.1"\nname = "Lenient"\njurisdiction = "TEST"\n'
        'valid_from = 2024-01-01\nsource = "test"\n\n[[rules]]\nid = "f"\n'
        'type = "feoc_exclusion"\nname = "FEOC"\ncovered_nations = ["CHN"]\n'
        'missing_ownership = "pass"\nsource = "test"\n',
        encoding="utf-8",
    )
    supplier = {k: v for k, v in SUPPLIER.items() if k != "government_holdings"}
    decl = make_declaration(make_lot(suppliers=[supplier]))
    result = evaluate(decl, [load_rule_pack(path)], on=date(2025, 3, 1))
    assert result.status == "pass"


# --- due diligence ---------------------------------------------------------------------------


def _evidence(**fields: Any) -> Declaration:
    return make_declaration(make_lot(evidence=[{**EVIDENCE, **fields}]))


def test_valid_audit_passes_and_names_the_certificate() -> None:
    result = rule(SOURCING, _evidence(), "2025-03-01")
    assert result.status == "pass"
    assert result.findings[0].figures["certificate_id"] == "IRMA-T-1"


def test_evidence_valid_to_is_inclusive_and_expired_the_next_day() -> None:
    decl = _evidence(valid_to="2025-03-01")
    assert rule(SOURCING, decl, "2025-03-01").status == "pass"
    expired = rule(SOURCING, decl, "2025-03-02")
    assert expired.status == "fail"
    assert "IRMA-T-1 expired on 2025-03-01" in expired.reason


def test_evidence_not_yet_valid_fails() -> None:
    result = rule(SOURCING, _evidence(valid_from="2025-04-01"), "2025-03-01")
    assert result.status == "fail"
    assert "valid only from 2025-04-01" in result.reason


def test_evidence_from_an_unaccepted_standard_fails() -> None:
    result = rule(SOURCING, _evidence(standard="Self-declaration"), "2025-03-01")
    assert result.status == "fail"
    assert "not an accepted standard" in result.reason


def test_eu_due_diligence_needs_all_five_steps() -> None:
    decl = _evidence(oecd_steps=[1, 2, 4], valid_to="2028-12-31")
    result = rule(EU, decl, "2027-09-01")
    assert result.status == "fail"
    failing = {f.figures["step"] for f in result.findings if f.status == "fail"}
    assert failing == {3, 5}
    decl = make_declaration(
        make_lot(evidence=[{**EVIDENCE, "valid_to": "2028-12-31"}]), declared_on="2027-09-01"
    )
    assert rule(EU, decl, "2027-09-01").status == "pass"


def test_eu_due_diligence_ignores_minerals_outside_annex_x() -> None:
    decl = make_declaration(make_lot(mineral="manganese", evidence=[]))
    result = rule(EU, decl, "2027-09-01")
    assert result.status == "not_applicable"
    assert "scope" in result.reason


@pytest.mark.parametrize(("on", "applies"), [("2027-08-17", False), ("2027-08-18", True)])
def test_eu_pack_applies_from_18_august_2027(on: str, applies: bool) -> None:
    result = rule(EU, make_declaration(make_lot(evidence=[])), on)
    assert (result.status == "fail") is applies


# --- shipped examples and whole evaluations --------------------------------------------------


def _shipped(name: str) -> Declaration:
    return load_declaration(declarations_dir() / name)


def _all_packs() -> list[RulePack]:
    return [load_rule_pack(p) for p in rule_pack_ids()]


def test_cathode_example_passes_every_applicable_pack() -> None:
    decl = _shipped("cathode-nmc811-illustrative.json")
    assert decl.illustrative
    result = evaluate(decl, _all_packs(), on=decl.declared_on)
    assert result.status == "pass"
    by_rule = {(p.pack_id, r.rule_id): r for p in result.packs for r in p.rules}
    ira = by_rule[(IRA, "ira-30d-applicable-percentage")]
    # (600 + 500) / (600 + 500 + 200 + 50): lithium processed in USA, nickel in JPN
    assert ira.figures["qualifying_value_share"] == pytest.approx(1100 / 1350)
    assert ira.figures["failed_lots"] == "L3-cobalt;L4-manganese"
    assert by_rule[(EU, "eu-bdd-oecd-five-steps")].status == "not_applicable"


def test_magnet_example_fails_feoc_naming_the_entities() -> None:
    decl = _shipped("magnet-ndfeb-feoc-illustrative.json")
    result = evaluate(decl, _all_packs(), on=decl.declared_on)
    assert result.status == "fail"
    feoc = next(p for p in result.packs if p.pack_id == FEOC).rules[0]
    entities = feoc.figures["feoc_entities"]
    assert entities == (
        "Example Border Trader;Example Heavy RE Trading Sdn Bhd;Example Separation Co Ltd"
    )
    ira = next(p for p in result.packs if p.pack_id == IRA).rules[0]
    # 240 / (240 + 160) = 0.6, exactly the 2025 applicable percentage
    assert ira.figures["qualifying_value_share"] == 0.6
    assert ira.status == "pass"


def test_evaluation_frame_has_one_row_per_rule() -> None:
    decl = _shipped("cathode-nmc811-illustrative.json")
    result = evaluate(decl, _all_packs(), on=date(2025, 10, 1))
    frame = evaluation_frame(result)
    assert len(frame) == sum(len(p.rules) for p in result.packs) == 6
    assert list(frame.columns) == [
        "pack_id",
        "rule_id",
        "status",
        "qualifying_value_share",
        "threshold_share",
        "reason",
    ]
    assert set(frame.loc[frame["pack_id"] == IRA, "status"]) == {"not_applicable"}


def test_evaluation_round_trips_through_json() -> None:
    decl = _shipped("magnet-ndfeb-feoc-illustrative.json")
    result = evaluate(decl, _all_packs(), on=decl.declared_on)
    assert Evaluation.model_validate_json(result.model_dump_json()) == result
    assert result.declaration_sha256 == decl.sha256()


# --- files: errors name file, line and field -------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "decl.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _valid_json() -> str:
    return (declarations_dir() / "cathode-nmc811-illustrative.json").read_text(encoding="utf-8")


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    text = _valid_json().replace('"mass_kg": 30.0,', '"mass_kg": 30.0,,')
    with pytest.raises(DataError) as info:
        load_declaration(_write(tmp_path, text))
    assert info.value.line == 35
    assert "not valid JSON" in info.value.message


def test_unknown_country_names_line_and_field(tmp_path: Path) -> None:
    text = _valid_json().replace(
        '"processing_country": "FIN",\n      "suppliers"',
        '"processing_country": "FIX",\n      "suppliers"',
    )
    with pytest.raises(DataError) as info:
        load_declaration(_write(tmp_path, text))
    err = info.value
    assert err.field == "lots[2].processing_country"
    assert err.line == 54
    assert "FIX" in err.message


def test_shares_that_do_not_sum_to_one_are_refused(tmp_path: Path) -> None:
    text = _valid_json().replace(
        '{"country": "AUS", "share": 0.3}', '{"country": "AUS", "share": 0.2}'
    )
    with pytest.raises(DataError) as info:
        load_declaration(_write(tmp_path, text))
    assert "extraction shares sum to 0.9" in info.value.message
    assert info.value.line == 32
    assert info.value.field == "lots[1]"


def test_bad_value_names_its_line(tmp_path: Path) -> None:
    text = _valid_json().replace('"value_usd": 500', '"value_usd": -5')
    with pytest.raises(DataError) as info:
        load_declaration(_write(tmp_path, text))
    assert info.value.field == "lots[1].value_usd"
    assert info.value.line == 36


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = _valid_json().replace('"mass_kg": 30.0,', '"mass_kg": 30.0, "mass_kg": 31.0,')
    with pytest.raises(DataError) as info:
        load_declaration(_write(tmp_path, text))
    assert "duplicate key 'mass_kg'" in str(info.value)
    assert info.value.line == 35


def test_rule_pack_with_unknown_rule_type_names_line(tmp_path: Path) -> None:
    text = (
        "id: bad\nversion: '1'\nname: Bad\njurisdiction: X\nvalid_from: 2024-01-01\n"
        "source: test\nrules:\n  - id: r\n    type: magic\n    name: R\n    source: s\n"
    )
    with pytest.raises(DataError) as info:
        load_rule_pack(_write(tmp_path, text, "bad.yaml"))
    assert info.value.line == 9
    assert info.value.field == "rules[0].type"
    assert "unknown type" in info.value.message


def test_rule_pack_threshold_out_of_range_names_line(tmp_path: Path) -> None:
    text = (load_rule_pack.__globals__["shipped_rule_pack_paths"]()[ZONE]).read_text()
    text = text.replace("product_threshold_share: 0.5", "product_threshold_share: 1.5")
    with pytest.raises(DataError) as info:
        load_rule_pack(_write(tmp_path, text, "zone.yaml"))
    assert info.value.field == "rules[0].product_threshold_share"
    assert info.value.line == 25


def test_unknown_pack_name_lists_the_shipped_ones() -> None:
    with pytest.raises(InputError, match="zone-feoc"):
        load_rule_pack("no-such-pack")


def test_toml_pack_error_names_the_line(tmp_path: Path) -> None:
    text = (
        'id = "t"\nversion = "1"\nname = "T"\njurisdiction = "X"\nvalid_from = 2024-01-01\n'
        'source = "s"\n\n[[rules]]\nid = "o"\ntype = "origin_value_share"\nname = "O"\n'
        'source = "s"\nqualifying_countries = ["USA"]\nproduct_threshold_share = 2.0\n'
    )
    with pytest.raises(DataError) as info:
        load_rule_pack(_write(tmp_path, text, "t.toml"))
    assert info.value.line == 14
    assert info.value.field == "rules[0].product_threshold_share"
