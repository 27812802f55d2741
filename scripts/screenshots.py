#!/usr/bin/env python3
"""Regenerate screenshots/*.svg from the demo profile, with deterministic data.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Writes one SVG per pane at 100x30 (dashboard, snapshots, policies, destinations, jobs,
trash, journal), the dashboard at 80x24 in the ANSI-16 theme (what a plain terminal shows),
and two of the restore wizard (its restore points, and a dry run). The README shows them.

Everything runs inside a temporary home (HOME and the XDG dirs point into it), so the
user's own profiles are never touched and paths show as `~/...` on every machine. What
would change between runs is fixed: the demo data (seeded), the time zone (UTC), the app's
clock, the snapshots' and trash items' creation times and ids, and the free space of the
volumes. Pictures go through Textual's own screenshot export (App.run_test, then
export_screenshot) and are written atomically.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PANE_SIZE = (100, 30)  # one picture per pane
PLAIN_SIZE = (80, 24)  # the smallest supported terminal, 16 colours
PLAIN_THEME = "ansi16"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the app's clock in the pictures
SNAPSHOT_TIMES = [NOW - timedelta(days=2, hours=3), NOW - timedelta(hours=5, minutes=12), NOW - timedelta(minutes=18)]
TRASHED_AT = NOW - timedelta(hours=3, minutes=40)
GIB = 1024**3
# (file name, keys pressed from the Dashboard): one picture per pane.
PANES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dashboard", ("1",)),
    ("snapshots", ("2", "down")),
    ("policies", ("3", "down")),
    ("destinations", ("3", "d")),
    ("jobs", ("4",)),
    ("trash", ("5",)),
    ("journal", ("6",)),
)


def isolate(home: Path) -> None:
    """Point HOME and the XDG dirs into `home`; fix the time zone."""
    os.environ["HOME"] = str(home)
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".local/state"),
                     ("XDG_DATA_HOME", ".local/share"), ("XDG_CACHE_HOME", ".cache")):
        os.environ[var] = str(home / sub)
    for var in ("TUI_BACKUP_CONFIG", "TUI_BACKUP_PROFILE", "NO_COLOR", "DATABASE_URL"):
        os.environ.pop(var, None)
    os.environ["TZ"] = "UTC"
    time.tzset()


@contextmanager
def frozen_snapshots() -> Iterator[None]:
    """Snapshots created inside get fixed creation times and ids (in order)."""
    from tui_backup.service import snapshots as engine

    times = iter(SNAPSHOT_TIMES)
    suffixes = iter(["3f2a", "9c41", "d07e", "5b18", "a6c3"])

    class FixedSecrets:
        @staticmethod
        def token_hex(_n: int) -> str:
            return next(suffixes)

    from tui_backup.service import journal, trash

    def fixed_actor(svc: object) -> dict[str, object]:
        # Who did it is journalled (and hashed into the chain): not this machine, not this pid.
        return {"who": "ana@assetd-host", "pid": 4242, "interface": getattr(svc, "interface", "cli")}

    # (module, attribute, stand-in): set with setattr, put back afterwards.
    patches = [
        (engine, "utc_now", lambda: next(times).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        (engine, "secrets", FixedSecrets),
        (trash, "secrets", FixedSecrets),
        (journal, "actor", fixed_actor),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def pin_free_space() -> None:
    """Free space is the one fact of this machine on screen: pin it."""
    from tui_backup.service import volumes

    def usage(path: Path) -> tuple[int, int, bool]:
        return 42 * GIB, 100 * GIB, False

    volumes._usage = usage


POLICIES = """
[[destination]]
name = "usb"
type = "local"
path = "{drive}"

[[policy]]
name = "nightly"
destination = "usb"
frequency = "daily"
time = "02:00"

[policy.retention]
keep_daily = 7
keep_weekly = 4

[[policy]]
name = "configs"
destination = "usb"
include = "config"
every = "6h"

