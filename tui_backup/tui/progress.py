"""Coalescing progress reports from a worker thread before they reach the UI.

Operations may report progress thousands of times a second; the screen needs at most ~10
updates a second. A stage change is always passed on at once (it says something new).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tui_backup.jobs.events import Progress

MIN_INTERVAL_S = 0.1


class ProgressRelay:
    """A progress callback for the service that forwards at most one report per interval."""

    def __init__(
        self,
        forward: Callable[[Progress], object],
        *,
        interval: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._forward = forward
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sent = float("-inf")
        self._last_stage: str | None = None
        self._pending: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            now = self._clock()
            if progress.stage == self._last_stage and now - self._last_sent < self._interval:
                self._pending = progress
                return
            self._last_sent = now
            self._last_stage = progress.stage
            self._pending = None
        self._forward(progress)

    def flush(self) -> None:
        """Forward the last report that was held back, if any."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self._forward(pending)
