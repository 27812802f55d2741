"""Fixtures for the Journal pane: the Trash pane's deterministic profile (pinned clock,
~/app paths) and journal entries written with a fixed actor, so hashes and screens repeat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock
from tests.tui_trash.conftest import app_home, pinned, service, utc_tz  # noqa: F401 (fixtures)
from tui_backup import clock
from tui_backup.catalog import journal as journal_rows
from tui_backup.service import ProfileService

ACTOR = {"who": "alice@backup-host", "pid": 4242, "interface": "cli"}
ACTIONS = ("snapshot.create", "file.modified", "backup.run", "trash.put", "policy.edit")


def add_entries(svc: ProfileService, count: int, *, start: int = 0) -> None:
    """`count` entries a minute apart ending at FIXED_NOW, cycling through ACTIONS."""
    for i in range(start, start + count):
        action = ACTIONS[i % len(ACTIONS)]
        target = f"/home/alice/app/files/doc-{i}.txt" if action == "file.modified" else f"thing-{i}"
        details: dict[str, Any] = {"n": i, "size": i * 10, "nested": {"ok": True, "list": [1, 2]}}
        clock.set_now(FIXED_NOW - timedelta(minutes=start + count - i))
        journal_rows.append(svc.catalog, ACTOR, action, target, details)
    clock.set_now(FIXED_NOW)


@pytest.fixture
def journal_app(service: ProfileService) -> RecordingApp:  # noqa: F811
    add_entries(service, 250)
    return RecordingApp(service, clock=fixed_clock)
