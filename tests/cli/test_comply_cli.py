"""``friendshore comply`` through Typer's runner: check, keygen, issue, verify, revoke, audit."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.data.compliance_files import declarations_dir

runner = CliRunner()
CATHODE = str(declarations_dir() / "cathode-nmc811-illustrative.json")
MAGNET = str(declarations_dir() / "magnet-ndfeb-feoc-illustrative.json")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["comply", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRIENDSHORE_REGISTRY", f"sqlite:///{tmp_path / 'registry.sqlite'}")
    monkeypatch.setenv("FRIENDSHORE_KEYS", str(tmp_path / "keys"))
    return tmp_path


def test_packs_lists_the_shipped_packs() -> None:
    code, out, _ = run("packs", "--format", "json")
    assert code == 0
    packs = {p["id"]: p for p in json.loads(out)}
    assert packs["us-ira-30d-critical-minerals"]["valid_to"] == "2025-09-30"
    assert packs["zone-feoc"]["jurisdiction"] == "ZONE"


def test_check_json_names_the_feoc_entities() -> None:
    code, out, _ = run("check", MAGNET, "--rules", "zone-feoc", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["status"] == "fail"
    rule = result["packs"][0]["rules"][0]
    assert "Example Separation Co Ltd" in rule["figures"]["feoc_entities"]


def test_check_table_and_date_outside_the_ira_pack() -> None:
    code, out, _ = run(
        "check", CATHODE, "-r", "us-ira-30d-critical-minerals", "--date", "2025-10-01"
    )
    assert code == 0
    assert "not_applicable" in out
    assert "applied until 2025-09-30" in out


def test_check_csv_has_one_row_per_rule() -> None:
    code, out, _ = run("check", CATHODE, "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == (
        "pack_id,rule_id,status,qualifying_value_share,threshold_share,reason"
    )
    assert len(out.splitlines()) == 7


def test_check_bad_input_exits_2_naming_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        Path(CATHODE).read_text(encoding="utf-8").replace('"value_usd": 500', '"value_usd": "x"'),
        encoding="utf-8",
    )
    code, _, err = run("check", str(bad))
    assert code == 2
    assert "bad.json, line 36, field 'lots[1].value_usd'" in err
    code, _, err = run("check", CATHODE, "--date", "2025-13-01")
    assert code == 2
    assert "not a date" in err
    code, _, err = run("check", CATHODE, "--rules", "no-such-pack")
    assert code == 2


def test_issue_verify_revoke_audit(env: Path) -> None:
    code, _, err = run("issue", CATHODE, "--member", "EU27", "--date", "2025-03-01")
    assert code == 2
    assert "comply keygen --member EU27" in err
    code, _, err = run("keygen", "--member", "EU27")
    assert code == 0
    assert "mode 0600" in err
    assert run("keygen", "--member", "EU27")[0] == 2  # never overwritten
    code, out, err = run("issue", CATHODE, "--member", "EU27", "--date", "2025-03-01")
    assert code == 0, err
    cert = json.loads(out)
    serial = cert["credentialSubject"]["serial"]
    assert f"issued {serial}" in err
    path = env / "cert.json"
    path.write_text(out, encoding="utf-8")
    code, out, _ = run("verify", str(path), "--at", "2025-06-01", "--format", "json")
    assert code == 0
    assert json.loads(out)["status"] == "valid"
    code, out, _ = run("verify", serial, "--at", "2026-06-01", "--format", "json")
    assert code == 1
    assert json.loads(out)["status"] == "expired"
    # one byte changed: the signature no longer verifies
    tampered = env / "tampered.json"
    tampered.write_text(path.read_text().replace('"value_usd": 600', '"value_usd": 601'))
    code, out, _ = run("verify", str(tampered), "--at", "2025-06-01", "--format", "json")
    assert code == 1
    assert json.loads(out)["status"] == "invalid_signature"
    # another member cannot revoke EU27's certificate
    assert run("keygen", "--member", "USA")[0] == 0
    code, _, err = run("revoke", serial, "--member", "USA", "--reason", "not mine")
    assert code == 1
    assert "may not revoke" in err
    code, out, _ = run("revoke", serial, "--member", "EU27", "--reason", "audit withdrawn")
    assert code == 0
    assert json.loads(out)["revoked_by"] == "issuer:EU27"
    code, out, _ = run("verify", serial, "--at", "2025-06-01", "--format", "json")
    assert json.loads(out)["status"] == "revoked"
    code, out, _ = run("list", "--format", "json")
    assert [c["serial"] for c in json.loads(out)] == [serial]
    code, out, _ = run("audit", "verify", "--format", "json")
    assert code == 0
    assert json.loads(out)["entries"] == 4
    code, out, _ = run("audit", "show", "--format", "json")
    assert [e["action"] for e in json.loads(out)] == [
        "declaration.submit",
        "issuer_key.register",
        "certificate.issue",
        "certificate.revoke",
    ]


def test_audit_verify_fails_on_a_tampered_log(env: Path) -> None:
    run("keygen", "--member", "EU27")
    assert run("issue", CATHODE, "--member", "EU27", "--date", "2025-03-01")[0] == 0
    with closing(sqlite3.connect(env / "registry.sqlite")) as conn, conn:
        conn.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 3")
    code, out, _ = run("audit", "verify", "--format", "json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == 3


def test_audit_verify_expect_head_catches_entries_removed_from_the_end(env: Path) -> None:
    run("keygen", "--member", "EU27")
    assert run("issue", CATHODE, "--member", "EU27", "--date", "2025-03-01")[0] == 0
    code, out, _ = run("audit", "verify", "--format", "json")
    assert code == 0
    recorded = json.loads(out)
    assert recorded["entries"] == 3  # declaration, key registration, issuance
    code, out, _ = run(
        "audit", "verify", "--expect-head", recorded["head_hash"], "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["expected_head_seq"] == 3
    with closing(sqlite3.connect(env / "registry.sqlite")) as conn, conn:
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
    # the chain alone cannot tell that its last entry is gone; the recorded head can
    assert run("audit", "verify", "--format", "json")[0] == 0
    code, out, _ = run(
        "audit", "verify", "--expect-head", recorded["head_hash"], "--format", "json"
    )
    assert code == 1
    check = json.loads(out)
    assert (check["ok"], check["entries"]) == (False, 2)
    assert "is not the hash of any entry" in check["message"]
    code, _, err = run("audit", "verify", "--expect-head", "not-a-hash")
    assert code == 2
    assert "64 lowercase hex digits" in err


def test_failing_declaration_is_not_issued(env: Path) -> None:
    run("keygen", "--member", "EU27")
    code, _, err = run("issue", MAGNET, "--member", "EU27", "--date", "2025-06-15")
    assert code == 2
    assert "does not pass" in err
    assert "Example Separation Co Ltd" in err


def test_token_prints_a_key_once(env: Path) -> None:
    code, out, _ = run("token", "--role", "issuer", "--name", "EU27")
    assert code == 0
    assert out.strip().startswith("fsk_")
    with closing(sqlite3.connect(env / "registry.sqlite")) as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys").fetchall()
    assert len(stored) == 1
    assert out.strip() not in stored[0][0]
