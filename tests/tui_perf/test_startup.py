"""Start-up and frame settings behind the performance budget (benchmarks/tui.py measures them)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.tui.conftest import SIZE, RecordingApp, settle
from tui_backup.service import ProfileService

PERIOD = "import tui_backup.tui.app, textual.screen as s; print(round(1 / s.UPDATE_PERIOD))"


def frame_rate(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    run = subprocess.run([sys.executable, "-c", PERIOD], env={**clean, **env}, capture_output=True, text=True,
                         timeout=60, check=True)
    return run.stdout.strip()


def test_the_app_draws_up_to_120_frames_a_second_unless_the_user_says_otherwise() -> None:
    assert frame_rate() == "120"  # a key's repaint waits at most ~8 ms for its frame slot
    assert frame_rate(TEXTUAL_FPS="30") == "30"


class CountingApp(RecordingApp):
    """Records how many widgets were mounted at each full CSS refresh (a theme change)."""

    def __init__(self, service: ProfileService) -> None:
        super().__init__(service)
        self.refreshed_with: list[int] = []

    def refresh_css(self, animate: bool = True) -> None:
        self.refreshed_with.append(len(self._registry))
        super().refresh_css(animate)


async def test_the_theme_is_applied_before_the_widgets_are_mounted(demo_service: ProfileService) -> None:
    app = CountingApp(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Applied on load: restyling an empty app, not every widget of every pane again.
        assert app.refreshed_with and max(app.refreshed_with) <= 2, app.refreshed_with
