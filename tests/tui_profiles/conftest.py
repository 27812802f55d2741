"""Fixtures for the profile picker and the first-run screen: several profiles in the
isolated home (the demo, opened with --config as the app does in tests, plus `app` and a
broken one in the profiles dir)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.conftest import RecordingApp, demo_config, demo_service, fixed_clock, utc_tz  # noqa: F401 (fixtures)
from tui_backup.config import profile_path, profiles_dir
from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module

GIB = 1024**3
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def pinned_free_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))


@pytest.fixture
def broken_profile(isolated_home: Path) -> Path:
    """A profile whose config does not load: the picker lists it, and refuses to open it."""
    path = profile_path("broken")
    profiles_dir().mkdir(parents=True, exist_ok=True)
    path.write_text('[profile]\nname = "broken"\n[source]\ndatabase = "nosuch://x"\n')
    return path


@pytest.fixture
def picker_app(demo_service: ProfileService, profile_config: Path,  # noqa: F811
               broken_profile: Path) -> Iterator[RecordingApp]:
    yield RecordingApp(demo_service, clock=fixed_clock)
