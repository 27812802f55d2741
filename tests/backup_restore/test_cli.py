"""`tui-backup backup restore` end to end: backups made by `backup run` (service/backups.py)
to real local destinations (copies and archives), restored through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.backups.conftest import tree_digest
from tests.cli.helpers import cli
from tests.helpers import add_destination

from .conftest import db_dump


@pytest.fixture
def cfg(profile_config: Path, app_dir: Path, tmp_path: Path) -> Path:
    import os

    files = app_dir / "files"
    (files / "sub" / "deep").mkdir(parents=True)
    (files / "sub" / "deep" / "c.txt").write_text("deep\n")
    os.chmod(files / "sub" / "deep" / "c.txt", 0o640)
    os.symlink("sub/deep/c.txt", files / "link-to-c")
    drive = tmp_path / "drive"
    (drive / "mirror").mkdir(parents=True)
    add_destination(profile_config, "usb", path=drive)
    add_destination(profile_config, "usb-tar", path=drive, archive=True)
    return add_destination(profile_config, "mirror", "rsync", path=f"{drive}/mirror")


def _change(app_dir: Path) -> None:
    (app_dir / "files" / "a.txt").write_text("changed\n")
    (app_dir / "files" / "sub" / "deep" / "c.txt").unlink()
    (app_dir / "files" / "extra.txt").write_text("new\n")
    conn = sqlite3.connect(app_dir / "app.db")
    conn.execute("DELETE FROM tags WHERE id > 15")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("dest", ["usb", "usb-tar", "mirror"])
def test_cli_dry_run_then_in_place(cfg: Path, app_dir: Path, dest: str) -> None:
    assert cli("--config", str(cfg), "backup", "run", dest).exit_code == 0
    files_before, db_before = tree_digest(app_dir / "files"), db_dump(app_dir / "app.db")
    _change(app_dir)
    changed = tree_digest(app_dir / "files")

    r = cli("--config", str(cfg), "backup", "restore", dest, "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["added"] == ["files/files/sub/deep/c.txt"]
    assert plan["overwritten"] == ["files/files/a.txt"]
    assert plan["deleted"] == ["files/files/extra.txt"]
    assert {t["table"]: t["rows_after"] - t["rows_before"] for t in plan["tables"]}["tags"] == 5
    assert tree_digest(app_dir / "files") == changed

    refused = cli("--config", str(cfg), "backup", "restore", dest)  # no terminal, no --yes
    assert refused.exit_code != 0 and "--yes" in refused.stderr
    assert tree_digest(app_dir / "files") == changed

    r = cli("--config", str(cfg), "backup", "restore", dest, "latest", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "restored" in r.stdout and "safety snapshot" in r.stdout
    assert tree_digest(app_dir / "files") == files_before
    assert db_dump(app_dir / "app.db") == db_before

    # one file, by its layout path, for every destination type
    (app_dir / "files" / "a.txt").write_text("changed again\n")
    (app_dir / "files" / "extra.txt").write_text("kept\n")
    r = cli("--config", str(cfg), "backup", "restore", dest, "--path", "files/files/a.txt", "--yes")
    assert r.exit_code == 0, r.stderr
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n" and (app_dir / "files" / "extra.txt").exists()


def test_cli_to_dir_and_single_path(cfg: Path, app_dir: Path, tmp_path: Path) -> None:
    assert cli("--config", str(cfg), "backup", "run", "usb-tar", "--type", "files").exit_code == 0
    out = tmp_path / "out"
    r = cli("--config", str(cfg), "backup", "restore", "usb-tar", "--to", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["in_place"] is False
    assert (out / "files" / "files" / "sub" / "deep" / "c.txt").read_text() == "deep\n"
    again = cli("--config", str(cfg), "backup", "restore", "usb-tar", "--to", str(out))
    assert again.exit_code == 2 and "not empty" in again.stderr
    _change(app_dir)
    r = cli("--config", str(cfg), "backup", "restore", "usb-tar", "--path", str(app_dir / "files" / "sub"), "--yes")
    assert r.exit_code == 0, r.stderr
    assert (app_dir / "files" / "sub" / "deep" / "c.txt").read_text() == "deep\n"
    assert (app_dir / "files" / "a.txt").read_text() == "changed\n"  # outside the path: untouched
    r = cli("--config", str(cfg), "backup", "restore", "usb-tar", "--database", "--yes")
    assert r.exit_code != 0 and "holds no database" in r.stderr
