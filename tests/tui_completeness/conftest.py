"""Fixtures for the completeness tests: a profile in the test's own home (paths show as
~/app/...), two snapshots with row changes between them, the tool's clock pinned to the
app's, free space pinned and the crontab a file of the test's own — so the new screens
look the same on every run (snapshot tests)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_app_db
from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock, utc_tz  # noqa: F401 (a fixture)
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service import schedule_install as si
from tui_backup.service import snapshots as snapshots_module
from tui_backup.service import volumes as volumes_module
from tui_backup.service.setup import InitRequest, init_profile

GIB = 1024**3
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch, utc_tz: None, isolated_home: Path) -> Iterator[None]:  # noqa: F811
    """The tool's clock is the app's; snapshot ids numbered; free space fixed; the crontab a file."""
    counter = itertools.count(1)
    monkeypatch.setattr(snapshots_module, "new_snapshot_id",
                        lambda now=None: f"{(now or clock.now()):%Y%m%d-%H%M%S}-{next(counter):04x}")
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))
    monkeypatch.setenv(si.CRONTAB_FILE_ENV, str(isolated_home / "crontab"))
    with clock.pinned(FIXED_NOW):
        yield


@pytest.fixture
def app_home(isolated_home: Path, pinned: None) -> Path:
    """~/app: a database, files/ and a config file."""
    app = isolated_home / "app"
    (app / "files").mkdir(parents=True)
    (app / "files" / "a.txt").write_text("hello\n")
    (app / "app.conf").write_text("key = value\n")
    make_app_db(app / "app.db", rows=50)
    return app


@pytest.fixture
def service(app_home: Path) -> Iterator[ProfileService]:
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app_home / 'app.db'}",
                                      files=(app_home / "files",), config_files=(app_home / "app.conf",))).file
    svc = ProfileService.open(config=config, interface="tui")
    yield svc
    svc.close()


def seed_snapshots(svc: ProfileService, app: Path) -> None:
    """Two snapshots, 2 h and 1 h ago, with rows inserted, updated and deleted between them (their
    jobs took 0.5 s)."""
    clock.set_now(FIXED_NOW - timedelta(hours=2))
    svc.create_snapshot(note="before")
    with sqlite3.connect(app / "app.db") as conn:
        conn.execute("INSERT INTO tags (label) VALUES ('new-tag')")
        conn.execute("UPDATE assets SET size = size + 1 WHERE id <= 3")
        conn.execute("DELETE FROM assets WHERE id = 50")
    conn.close()
    clock.set_now(FIXED_NOW - timedelta(hours=1))
    svc.create_snapshot(note="after")
    clock.set_now(FIXED_NOW)
    with svc.catalog.transaction() as conn:  # measured on the real clock: pinned for the Stats screen's snapshot
        conn.execute("UPDATE jobs SET duration_s = 0.5")


@pytest.fixture
def tools_app(service: ProfileService, app_home: Path) -> RecordingApp:
    seed_snapshots(service, app_home)
    return RecordingApp(service, clock=fixed_clock)
