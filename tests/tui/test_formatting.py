"""Small pure pieces of the app: formatting and progress coalescing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tui_backup.jobs.events import Progress
from tui_backup.tui.formatting import age, display_path, health_label, human_bytes, verify_label
from tui_backup.tui.progress import ProgressRelay


def test_states_have_words_and_symbols() -> None:
    assert health_label("ok") == "✔ healthy"
    assert health_label("warn") == "▲ warning"
    assert health_label("fail") == "✖ failing"
    assert verify_label(None) == "· never"
    assert verify_label("corrupt") == "✖ corrupt"


def test_sizes_ages_paths(isolated_home: Path) -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(3 * 1024**3) == "3.0 GB"
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert age("2024-03-01T11:57:00.000000Z", now) == "3 min ago"
    assert age("2024-03-01T11:59:30.000000Z", now) == "just now"
    assert age("2024-02-27T12:00:00.000000Z", now) == "3 days ago"
    assert display_path(isolated_home / "demo" / "app.db") == "~/demo/app.db"
    assert display_path(f"sqlite://{isolated_home}/x.db") == "sqlite://~/x.db"
    assert display_path("/srv/app.db") == "/srv/app.db"


def test_progress_relay_coalesces_to_ten_per_second() -> None:
    now = [0.0]
    seen: list[Progress] = []
    relay = ProgressRelay(seen.append, clock=lambda: now[0])
    for i in range(1000):  # 1000 reports over one second
        now[0] = i / 1000
        relay(Progress("copying", i / 1000))
    assert 9 <= len(seen) <= 11
    relay(Progress("verifying", 0.0))  # a new stage goes through at once
    assert seen[-1].stage == "verifying"
    relay(Progress("verifying", 0.5))
    assert seen[-1].fraction == 0.0
    relay.flush()  # the held-back report is not lost
    assert seen[-1].fraction == 0.5
