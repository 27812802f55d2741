"""When a policy's runs are due: the slots of a `ScheduleSpec` (pure; no I/O but the zone lookup).

A **slot** is one scheduled instant (aware UTC). Calendar schedules (hourly / daily /
weekly / monthly / yearly at `time`) are wall-clock times in the policy's zone, turned
into instants DST-safely:

- a wall time that does not exist (spring forward: 02:30 on the night clocks jump from
  02:00 to 03:00) gives ONE slot at the first instant after the gap (03:00);
- a wall time that happens twice (fall back: 02:30 twice) gives ONE slot, the first.

`cron` expressions are evaluated by cronsim in the zone (it follows Debian cron for DST),
and `every` counts fixed intervals from the Unix epoch (UTC), so the slots stay the same
across restarts and config reloads whatever time the scheduler happened to start.

The zone is `spec.timezone`, else the machine's: $TZ, else /etc/localtime's target in the
TZ database (a `datetime.now().astimezone()` offset would not know about DST), else UTC.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from tui_backup.policies.model import WEEKDAYS, ScheduleSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # `every` slots are EPOCH + k * interval
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LOOKAROUND = timedelta(hours=3)  # more than any DST shift: re-scan cron slots near a reverse hit


# ---- the machine's zone ----


def _zone_from_name(name: str) -> tzinfo | None:
    name = name.strip().lstrip(":")
    if not name:
        return None
    if name.startswith("/"):
        return _zone_from_path(Path(name))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _zone_from_path(path: Path) -> tzinfo | None:
    """A TZif file: by its name in the TZ database when it is in one, else read as it is."""
    try:
        target = path.resolve()
    except OSError:
        return None
    parts = target.parts
    if "zoneinfo" in parts:
        key = "/".join(parts[parts.index("zoneinfo") + 1 :])
        for prefix in ("posix/", "right/"):
            key = key.removeprefix(prefix)
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        with open(target, "rb") as f:
            return ZoneInfo.from_file(f, key=str(path))
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=8)
def _local_zone_cached(tz_env: str | None) -> tzinfo:
    if tz_env:
        zone = _zone_from_name(tz_env)
        if zone is not None:
            return zone
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        zone = _zone_from_path(localtime)
        if zone is not None:
            return zone
    try:  # Debian keeps the name here too
        name = Path("/etc/timezone").read_text().strip()
    except OSError:
        name = ""
    zone = _zone_from_name(name) if name else None
    if zone is not None:
        return zone
    if localtime.exists():
        zone = _zone_from_path(localtime)
        if zone is not None:
            return zone
    return UTC


def local_zone() -> tzinfo:
    """The machine's time zone from the TZ database (DST-aware); UTC when none is set."""
    return _local_zone_cached(os.environ.get("TZ"))


def zone_of(spec: ScheduleSpec) -> tzinfo:
    return ZoneInfo(spec.timezone) if spec.timezone else local_zone()


# ---- wall time -> instant ----


