"""Fixtures for the Trash and Journal panes: a profile in the test's own home (paths show
as ~/app/...), the tool's clock pinned to the app's, deterministic trash item ids, and the
volumes' free space pinned — so the panes look the same on every run (snapshot tests)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_app_db
from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock, utc_tz  # noqa: F401 (a fixture)
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service import trash as trash_module
from tui_backup.service import volumes as volumes_module
from tui_backup.service.setup import InitRequest, init_profile

GIB = 1024**3
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch, utc_tz: None) -> Iterator[None]:  # noqa: F811
    """The tool's clock is the app's; item ids are numbered; free space is fixed."""
    counter = itertools.count(1)
    monkeypatch.setattr(trash_module, "new_item_id",
                        lambda: f"{clock.now().strftime('%Y%m%dT%H%M%SZ')}-{next(counter):06d}")
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))
    with clock.pinned(FIXED_NOW):
        yield


@pytest.fixture
def app_home(isolated_home: Path, pinned: None) -> Path:
    """~/app: a database, files/ and a config file."""
    app = isolated_home / "app"
    (app / "files" / "photos").mkdir(parents=True)
    (app / "files" / "a.txt").write_text("hello\n")
    (app / "files" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8" + b"c" * 3000)
    (app / "files" / "photos" / "dog.jpg").write_bytes(b"\xff\xd8" + b"d" * 5000)
    (app / "app.conf").write_text("key = value\n")
    make_app_db(app / "app.db")
    return app


@pytest.fixture
def service(app_home: Path) -> Iterator[ProfileService]:
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app_home / 'app.db'}",
                                      files=(app_home / "files",), config_files=(app_home / "app.conf",))).file
    svc = ProfileService.open(config=config, interface="tui")
    yield svc
    svc.close()


def seed_trash(svc: ProfileService, app: Path) -> None:
    """Four items: an expired note (trashed 40 days ago), a policy block, a photos folder and
    a file (the newest)."""
    note = app / "files" / "old-note.txt"
    note.write_text("an old note\n")
    clock.set_now(FIXED_NOW - timedelta(days=40))
    svc.trash_put(note, reason="tidied up")
    clock.set_now(FIXED_NOW - timedelta(days=3))
    trash_module.put_text(svc, '[[policy]]\nname = "weekly"\n', kind="policy", original="<config>#policy.weekly",
                          reason="removed from the config", name="weekly.toml")
    clock.set_now(FIXED_NOW - timedelta(hours=5))
    svc.trash_put(app / "files" / "photos", reason="cleared the photos")
    clock.set_now(FIXED_NOW - timedelta(minutes=10))
    svc.trash_put(app / "files" / "a.txt", reason="replaced by hand")
    clock.set_now(FIXED_NOW)


@pytest.fixture
def trash_app(service: ProfileService, app_home: Path) -> RecordingApp:
    seed_trash(service, app_home)
    return RecordingApp(service, clock=fixed_clock)
