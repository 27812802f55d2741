"""Typed progress reports that long operations send to whoever watches them.

Issue 3 turns these into the asyncio runner's events; for now operations call a plain
callback from whatever thread they run in (interfaces marshal to their own thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Where an operation is: its stage, and how far along (fraction None = unknown)."""

    stage: str  # e.g. "copying", "verifying", "compressing", "restoring"
    fraction: float | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    message: str = ""


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    return None


class CancelToken:
    """Set from any thread to ask a running operation to stop at its next safe point."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            from tui_backup.errors import CancelledError

            raise CancelledError("cancelled by the user", "nothing was changed")