def resolve_wall(wall: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) of naive wall time `wall` in `zone`: the first of two when it is
    ambiguous, the end of the gap when it does not exist."""
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc  # exists (fold=0 = the first occurrence when it happens twice)
    # In a gap: fold=0 used the offset before the jump (an instant after the transition),
    # fold=1 the offset after it (an instant before). The transition lies between: find it.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = utc
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while (high - low) > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid <= low:
            break
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high


# ---- schedules ----


def _interval_slot_at_or_before(t: datetime, step: int) -> datetime:
    """The latest `every` slot (EPOCH + k * step) at or before `t`; the next one is a step on."""
    out = EPOCH + timedelta(seconds=int((t - EPOCH).total_seconds() // step) * step)
    # float rounding on huge timestamps can land a step off either way
    while out > t:
        out -= timedelta(seconds=step)
    while out + timedelta(seconds=step) <= t:
        out += timedelta(seconds=step)
    return out


class Schedule:
    """The slots of one schedule. Times in and out are aware (any zone in, UTC out)."""

    def __init__(self, spec: ScheduleSpec) -> None:
        self.spec = spec
        self.zone = zone_of(spec)
        hh, mm = (int(x) for x in spec.time.split(":"))
        self._time = time(hh, mm)

    # -- public --

    def next_after(self, t: datetime) -> datetime | None:
        """The first slot strictly after `t` (None: no slots at all)."""
        t = t.astimezone(UTC)
        spec = self.spec
        if spec.manual:
            return None
        if spec.every is not None:
            return _interval_slot_at_or_before(t, spec.every.seconds) + timedelta(seconds=spec.every.seconds)
        if spec.cron is not None:
            return self._cron_next(t)
        local = t.astimezone(self.zone).replace(tzinfo=None)
        for wall in self._walls_forward(local.date() - timedelta(days=1)):
            at = resolve_wall(wall, self.zone)
            if at > t:
                return at
        return None

    def slot_at_or_before(self, t: datetime) -> datetime | None:
        """The latest slot at or before `t` (None: none before it)."""
        t = t.astimezone(UTC)
        spec = self.spec
        if spec.manual:
            return None
        if spec.every is not None:
            return _interval_slot_at_or_before(t, spec.every.seconds)
        if spec.cron is not None:
            return self._cron_at_or_before(t)
        local = t.astimezone(self.zone).replace(tzinfo=None)
        for wall in self._walls_backward(local.date() + timedelta(days=1)):
            at = resolve_wall(wall, self.zone)
            if at <= t:
                return at
        return None

    def slots_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every slot in (start, end]."""
        out: list[datetime] = []
        at = self.next_after(start)
        while at is not None and at <= end:
            out.append(at)
            at = self.next_after(at)
        return out

    def expected_interval(self) -> timedelta | None:
        """The usual gap between two slots (what "late" is measured against)."""
        spec = self.spec
        if spec.manual:
            return None
        if spec.every is not None:
            return spec.every.delta
        if spec.cron is not None:
            at = self._cron_next(datetime(2026, 1, 1, tzinfo=UTC))
            longest = timedelta(0)
            for _ in range(12):
                if at is None:
                    break
                nxt = self._cron_next(at)
                if nxt is None:
                    break
                longest = max(longest, nxt - at)
                at = nxt
            return longest or None
        return {
            "hourly": timedelta(hours=1),
            "daily": timedelta(days=1),
            "weekly": timedelta(days=7),
            "monthly": timedelta(days=31),
            "yearly": timedelta(days=366),
        }[spec.frequency or "daily"]

    def describe(self) -> str:
        """e.g. "daily at 02:00", "every 6h", "cron 0 3 * * 1-5 (Europe/Paris)"."""
        spec = self.spec
        zone = f" ({spec.timezone})" if spec.timezone else ""
        if spec.manual:
            return "manual"
        if spec.every is not None:
            return f"every {spec.every.text()}"
        if spec.cron is not None:
            return f"cron {spec.cron}{zone}"
        at = f"at {spec.time}"
        freq = spec.frequency
        if freq == "hourly":
            return f"hourly at :{spec.minute:02d}{zone}"
        if freq == "weekly":
            return f"weekly on {WEEKDAYS[spec.weekday].capitalize()} {at}{zone}"
        if freq == "monthly":
            return f"monthly on day {spec.day} {at}{zone}"
        if freq == "yearly":
            return f"yearly on {spec.day} {_MONTHS[spec.month - 1]} {at}{zone}"
        return f"daily {at}{zone}"

    # -- calendar schedules: candidate wall times --

    def _day_walls(self, d: date) -> list[datetime]:
        """The wall times of the slots on local date `d`, in order."""
        spec = self.spec
        freq = spec.frequency
        if freq == "hourly":
            return [datetime.combine(d, time(h, spec.minute)) for h in range(24)]
        if freq == "weekly" and d.weekday() != spec.weekday:
            return []
        if freq == "monthly" and d.day != min(spec.day, calendar.monthrange(d.year, d.month)[1]):
            return []
        if freq == "yearly" and (
            d.month != spec.month or d.day != min(spec.day, calendar.monthrange(d.year, d.month)[1])
        ):
            return []
        return [datetime.combine(d, self._time)]

    def _walls_forward(self, start: date) -> Iterator[datetime]:
        freq = self.spec.frequency
        d = start
        for _ in range(3 * 366 + 2):  # a yearly slot is within a few hundred days
            if freq in ("monthly", "yearly"):
                d = self._next_calendar_day(d)
            yield from self._day_walls(d)
            d += timedelta(days=1)

    def _walls_backward(self, start: date) -> Iterator[datetime]:
        freq = self.spec.frequency
        d = start
        for _ in range(3 * 366 + 2):
            if freq in ("monthly", "yearly"):
                d = self._prev_calendar_day(d)
            yield from reversed(self._day_walls(d))
            d -= timedelta(days=1)

    def _slot_day(self, year: int, month: int) -> date:
        return date(year, month, min(self.spec.day, calendar.monthrange(year, month)[1]))

    def _next_calendar_day(self, d: date) -> date:
        """The first monthly/yearly slot date on or after `d`."""
        year, month = d.year, d.month
        while True:
            if self.spec.frequency == "monthly" or month == self.spec.month:
                day = self._slot_day(year, month)
                if day >= d:
                    return day
            month += 1
            if month > 12:
                month, year = 1, year + 1

    def _prev_calendar_day(self, d: date) -> date:
        year, month = d.year, d.month
        while True:
            if self.spec.frequency == "monthly" or month == self.spec.month:
                day = self._slot_day(year, month)
                if day <= d:
                    return day
            month -= 1
            if month < 1:
                month, year = 12, year - 1

    # -- cron --

    def _cron_next(self, t: datetime) -> datetime | None:
        assert self.spec.cron is not None
        try:
            it = CronSim(self.spec.cron, t.astimezone(self.zone))
            for _ in range(10_000):
                at = next(it).astimezone(UTC)
                if at > t:
                    return at
        except (StopIteration, CronSimError):
            return None
        return None

    def _cron_at_or_before(self, t: datetime) -> datetime | None:
        assert self.spec.cron is not None
        # cronsim's reverse iteration finds a candidate; the forward iteration is the
        # reference (DST fix-ups differ between the directions), so re-scan forward from
        # a little before it and keep the last slot not after `t`.
        probe = t.astimezone(self.zone).replace(microsecond=0) + timedelta(microseconds=1)
        try:
            hit = next(CronSim(self.spec.cron, probe, reverse=True)).astimezone(UTC)
        except (StopIteration, CronSimError):
            return None
        best: datetime | None = None
        start = hit - _LOOKAROUND
        try:
            it = CronSim(self.spec.cron, start.astimezone(self.zone))
            for _ in range(100_000):
                at = next(it).astimezone(UTC)
                if at > t:
                    break
                if at > start and (best is None or at > best):
                    best = at
        except (StopIteration, CronSimError):
            pass
        return best if best is not None else (hit if hit <= t else None)


@dataclass(frozen=True)
class _Key:
    spec: ScheduleSpec
    tz_env: str | None


@lru_cache(maxsize=256)
def _schedule_cached(key: _Key) -> Schedule:
    return Schedule(key.spec)


def schedule_of(spec: ScheduleSpec) -> Schedule:
    """The Schedule of `spec` (cached: a scheduler asks many times a minute)."""
    return _schedule_cached(_Key(spec, os.environ.get("TZ")))


def format_slot(at: datetime, spec: ScheduleSpec) -> str:
    """A slot in the schedule's own zone, for people: "2026-03-29 03:00 CEST"."""
    return at.astimezone(zone_of(spec)).strftime("%Y-%m-%d %H:%M %Z").strip()


__all__ = ["EPOCH", "Schedule", "format_slot", "local_zone", "resolve_wall", "schedule_of", "zone_of"]
