"""How the app writes sizes, times, ages, paths and states.

Every state is shown as a symbol *and* a word, never by colour alone, so the app reads the
same with NO_COLOR, in a 16-colour terminal and to a colour-blind user.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


# Symbols are plain Unicode that every terminal font we know of carries.
HEALTH_SYMBOLS = {"ok": "✔", "warn": "▲", "fail": "✖"}
HEALTH_WORDS = {"ok": "healthy", "warn": "warning", "fail": "failing"}

VERIFY_LABELS = {"ok": "✔ ok", "corrupt": "✖ corrupt", "missing": "✖ missing", None: "· never"}

VOLUME_SYMBOLS = {
    "online": "✔",
    "offline": "✖",
    "foreign": "✖",
    "missing": "✖",
    "read-only": "▲",
    "low space": "▲",
}

JOB_SYMBOLS = {
    "running": "⟳",
    "succeeded": "✔",
    "succeeded-with-warnings": "▲",
    "failed": "✖",
    "cancelled": "■",
}
# Words that fit a narrow table column (the full status is shown beside the selected job).
JOB_SHORT_WORDS = {"succeeded-with-warnings": "warnings"}


def health_label(health: str) -> str:
    return f"{HEALTH_SYMBOLS.get(health, '?')} {HEALTH_WORDS.get(health, health)}"


def verify_label(status: str | None) -> str:
    return VERIFY_LABELS.get(status, f"? {status}")


def volume_label(state: str) -> str:
    return f"{VOLUME_SYMBOLS.get(state, '?')} {state}"


def job_label(status: str) -> str:
    return f"{JOB_SYMBOLS.get(status, '?')} {status}"


def job_short_label(status: str) -> str:
    return f"{JOB_SYMBOLS.get(status, '?')} {JOB_SHORT_WORDS.get(status, status)}"


def human_bytes(n: int | None) -> str:
    """At most 7 characters: `512 B`, `99.5 KB`, `320 MB`."""
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(size)} B"
            return f"{size:.1f} {unit}" if abs(size) < 100 else f"{size:.0f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def compact_count(n: int) -> str:
    """`13,556`, `345k`, `12.3M`: row counts in a narrow column."""
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def parse_timestamp(ts: str) -> datetime:
    """The catalog's UTC timestamps (`2024-03-01T12:00:00.000000Z`), tolerant of variants."""
    text = ts.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local_time(ts: str | None) -> str:
    """A catalog timestamp in the user's local time, to the minute."""
    if not ts:
        return "—"
    try:
        return parse_timestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ts


def short_time(ts: str | None, now: datetime) -> str:
    """`03-01 09:00` this year, `2023-03-01` before (as `ls -l` does): narrow enough for 80 columns."""
    if not ts:
        return "—"
    try:
        local = parse_timestamp(ts).astimezone()
    except ValueError:
        return ts
    if local.year == now.astimezone().year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d")


def full_time(ts: str | None) -> str:
    if not ts:
        return "—"
    try:
        return parse_timestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ts


def age(ts: str | None, now: datetime) -> str:
    """`3 min ago`, `2 h ago`, `5 days ago`."""
    if not ts:
        return "—"
    try:
        seconds = (now - parse_timestamp(ts)).total_seconds()
    except ValueError:
        return "?"
    return human_duration(seconds) + " ago" if seconds >= 60 else "just now"


def human_duration(seconds: float) -> str:
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f} s"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    days = s // 86400
    return f"{days} day" if days == 1 else f"{days} days"


def display_path(path: str | Path) -> str:
    """A path with the home directory written as `~` (shorter, and the same on every machine)."""
    text = str(path)
    home = os.path.expanduser("~")
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    for prefix in ("sqlite://",):
        if text.startswith(prefix):
            return prefix + display_path(text[len(prefix) :])
    return text


def rows_label(tables: int, rows: int) -> str:
    return f"{tables} / {compact_count(rows)}"
