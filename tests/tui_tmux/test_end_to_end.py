"""End to end in a real terminal (tmux, 80x24): `tui-backup demo`, a backup to the demo's
rsync destination with its progress on screen, a deleted file brought back through the
restore wizard, and quitting — every step by keys, every check on the captured screen."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui_tmux.terminal import Terminal
from tui_backup.config import profile_path
from tui_backup.service import ProfileService
from tui_backup.service.demo import DEMO_MIRROR, FILES_DIR, create_demo

CLI = [sys.executable, "-m", "tui_backup"]
# The demo's backup takes well under a second at full speed: too quick to watch. A real
# rsync option (KiB/s) stretches it over a few seconds, so its progress can be seen.
BWLIMIT = "100"
PERCENT = re.compile(r"\b\d{1,3}(\.\d)?%")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"tui-backup-e2e-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        yield term
    finally:
        term.kill()


def first_file(directory: Path) -> Path:
    """The file the path tree shows first in `directory` (names sorted)."""
    return sorted(p for p in directory.iterdir() if p.is_file())[0]


def test_demo_has_an_rsync_destination_that_backs_up(tmp_path: Path) -> None:
    config = create_demo(tmp_path / "demo", config_path=tmp_path / "demo.toml", with_policy=True)
    svc = ProfileService.open(config=config)
    try:
        mirror = next(d for d in svc.config.destinations if d.name == DEMO_MIRROR)
        assert mirror.type == "rsync"
        assert svc.list_restore_points(DEMO_MIRROR) == []
        finished = svc.run_backup(DEMO_MIRROR, "full")
        assert finished.ok, (finished.error_message, finished.hint)
        [point] = svc.list_restore_points(DEMO_MIRROR)
        assert point.type == "full" and point.complete
        assert (tmp_path / "demo" / "rsync-mirror" / "latest").is_symlink()
    finally:
        svc.close()


@pytest.mark.slow
def test_backup_then_restore_a_deleted_file_through_the_wizard(terminal: Terminal, tmp_path: Path) -> None:
    demo_dir = tmp_path / "assetd"
    # Create the demo first (as `tui-backup demo` does), to slow its rsync destination down.
    made = subprocess.run([*CLI, "demo", "--dir", str(demo_dir), "--no-open"], capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    config = profile_path("demo")
    text = config.read_text(encoding="utf-8")
    assert text.rstrip().endswith(f'path = "{demo_dir / "rsync-mirror"}"'), "the mirror is the last table"
    config.write_text(text + f'bwlimit = "{BWLIMIT}"\n', encoding="utf-8")

    # Running the demo again reuses the profile and opens the app on it.
    terminal.start([*CLI, "demo", "--dir", str(demo_dir)], cwd=str(tmp_path))
    screen = terminal.wait_for("profile: demo", "Dashboard", "Quit", timeout=30)
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)

    # ---- a backup to the rsync destination: Policies → Destinations → the mirror → b ----
    # The footer lists the focused pane's keys: it tells when a key will reach the pane.
    terminal.keys("3")
    terminal.wait_for("nightly", "d Destinations")
    terminal.keys("d")
    terminal.wait_for(DEMO_MIRROR, "Restore points at demo-drive", "b Backup")
    terminal.keys("Down")
    terminal.wait_for(f"Restore points at {DEMO_MIRROR}: 0")
    terminal.keys("b")
    terminal.wait_for(f"Back up to {DEMO_MIRROR}: what?")
    terminal.keys("Enter")  # full: the first type
    # Watch it: the pane's activity line with a percentage while it runs, then the new point.
    terminal.wait_until(
        lambda s: any(f"to {DEMO_MIRROR}" in line and PERCENT.search(line) for line in s.splitlines()),
        "the backup's progress", timeout=60)
    terminal.wait_for(f"Restore points at {DEMO_MIRROR}: 1", "✔ backup succeeded", timeout=120)

    # ---- a file of the demo's files dir is deleted ----
    folder = demo_dir / FILES_DIR / "brand"
    victim = first_file(folder)
    content = victim.read_bytes()
    victim.unlink()

    # ---- the restore wizard: the mirror's point → chosen paths → the file → in place ----
    terminal.keys("R")
    terminal.wait_for("Restore wizard · step 1/5")
    terminal.wait_for_re(r"\b\d+ of \d+ restore points")  # listed
    # Only the mirror's point, by the search box (every word must match: the snapshot the
    # backup took names the mirror in its note): `/` focuses it, ctrl+u empties it, so a
    # repeated try (keys that landed before the focus did, under load) types it afresh.
    terminal.retry(lambda: (terminal.keys("/", "C-u"), terminal.type(f"{DEMO_MIRROR} full")),
                   r"\b1 of \d+ restore points")
    # Enter leaves the search box for the table, the next one picks the point.
    terminal.keys("Enter")
    terminal.retry(lambda: terminal.keys("Enter"), "step 2/5", wait=8.0)
    terminal.wait_for_re(rf"^ {DEMO_MIRROR} \d{{8}}T\d{{6}}Z")  # the choices line: the mirror's point
    terminal.wait_for("step 2/5", "chosen paths")
    terminal.keys("Down", "Down", "Down", "Enter")  # everything, the database, all files, chosen paths
    terminal.wait_for("Space marks a file", "brand/")
    # The tree opens two levels: files/ → library/ → brand/ (first, collapsed): open it.
    terminal.keys("Down", "Down", "Enter")
    terminal.wait_for(victim.name)
    terminal.keys("Down", "Space")
    terminal.wait_for(f"[x] {victim.name}")
    terminal.keys("c")
    terminal.wait_for("step 3/5", "in place")
    terminal.keys("Enter")  # in place: the first target
    plan = terminal.wait_for("step 4/5", "type the profile's name (demo)", timeout=60)
    assert "Added: 1" in plan, plan
    assert not victim.exists()  # the dry run changed nothing
    terminal.type("demo")
    terminal.keys("Enter")
    # both lines: a capture can land between the writes of one frame (seen under load)
    terminal.wait_for("✔ Restored", "in place: 1 files", timeout=60)
    assert victim.read_bytes() == content
    terminal.keys("Enter")  # closes the wizard
    terminal.wait_for("Restore points at", "b Backup")  # back on the pane

    # ---- quit: no job is running, so at once ----
    terminal.keys("q")
    status = terminal.wait_exit(timeout=15)
    assert status == "0", terminal.screen()
