"""`tui-backup trash put|list|show|restore|purge`."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import assert_error, cli


def test_trash_commands(profile_config: Path, tmp_path: Path) -> None:
    c = ["--config", str(profile_config), "trash"]
    f = tmp_path / "doc.txt"
    f.write_text("v1")
    r = cli(*c, "put", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    (item,) = r.json()
    assert not f.exists() and item["state"] == "trashed" and item["original"] == str(f)
    listed = cli(*c, "list", "--json").json()
    assert [i["id"] for i in listed] == [item["id"]]
    assert cli(*c, "list", "--kind", "snapshot", "--json").json() == []
    human = cli(*c, "list")
    assert item["id"] in human.stdout and "1 item(s)" in human.stdout
    shown = cli(*c, "show", item["id"])
    assert shown.exit_code == 0 and item["sha256"] in shown.stdout
    f.write_text("v2")
    assert_error(cli(*c, "restore", item["id"]), 1, "already exists", "--overwrite")
    r = cli(*c, "restore", item["id"], "--overwrite")
    assert r.exit_code == 0, r.stderr
    assert f.read_text() == "v1" and "restored" in r.stdout
    (replaced,) = cli(*c, "list", "--json").json()
    assert replaced["kind"] == "overwritten"
    assert_error(cli(*c, "purge", "--all"), 2, "needs confirmation", "--yes")
    assert_error(cli(*c, "purge"), 2, "purge what?")
    r = cli(*c, "purge", "--all", "--yes")
    assert r.exit_code == 0 and "purged 1 item(s)" in r.stdout
    assert "the trash is empty" in cli(*c, "list").stdout
    assert cli(*c, "purge", "--expired", "--json").json() == []
    assert_error(cli(*c, "show", "nope"), 2, "no trash item 'nope'")
