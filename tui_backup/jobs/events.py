"""Typed events that jobs send to whoever watches them.

Two ways to watch an operation:
- plain operations (snapshots, local restores) call a `ProgressCallback` with `Progress`
  from whatever thread they run in (interfaces marshal to their own thread);
- jobs run by the asyncio runner (tui_backup.jobs.runner) emit the whole event stream:
  `Started`, then any number of `Progress`, `LogLine` and `JobWarning`, then exactly one
  `Finished`. Subscribers see at most ~10 `Progress` a second (the newest wins); every
  log line is written to the job's log file even when a slow subscriber drops some.

All events are frozen dataclasses: safe to hand to another thread as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Progress:
    """Where an operation is: its stage, and how far along (fraction None = unknown).

    `rate` is bytes per second, `eta_s` seconds left (None = unknown), `current` the item
    being worked on (a file path, a table name).
    """

    stage: str  # e.g. "copying", "verifying", "compressing", "restoring", "backing up"
    fraction: float | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    message: str = ""
    files_done: int | None = None
    files_total: int | None = None
    rate: float | None = None
    eta_s: float | None = None
    current: str = ""


# ---- the runner's events (tui_backup.jobs.runner) ----

SUCCEEDED = "succeeded"
SUCCEEDED_WITH_WARNINGS = "succeeded-with-warnings"
FAILED = "failed"
CANCELLED = "cancelled"
FINAL_STATUSES = (SUCCEEDED, SUCCEEDED_WITH_WARNINGS, FAILED, CANCELLED)


@dataclass(frozen=True)
class Started:
    """The job got its locks and slot and begins (job_id is its catalog id, or a counter)."""

    job_id: int
    kind: str  # "backup", "restore", "check", ...
    target: str  # usually the destination's name
    started_at: float  # time.time()
    log_path: str | None = None


@dataclass(frozen=True)
class LogLine:
    """One line of output: `stream` is "stdout"/"stderr" of the child, or "job" for the runner's own."""

    stream: str
    text: str


@dataclass(frozen=True)
class JobWarning:
    """Something the user should know that does not fail the job (e.g. files vanished)."""

    message: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finished:
    """The last event of every job. `error_kind` is a tui_backup.jobs.errors.ErrorKind value."""

    job_id: int
    status: str  # one of FINAL_STATUSES
    summary: str = ""
    error_kind: str | None = None
    error_message: str | None = None
    hint: str | None = None
    duration_s: float = 0.0
    bytes_done: int = 0
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # the job's result (e.g. snapshot id)

    @property
    def ok(self) -> bool:
        return self.status in (SUCCEEDED, SUCCEEDED_WITH_WARNINGS)


Event = Started | Progress | LogLine | JobWarning | Finished


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
