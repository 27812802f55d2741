"""Fixtures shared by every test: an isolated home, a sample application database, a profile."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import open_service
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service.setup import InitRequest, init_profile


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config and state dirs; nothing from the real user leaks in."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("TUI_BACKUP_CONFIG", "TUI_BACKUP_PROFILE", "DATABASE_URL", "PGPASSWORD", "NO_COLOR", "TUI_BACKUP_NOW"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    """A test that pins the tool's clock (tui_backup.clock) never leaves it pinned for the next."""
    clock.set_now(None)
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def steady_input_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused Input's cursor blinks every 0.5 s, so a snapshot of a form would depend on the
    moment it is taken (a slow machine catches it hidden). In app tests it stays shown.
    Only when the test already loaded Textual: one-shot command tests must not import it."""
    input_module = sys.modules.get("textual.widgets._input")
    if input_module is not None:
        monkeypatch.setattr(input_module.Input, "_toggle_cursor", lambda _self: None)


def make_app_db(path: Path, rows: int = 500) -> Path:
    """A small application database in WAL mode: assets, tags, and a link table."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE assets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER, body BLOB);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL);
        CREATE TABLE asset_tags (asset_id INTEGER REFERENCES assets(id), tag_id INTEGER REFERENCES tags(id));
        CREATE INDEX asset_tags_asset ON asset_tags(asset_id);
        """
    )
    conn.executemany(
        "INSERT INTO assets (name, size, body) VALUES (?, ?, ?)",
        [(f"asset-{i}.jpg", i * 10, bytes([i % 256]) * 64) for i in range(rows)],
    )
    conn.executemany("INSERT INTO tags (label) VALUES (?)", [(f"tag{i}",) for i in range(20)])
    conn.executemany("INSERT INTO asset_tags VALUES (?, ?)", [(i + 1, i % 20 + 1) for i in range(rows)])
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    d = tmp_path / "app"
    (d / "files").mkdir(parents=True)
    (d / "files" / "a.txt").write_text("hello\n")
    (d / "app.conf").write_text("key = value\n")
    make_app_db(d / "app.db")
    return d


@pytest.fixture
def profile_config(app_dir: Path) -> Path:
    """A profile named `app` over `app_dir`, created as `tui-backup init` would."""
    config = init_profile(
        InitRequest(
            name="app",
            database=f"sqlite://{app_dir / 'app.db'}",
            files=(app_dir / "files",),
            config_files=(app_dir / "app.conf",),
        )
    )
    return config.file


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """An empty directory for a local destination (a plugged-in drive)."""
    d = tmp_path / "drive"
    d.mkdir()
    return d


@pytest.fixture
def svc(profile_config: Path) -> Iterator[ProfileService]:
    with open_service(profile_config) as service:
        yield service


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reliability", "fault injection (tests/reliability)")
    group.addoption("--kill-points", type=int, default=20,
                    help="random SIGKILL moments per operation in tests/reliability (default 20)")
    group.addoption("--run-long", action="store_true",
                    help="also run the tests marked `long` (larger fault-injection variants)")
    group.addoption("--reliability-report", action="store_true",
                    help="rewrite tests/reliability/README.md from this run's cases")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-long"):
        return
    skip = pytest.mark.skip(reason="a long variant: run with --run-long")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
