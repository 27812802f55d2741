"""A backup policy, validated: what `[[policy]]` tables become (see `_parse.py`).

A policy = a destination + what to include + a schedule + retention (+ hooks, timeout,
verification, drills, notifications). Seed policies are all expressible:

    DAM          type/path/password, frequency daily|weekly|monthly|yearly, time "02:00",
                 keep N, active        -> inline [policy.destination], frequency, time,
                                          retention.keep_last, state
    Sound Box    daily at 03:00, every day for 14 days, then Sundays until day 74
                                       -> retention.keep_within = "14d",
                                          retention.keep_within_weekly = "74d"
    BlockShelf   GFS 30 daily, 12 weekly, 12 monthly -> keep_daily/keep_weekly/keep_monthly
    Bibliotheca  max age in days, max count -> retention.max_age, retention.max_count
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tui_backup.policies.durations import Interval, Span

Frequency = Literal["hourly", "daily", "weekly", "monthly", "yearly"]
FREQUENCIES: tuple[Frequency, ...] = ("hourly", "daily", "weekly", "monthly", "yearly")
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PolicyState = Literal["active", "paused"]
HookErrorPolicy = Literal["fail", "ignore", "skip"]
NotifyEvent = Literal["failure", "recovery", "stale", "success"]
DEFAULT_NOTIFY_ON: tuple[NotifyEvent, ...] = ("failure", "recovery", "stale")


@dataclass(frozen=True)
class ScheduleSpec:
    """Exactly one of `frequency`, `cron`, `every` is set (or none: manual runs only)."""

    frequency: Frequency | None = None
    time: str = "02:00"  # HH:MM, local wall-clock time in `timezone`
    weekday: int = 6  # weekly: 0 = Monday ... 6 = Sunday
    day: int = 1  # monthly/yearly: day of the month (past a short month's end: its last day)
    month: int = 1  # yearly: 1-12
    minute: int = 0  # hourly: minute past the hour
    cron: str | None = None  # a 5-field cron expression
    every: Interval | None = None  # a fixed interval, counted from the last slot
    timezone: str | None = None  # an IANA zone name; None = the machine's local time

    @property
    def manual(self) -> bool:
        return self.frequency is None and self.cron is None and self.every is None


@dataclass(frozen=True)
class RetentionSpec:
    """Which restore points to keep; a point is kept when ANY rule keeps it. No rule at all
    keeps everything. The newest successful point is always kept, whatever the rules."""

    keep_last: int | None = None
    keep_within: Span | None = None  # relative to the newest point (restic's meaning)
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None
    keep_within_hourly: Span | None = None
    keep_within_daily: Span | None = None
    keep_within_weekly: Span | None = None
    keep_within_monthly: Span | None = None
    keep_within_yearly: Span | None = None
    max_age: Span | None = None  # remove points older than this (relative to now) ...
    max_count: int | None = None  # ... and beyond the newest N (applied after the keep rules)

    @property
    def keeps_everything(self) -> bool:
        return all(getattr(self, f) is None for f in self.__dataclass_fields__)


@dataclass(frozen=True)
class Hook:
    argv: tuple[str, ...]  # a string in the config becomes ("sh", "-c", text): the user wrote a shell line
    on_error: HookErrorPolicy = "fail"
    timeout_s: float = 300.0
    shell: bool = False  # it came from a string


@dataclass(frozen=True)
class Hooks:
    before: tuple[Hook, ...] = ()
    after: tuple[Hook, ...] = ()  # after a successful run
    on_failure: tuple[Hook, ...] = ()


@dataclass(frozen=True)
class NotifySpec:
    urls: tuple[str, ...] = ()  # Apprise URLs (they may hold tokens: never logged)
    on: tuple[NotifyEvent, ...] = DEFAULT_NOTIFY_ON
    ping_url: str | None = None  # healthchecks-style: <url>/start, <url>, <url>/fail


@dataclass(frozen=True)
class Policy:
    name: str
    destination: str  # a [[destination]] name (an inline [policy.destination] is registered under the policy's name)
    include: str = "full"  # full | database | files | config (a BackupType)
    state: PolicyState = "active"
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    retention: RetentionSpec = field(default_factory=RetentionSpec)
    hooks: Hooks = field(default_factory=Hooks)
    timeout: Interval | None = None  # per run; None = no limit
    verify_every: Interval | None = None  # check the destination (restic check / checksums) this often
    verify_read_data_subset: str | None = None  # restic `check --read-data-subset`
    drill_every: Interval | None = Interval(7 * 86400)  # restore drills; None = never
    stale_after: Interval | None = None  # override of the expected interval (else derived from the schedule)
    notify: NotifySpec = field(default_factory=NotifySpec)
    file: str = ""  # where it was declared, for messages
    line: int | None = None

    @property
    def active(self) -> bool:
        return self.state == "active"
