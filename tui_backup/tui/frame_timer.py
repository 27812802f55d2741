"""A key's frame at once: each screen's frame timer without Textual's slot skipping.

Why: Textual draws a screen from a timer that pauses while nothing needs drawing and resumes
when something does. After a tick that follows a pause, its `Timer` skips the missed slots
and sleeps to the *second* next slot (8.3–16.7 ms at 120 frames a second). While a job
streams, the Jobs pane draws 4 frames a second, each such a tick: a key pressed just after
one waited for that sleep before its frame started — the key-to-screen p95 tail of issue 6.
Without skipping, a resumed timer ticks at once. Frames are still drawn only when something
changed (one per resume: the screen pauses the timer at every tick), so neither the bytes
sent nor the CPU grow (benchmarks/README.md, "Sixth pass").

Uses Textual's private `Screen._update_timer` and `Timer._skip` (Textual has no public switch);
tests/tui_perf/test_frame_timer.py fails if a Textual release changes either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.timer import Timer

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen


def tick_at_once(screen: Screen[Any]) -> None:
    """This screen's frames start as soon as it has something to draw."""
    timer = getattr(screen, "_update_timer", None)
    if isinstance(timer, Timer) and hasattr(timer, "_skip"):
        timer._skip = False


def frames_at_once(app: App[Any]) -> None:
    """`tick_at_once` for the app's current screen and every screen shown after it."""
    tick_at_once(app.screen)
    app.screen_change_signal.subscribe(app, tick_at_once, immediate=True)


__all__ = ["frames_at_once", "tick_at_once"]
