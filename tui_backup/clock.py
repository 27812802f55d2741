"""The tool's idea of "now".

Every decision that depends on the time of day — when a policy is due, how old a restore
point is, what retention keeps, the timestamp a backup is named after — asks `now()`, so
the scheduler can be driven through simulated days in tests (`pinned`) and in a
subprocess (`TUI_BACKUP_NOW=2026-03-29T01:30:00Z`, an ISO-8601 time; for testing and for
rehearsing a schedule, never set in production). Durations (timeouts, rates) keep using
the monotonic clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

NOW_ENV = "TUI_BACKUP_NOW"
CATALOG_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_pinned: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _pinned is not None:
        return _pinned
    env = os.environ.get(NOW_ENV)
    if env:
        return parse_time(env)
    return datetime.now(UTC)


def parse_time(text: str) -> datetime:
    """An ISO-8601 time (a trailing Z allowed; naive means UTC) as aware UTC."""
    at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def to_catalog(at: datetime) -> str:
    """The catalog's text form: 2026-11-21T22:48:00.000000Z (sorts as it should)."""
    return at.astimezone(UTC).strftime(CATALOG_FORMAT)


def from_catalog(text: str) -> datetime:
    return datetime.strptime(text, CATALOG_FORMAT).replace(tzinfo=UTC)


def pinned_at() -> datetime | None:
    """The pinned time, if `set_now`/`pinned` pinned one (a child process gets it as NOW_ENV)."""
    return _pinned


def set_now(at: datetime | None) -> None:
    """Pin the clock at `at` (None: the real clock again). Tests only."""
    global _pinned
    _pinned = None if at is None else at.astimezone(UTC)


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Within the block, `now()` is `at` (move it with `set_now`)."""
    previous = _pinned
    set_now(at)
    try:
        yield
    finally:
        set_now(previous)
