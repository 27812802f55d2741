"""`tui-backup history PATH [--json] [--check]`."""

from __future__ import annotations

import shlex
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.helpers import BIN, assert_error, cli
from tests.helpers import add_destination
from tui_backup import clock


@pytest.fixture
def config(profile_config: Path, tmp_path: Path) -> Path:
    (tmp_path / "usb").mkdir()
    (tmp_path / "mirror").mkdir()
    add_destination(profile_config, "usb", path=tmp_path / "usb")
    return add_destination(profile_config, "mirror", "rsync", path=f"{tmp_path}/mirror")


def run(*args: str) -> None:
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    clock.set_now(clock.now() + timedelta(minutes=1))  # the next point gets another name


def test_history_cli(config: Path, app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set_now(clock.now())
    c = ["--config", str(config)]
    f = app_dir / "files" / "a.txt"
    run(*c, "backup", "run", "usb", "--type", "full")
    f.write_text("two\n")
    run(*c, "backup", "run", "mirror", "--type", "files")
    f.unlink()
    run(*c, "snapshot", "create")

    monkeypatch.chdir(app_dir)  # a path relative to the cwd
    r = cli(*c, "history", "files/a.txt", "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["path"] == str(f)
    assert [v["action"] for v in data["versions"]] == ["file.scan", "file.modified", "file.deleted"]
    assert [[h["destination"] for h in v["holders"]] for v in data["versions"]] == [["usb"], ["mirror"], []]
    assert not data["versions"][0]["current"]

    checked = cli(*c, "history", str(f), "--check", "--json").json()
    assert checked["checked"] and checked["versions"][1]["holders"][0]["confirmed"] is True

    human = cli(*c, "history", str(f))
    assert human.exit_code == 0, human.stderr
    assert "present at the first scan" in human.stdout and "deleted" in human.stdout
    command = data["versions"][1]["holders"][0]["command"]
    assert command in " ".join(human.stdout.split())

    # the command shown is the real one: run it (as a process) and get the version back
    out = tmp_path / "out"
    argv = shlex.split(command.replace("DIR", str(out)))
    assert argv[0] == "tui-backup"
    p = subprocess.run([str(BIN), *c, *argv[1:]], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert (out / "files" / "files" / "a.txt").read_text() == "two\n"


def test_history_errors(config: Path, tmp_path: Path, app_dir: Path) -> None:
    c = ["--config", str(config)]
    assert_error(cli(*c, "history", str(app_dir / "files")), 2, "is a directory", "per file")
    assert_error(cli(*c, "history", str(tmp_path / "nope.txt")), 2, "is not a protected file", "[source] files")


