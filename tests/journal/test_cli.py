"""`tui-backup journal list|show|export|verify`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.helpers import assert_error, cli
from tui_backup.service import ProfileService


def test_list_show_json(filled: ProfileService, profile_config: Path) -> None:
    c = str(profile_config)
    r = cli("-c", c, "journal", "list", "--limit", "3", "--json")
    assert r.exit_code == 0, r.stderr
    assert [e["seq"] for e in r.json()] == [10, 9, 8]
    r = cli("-c", c, "journal", "list", "--action", "backup.run", "--before", "6", "--json")
    assert [e["seq"] for e in r.json()] == [4, 2]
    r = cli("-c", c, "journal", "list", "--target", "t1*")
    assert r.exit_code == 0 and "t10" in r.stdout and "snapshot.create" in r.stdout
    r = cli("-c", c, "journal", "show", "7", "--json")
    assert r.json()["target"] == "t7" and r.json()["details"] == {"n": 7}
    r = cli("-c", c, "journal", "show", "7")
    assert "t7" in r.stdout and "hash" in r.stdout
    assert_error(cli("-c", c, "journal", "show", "99"), 2, "no journal entry 99")
    assert_error(cli("-c", c, "journal", "list", "--since", "yesterday"), 2, "not a time")
    assert_error(cli("-c", c, "journal", "list", "--limit", "0"), 2, "--limit")
    assert_error(cli("-c", c, "journal", "list", "--before", "x"), 2, "--before")


def test_export(filled: ProfileService, profile_config: Path, tmp_path: Path) -> None:
    r = cli("-c", str(profile_config), "journal", "export", "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 10
    out = tmp_path / "j.csv"
    r = cli("-c", str(profile_config), "journal", "export", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0 and len(out.read_text().splitlines()) == 11
    assert_error(cli("-c", str(profile_config), "journal", "export", "--format", "xml"), 2, "xml")


def test_verify_ok_then_broken(filled: ProfileService, profile_config: Path, raw: sqlite3.Connection) -> None:
    r = cli("-c", str(profile_config), "journal", "verify")
    assert r.exit_code == 0 and "10 entries" in r.stdout
    raw.execute("UPDATE journal SET details_json = '{\"n\":0}' WHERE seq = 3")
    r = cli("-c", str(profile_config), "journal", "verify")
    assert_error(r, 2, "entry 3", "altered")
    r = cli("-c", str(profile_config), "journal", "verify", "--json")
    assert r.exit_code == 2 and r.json()["first_bad_seq"] == 3


def test_status_fails_on_a_broken_chain(filled: ProfileService, profile_config: Path, raw: sqlite3.Connection) -> None:
    r = cli("-c", str(profile_config), "status", "--json")
    assert not any("journal" in p for p in r.json()["problems"])
    raw.execute("DELETE FROM journal WHERE seq = 10")
    r = cli("-c", str(profile_config), "status", "--json")
    assert r.exit_code == 2
    assert r.json()["health"] == "fail"
    assert any("journal" in p and "10" in p for p in r.json()["problems"])
