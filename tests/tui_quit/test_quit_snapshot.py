"""Snapshot test of the quit dialog (pytest-textual-snapshot), over the demo's dashboard.

Deterministic as tests/tui/test_frame_snapshot.py: seeded demo data, fixed clock and time
zone, pinned free space. The jobs listed are fixed rows (the dialog only shows them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import SIZE, fixed_clock, settle
from tests.tui.test_frame_snapshot import pinned_free_space  # noqa: F401  (a fixture)
from tui_backup.catalog.jobs import JobRecord
from tui_backup.service import ProfileService
from tui_backup.tui.app import BackupApp
from tui_backup.tui.screens.quit import QuitScreen

JOBS = [
    JobRecord(12, "backup", "demo-drive", "2024-03-01T11:58:00.000000Z", None, "running", 0, None, None, None,
              pid=4242, interface="tui"),
    JobRecord(13, "verify", "20240301-115900", "2024-03-01T11:59:00.000000Z", None, "running", 0, None, None,
              None, pid=4100, interface="tui"),
]


@pytest.mark.usefixtures("utc_tz", "pinned_free_space")
def test_quit_dialog(snap_compare, demo_config: Path) -> None:  # type: ignore[no-untyped-def]
    service = ProfileService.open(config=demo_config, interface="tui")
    try:
        app = BackupApp(service, clock=fixed_clock)

        async def ask(pilot: Pilot[None]) -> None:
            await settle(pilot)
            await pilot.app.push_screen(QuitScreen(JOBS, detached={12}))
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=ask)
    finally:
        service.close()