[policy.retention]
keep_last = 10
"""


def add_policies(svc_config: Path, home: Path) -> None:
    """A destination and two policies, with a history recorded at fixed times: a week of
    nightly backups (a growing size: the dashboard's trend) and a drill; configs failed
    an hour ago (an alert)."""
    from tui_backup import clock
    from tui_backup.catalog import policy_runs as pr
    from tui_backup.service import ProfileService

    drive = home / "usb-drive"
    drive.mkdir()
    with open(svc_config, "a", encoding="utf-8") as f:
        f.write(POLICIES.format(drive=drive))
    svc = ProfileService.open(config=svc_config)

    def record(policy: str, kind: str, at: datetime, status: str, size_mb: int | None = None,
               error: str | None = None) -> None:
        with clock.pinned(at):
            run_id = pr.start_run(svc.catalog, policy, kind, pr.SCHEDULE)
        with clock.pinned(at + timedelta(seconds=42)):
            point = at.strftime("%Y%m%dT%H%M%SZ") if status == "succeeded" else None
            pr.finish_run(svc.catalog, run_id, status, size_bytes=size_mb * 1024 * 1024 if size_mb else None,
                          duration_s=42.0, error=error, point_id=point)
            if status == "succeeded" and kind == pr.BACKUP:
                pr.update_state(svc.catalog, policy, last_success_at=clock.to_catalog(at),
                                last_slot_done=clock.to_catalog(at), failures=0)

    try:
        day0 = NOW.replace(hour=2, minute=0)
        for i, size in enumerate([40, 41, 41, 43, 44, 44, 46, 47]):
            record("nightly", pr.BACKUP, day0 - timedelta(days=7 - i), "succeeded", size)
        record("nightly", pr.DRILL, NOW - timedelta(days=2), "succeeded")
        record("configs", pr.BACKUP, NOW - timedelta(hours=7), "succeeded", 2)
        record("configs", pr.BACKUP, NOW - timedelta(hours=1), "failed",
               error="before hook failed: mount /mnt/usb (exit 32)")
    finally:
        svc.close()


def build_profile(home: Path) -> Path:
    """The demo profile with three snapshots: the first, one before an upgrade, a newest;
    a destination and two policies with a recorded history."""
    import sqlite3

    from tui_backup import clock
    from tui_backup.service import ProfileService
    from tui_backup.service.demo import create_demo

    config = create_demo(home / "assetd", snapshots=0)
    steady_files(home / "assetd")
    svc = ProfileService.open(config=config)
    try:
        db = svc.config.source.database.path
        assert db is not None
        with frozen_snapshots():
            # One snapshot per frozen time (the engine reads its clock once per snapshot).
            svc.create_snapshot("demo: first snapshot")
            with sqlite3.connect(db) as conn:  # the application keeps working in between
                conn.execute("INSERT INTO audit_log (at, user_id, action, asset_id, detail) "
                             "SELECT at, user_id, action, asset_id, detail FROM audit_log LIMIT 250")
            svc.create_snapshot("before upgrade to assetd 2.4")
            with sqlite3.connect(db) as conn:
                conn.execute("DELETE FROM asset_tags WHERE tag_id = 7")
            svc.create_snapshot()
            # A file removed through the tool waits in the trash (the Trash pane).
            library = svc.config.source.files[0]
            with clock.pinned(TRASHED_AT):
                svc.trash_put(sorted((library / "press").iterdir())[0], reason="removed from the library")
    finally:
        svc.close()
    add_policies(config, home)
    steady_jobs(config, home)
    return config


def steady_jobs(config: Path, home: Path) -> None:
    """The jobs' recorded durations and targets are the last facts of this run on screen:
    a fixed duration, and the temporary home written as ~ (as the app shows paths)."""
    import sqlite3

    from tui_backup.service import ProfileService

    svc = ProfileService.open(config=config)
    try:
        catalog = svc.paths.catalog
    finally:
        svc.close()
    import re

    from tui_backup.fsutil import atomic_write_text

    with sqlite3.connect(catalog) as conn:
        conn.execute("UPDATE jobs SET duration_s = 0.5, pid = 4242, host = 'assetd-host', "
                     "target = replace(target, ?, '~')", (str(home),))
        logs = [Path(row[0]) for row in conn.execute("SELECT log_path FROM jobs WHERE log_path IS NOT NULL")]
    conn.close()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", re.MULTILINE)
    for log in logs:
        if log.is_file():
            text = stamp.sub(NOW.strftime("%Y-%m-%d %H:%M:%S,000"), log.read_text(encoding="utf-8"))
            text = re.sub(r" in \d+\.\d+ s", " in 0.3 s", text.replace(str(home), "~"))
            atomic_write_text(log, text)


def steady_files(directory: Path) -> None:
    """Every file of the sample application gets the same time: file scans journal them."""
    at = NOW.timestamp() - 86400
    for path in sorted(directory.rglob("*")):
        os.utime(path, (at, at), follow_symlinks=False)


async def shoot(config: Path, out: Path) -> list[Path]:
    from textual.pilot import Pilot
    from textual.worker import WorkerState

    from tui_backup.fsutil import atomic_write_text
    from tui_backup.service import ProfileService
    from tui_backup.tui.app import BackupApp

    async def settle(pilot: Pilot[None]) -> None:
        quiet = 0
        while quiet < 3:
            await pilot.pause(0.05)
            busy = any(w.state in (WorkerState.PENDING, WorkerState.RUNNING)
                       for w in pilot.app.workers)
            quiet = 0 if busy else quiet + 1

    written: list[Path] = []

    def save(app: BackupApp, name: str) -> None:
        path = out / f"{name}.svg"
        atomic_write_text(path, app.export_screenshot(title="tui-backup"))
        written.append(path)

    svc = ProfileService.open(config=config, interface="tui")
    try:
        # A fresh app per picture: no toast, focus or scroll position carries over.
        for name, keys in PANES:
            app = BackupApp(svc, clock=lambda: NOW)
            async with app.run_test(size=PANE_SIZE) as pilot:
                await settle(pilot)
                await pilot.press(*keys)
                await settle(pilot)
                save(app, name)
        # The restore wizard: its restore points, then the dry run of the newest snapshot
        # in place (a dry run changes nothing).
        app = BackupApp(svc, clock=lambda: NOW)
        async with app.run_test(size=PANE_SIZE) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            save(app, "wizard-points")
            await pilot.press("enter")  # the newest snapshot: the database → the target step
            await settle(pilot)
            await pilot.press("enter")  # in place
            await settle(pilot)
            save(app, "wizard-dry-run")
        # The smallest terminal with only the terminal's 16 colours. Last: the app may
        # remember a theme chosen while it runs, for the next start.
        app = BackupApp(svc, clock=lambda: NOW)
        async with app.run_test(size=PLAIN_SIZE) as pilot:
            await settle(pilot)
            app.theme = PLAIN_THEME
            await settle(pilot)
            save(app, f"{PLAIN_THEME}-80x24")
    finally:
        svc.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="where to write the SVGs")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tui-backup-screenshots-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        isolate(home)
        pin_free_space()
        from tui_backup import clock

        with clock.pinned(NOW):  # the tool's clock too: next runs, health, ages
            config = build_profile(home)
            for path in asyncio.run(shoot(config, out)):
                print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
