"""`tui-backup backup run|list` and `destination list|init|check` through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import assert_error, cli, run_bin


def test_run_and_list(backup_config: Path, drive: Path) -> None:
    r = cli("--config", str(backup_config), "backup", "run", "usb", "--type", "files")
    assert r.exit_code == 0, r.stderr
    assert "backup" in r.stdout and "-files" in r.stdout
    listed = cli("--config", str(backup_config), "backup", "list", "usb", "--json")
    assert listed.exit_code == 0, listed.stderr
    points = json.loads(listed.stdout)
    assert len(points) == 1 and points[0]["type"] == "files" and points[0]["destination"] == "usb"
    human = cli("--config", str(backup_config), "backup", "list", "usb")
    assert points[0]["id"] in human.stdout


def test_json_event_lines(backup_config: Path) -> None:
    r = cli("--config", str(backup_config), "backup", "run", "usb", "--type", "database", "--json")
    assert r.exit_code == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert events[0]["event"] == "started" and events[0]["kind"] == "backup"
    assert events[-1]["event"] == "finished" and events[-1]["status"] == "succeeded"
    assert events[-1]["details"]["point"]["type"] == "database"
    assert {e["event"] for e in events} <= {"started", "progress", "log", "warning", "finished"}


def test_unknown_destination_and_type(backup_config: Path) -> None:
    assert_error(cli("--config", str(backup_config), "backup", "run", "nowhere"), 2, "no destination named")
    r = cli("--config", str(backup_config), "backup", "run", "usb", "--type", "everything")
    assert r.exit_code == 2 and "unknown backup type" in r.stderr


def test_destination_commands(backup_config: Path) -> None:
    r = cli("--config", str(backup_config), "destination", "list", "--json")
    assert [d["name"] for d in json.loads(r.stdout)] == ["usb", "usb-tar"]
    assert cli("--config", str(backup_config), "destination", "init", "usb").exit_code == 0
    assert cli("--config", str(backup_config), "backup", "run", "usb-tar", "--type", "config").exit_code == 0
    r = cli("--config", str(backup_config), "destination", "check", "usb-tar")
    assert r.exit_code == 0 and "all good" in r.stdout


def test_real_process_and_no_textual(backup_config: Path, tmp_path: Path) -> None:
    r = run_bin("--config", str(backup_config), "backup", "run", "usb")
    assert r.exit_code == 0, r.stderr
    assert "backup usb:" in r.stderr  # plain progress lines when not on a terminal
    script = tmp_path / "modules.py"
    report = tmp_path / "modules.txt"
    script.write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(report)!r}, 'w').write('\\n'.join(sorted(sys.modules))))\n"
        f"sys.argv = ['tui-backup', '--config', {str(backup_config)!r}, 'backup', 'list', 'usb', '--json']\n"
        "from tui_backup.cli import main\n"
        "main()\n"
    )
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=os.environ.copy())
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) == 1
    modules = set(report.read_text().split())
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


def test_ctrl_c_cancels_cleanly(backup_config: Path, app_dir: Path, drive: Path) -> None:
    """A real process: SIGINT while copying ends the job "cancelled", says so, exits 130,
    and leaves nothing at the destination that looks like a backup."""
    import signal

    from tests.cli.helpers import BIN

    big = app_dir / "files" / "big"
    big.mkdir()
    for i in range(60):
        (big / f"f{i}.bin").write_bytes(os.urandom(2_000_000))
    p = subprocess.Popen(
        [str(BIN), "--config", str(backup_config), "backup", "run", "usb", "--type", "files"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    assert p.stderr is not None
    seen = []
    for line in p.stderr:
        seen.append(line)
        if ": copying" in line:
            p.send_signal(signal.SIGINT)
            break
    rest = p.communicate(timeout=60)[1]
    stderr = "".join(seen) + rest
    assert p.returncode == 130, stderr
    assert "cancelled" in stderr and "Traceback" not in stderr
    assert [q.name for q in (drive / "app").iterdir()] == []
    listed = cli("--config", str(backup_config), "backup", "list", "usb", "--json")
    assert json.loads(listed.stdout) == []
