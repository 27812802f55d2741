"""`tui-backup policy add|edit|pause|resume|remove|list|show` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import BIN, assert_error, cli, run_bin


def _c(config: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return cli("--config", str(config), "policy", *args, input=input)


def test_add_with_flags_then_list_and_show(usb_config: Path) -> None:
    r = _c(usb_config, "add", "--name", "nightly", "--destination", "usb", "--frequency", "daily", "--time", "03:00",
           "--keep-daily", "30", "--keep-weekly", "12", "--keep-monthly", "12", "--timeout", "2h")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "added policy nightly" in r.stdout and "keep_daily = 30" in r.stdout
    r = _c(usb_config, "add", "--name", "sound", "--destination", "usb", "--frequency", "weekly", "--weekday", "sunday",
           "--keep-within", "14d", "--keep-within-weekly", "74d", "--paused")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    listed = _c(usb_config, "list", "--json").json()
    assert [p["name"] for p in listed] == ["nightly", "sound"]
    nightly, sound = listed
    assert nightly["state"] == "active" and nightly["destination"] == "usb" and nightly["include"] == "full"
    assert nightly["schedule"]["frequency"] == "daily" and nightly["schedule"]["time"] == "03:00"
    assert nightly["schedule"]["text"] == "daily at 03:00"
    assert nightly["retention"]["keep_daily"] == 30 and nightly["timeout"] == "2h"
    assert "30 daily" in nightly["retention"]["text"]
    assert sound["state"] == "paused" and sound["retention"]["keep_within_weekly"] == "74d"
    human = _c(usb_config, "list")
    assert human.exit_code == 0 and "nightly" in human.stdout and "daily at 03:00" in human.stdout
    shown = _c(usb_config, "show", "sound", "--json").json()
    assert shown["schedule"]["weekday"] == "sunday" and shown["line"] is not None
    human = _c(usb_config, "show", "nightly")
    assert "daily at 03:00" in human.stdout and "2h" in human.stdout
    assert_error(_c(usb_config, "show", "nope"), 2, "no policy 'nope'")


def test_add_refuses_invalid_and_incomplete(usb_config: Path) -> None:
    before = usb_config.read_bytes()
    assert_error(_c(usb_config, "add", "--name", "x"), 2, "--destination")
    assert_error(_c(usb_config, "add", "--name", "x", "--destination", "nas"), 2, "unknown destination 'nas'",
                 "policy.x.destination")  # fmt: skip
    assert_error(_c(usb_config, "add", "--name", "x", "--destination", "usb", "--every", "soon"), 2,
                 "policy.x.every")  # fmt: skip
    assert usb_config.read_bytes() == before


def test_add_interactive(usb_config: Path) -> None:
    answers = "\n".join([
        "weekly-db",  # name
        "",  # destination: the default (usb)
        "database",  # include
        "weekly",  # schedule
        "04:30",  # time
        "saturday",  # weekday
        "",  # keep last
        "7",  # keep daily
        "4",  # keep weekly
        "",  # keep monthly
        "",  # max count
        "",  # keep within
        "90d",  # max age
    ]) + "\n"  # fmt: skip
    r = _c(usb_config, "add", "--interactive", input=answers)
    assert r.exit_code == 0, r.stderr
    (p,) = _c(usb_config, "list", "--json").json()
    assert p["name"] == "weekly-db" and p["destination"] == "usb" and p["include"] == "database"
    assert p["schedule"]["frequency"] == "weekly" and p["schedule"]["time"] == "04:30"
    assert p["schedule"]["weekday"] == "saturday"
    assert p["retention"]["keep_daily"] == 7 and p["retention"]["keep_weekly"] == 4
    assert p["retention"]["max_age"] == "90d" and "keep_last" not in p["retention"]


def test_edit_pause_resume_remove(usb_config: Path) -> None:
    assert _c(usb_config, "add", "--name", "n", "--destination", "usb", "--frequency", "daily").exit_code == 0
    r = _c(usb_config, "edit", "n", "--set", "retention.keep_daily=30", "--set", "time=04:00",
           "--set", 'hooks.before=["/bin/true"]', "--set", "frequency=weekly", "--set", "weekday=monday")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    p = _c(usb_config, "show", "n", "--json").json()
    assert p["retention"]["keep_daily"] == 30 and p["schedule"]["time"] == "04:00"
    assert p["schedule"]["weekday"] == "monday" and p["hooks"]["before"][0]["argv"] == ["/bin/true"]
    before = usb_config.read_bytes()
    assert_error(_c(usb_config, "edit", "n", "--set", "retention.keep_daily=none"), 2,
                 "policy.n.retention.keep_daily", "must be an integer")  # fmt: skip
    assert_error(_c(usb_config, "edit", "n", "--set", "frequency=daily"), 2, "weekday applies only")
    assert_error(_c(usb_config, "edit", "n"), 2, "nothing to change")
    assert usb_config.read_bytes() == before
    r = _c(usb_config, "edit", "n", "--unset", "weekday", "--set", "frequency=daily")
    assert r.exit_code == 0, r.stderr

    assert "paused policy n" in _c(usb_config, "pause", "n").stdout
    assert "already paused" in _c(usb_config, "pause", "n").stdout
    assert _c(usb_config, "list", "--json").json()[0]["state"] == "paused"
    assert "resumed policy n" in _c(usb_config, "resume", "n").stdout
    assert _c(usb_config, "list", "--json").json()[0]["state"] == "active"

    assert_error(_c(usb_config, "remove", "n"), 2, "needs confirmation", "--yes")
    assert _c(usb_config, "list", "--json").json()[0]["name"] == "n"
    r = _c(usb_config, "remove", "n", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "removed policy n" in r.stdout and ".tui-backup-trash" in r.stdout
    assert _c(usb_config, "list", "--json").json() == []
    assert "no policies yet" in _c(usb_config, "list").stdout


def test_remove_asks_on_a_terminal(usb_config: Path) -> None:
    from tests.cli.helpers import run_in_terminal

    assert _c(usb_config, "add", "--name", "n", "--destination", "usb").exit_code == 0
    code, out = run_in_terminal("--config", str(usb_config), "policy", "remove", "n", answer="n")
    assert code == 1 and "cancelled" in out
    code, out = run_in_terminal("--config", str(usb_config), "policy", "remove", "n", answer="y")
    assert code == 0 and "removed policy" in out


def test_real_process_and_no_textual(usb_config: Path, tmp_path: Path) -> None:
    r = run_bin("--config", str(usb_config), "policy", "add", "--name", "n", "--destination", "usb")
    assert r.exit_code == 0, r.stderr
    script = tmp_path / "modules.py"
    report = tmp_path / "modules.txt"
    script.write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(report)!r}, 'w').write('\\n'.join(sorted(sys.modules))))\n"
        f"sys.argv = ['tui-backup', '--config', {str(usb_config)!r}, 'policy', 'list', '--json']\n"
        "from tui_backup.cli import main\nmain()\n"
    )
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)[0]["name"] == "n"
    assert not [m for m in report.read_text().splitlines() if m == "textual" or m.startswith("textual.")]
    assert BIN.exists()
