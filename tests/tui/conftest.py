"""Fixtures for the terminal app's tests: a demo profile, an app on it, and waiting helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.notifications import SeverityLevel
from textual.pilot import Pilot
from textual.worker import WorkerState

from tui_backup.service import ProfileService
from tui_backup.service.demo import create_demo
from tui_backup.tui.app import BackupApp

SIZE = (80, 24)
# The app's clock in tests: ages on screen ("3 min ago") must not depend on when tests run.
FIXED_NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED_NOW


@pytest.fixture
def utc_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time = UTC, so times on screen are the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def demo_config(isolated_home: Path) -> Path:
    """The demo profile (no snapshots) inside the isolated home: paths show as ~/demo/..."""
    return create_demo(isolated_home / "demo", config_path=isolated_home / "demo.toml", snapshots=0)


@pytest.fixture
def demo_service(demo_config: Path) -> Iterator[ProfileService]:
    service = ProfileService.open(config=demo_config, interface="tui")
    yield service
    service.close()


class RecordingApp(BackupApp):
    """The real app, remembering every notification (they expire on screen after seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str, str]] = []

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        self.notes.append((title, message, severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


@pytest.fixture
def app(demo_service: ProfileService) -> RecordingApp:
    return RecordingApp(demo_service, clock=fixed_clock)


def busy_workers(pilot: Pilot[None]) -> int:
    return sum(1 for w in pilot.app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING))


async def settle(pilot: Pilot[None], timeout: float = 60.0) -> None:
    """Wait until no worker runs and the messages they posted are handled (twice in a row:
    a finished worker's message may start the next one)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still running after {timeout} s: {list(pilot.app.workers)}")
        await pilot.pause(0.05)
        quiet = quiet + 1 if busy_workers(pilot) == 0 else 0
    await pilot.pause()


def notes(pilot: Pilot[None]) -> list[tuple[str, str, str]]:
    """(title, message, severity) of every notification shown so far."""
    app = pilot.app
    assert isinstance(app, RecordingApp)
    return app.notes


def screen_text(pilot: Pilot[None]) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)
