"""Slots of schedules: pure, DST-safe (property tests with hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_backup.policies.durations import Interval
from tui_backup.policies.model import ScheduleSpec
from tui_backup.policies.schedule import local_zone, resolve_wall, schedule_of

ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata")
SPECS = (
    ScheduleSpec(frequency="daily", time="02:30"),
    ScheduleSpec(frequency="daily", time="01:30"),
    ScheduleSpec(frequency="hourly", minute=15),
    ScheduleSpec(frequency="weekly", weekday=6, time="02:00"),
    ScheduleSpec(frequency="monthly", day=31, time="03:00"),
    ScheduleSpec(frequency="yearly", month=2, day=29, time="02:30"),
    ScheduleSpec(cron="30 2 * * *"),
    ScheduleSpec(cron="0 3 * * 1-5"),
    ScheduleSpec(cron="*/20 * * * *"),
    ScheduleSpec(every=Interval(6 * 3600)),
    ScheduleSpec(every=Interval(5400)),
)

times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
specs = st.tuples(st.sampled_from(SPECS), st.sampled_from(ZONES)).map(
    lambda sz: ScheduleSpec(**{**sz[0].__dict__, "timezone": sz[1]})
)


@settings(max_examples=300, deadline=None)
@given(spec=specs, t=times)
def test_slots_bracket_any_time(spec: ScheduleSpec, t: datetime) -> None:
    s = schedule_of(spec)
    prev, nxt = s.slot_at_or_before(t), s.next_after(t)
    assert prev is not None and nxt is not None
    assert prev <= t < nxt
    assert s.next_after(prev) == nxt  # nothing between the two
    assert s.slot_at_or_before(nxt) == nxt
    assert s.slot_at_or_before(nxt - timedelta(microseconds=1)) == prev
    assert prev.tzinfo == UTC and nxt.tzinfo == UTC


@settings(max_examples=100, deadline=None)
@given(spec=specs, t=times)
def test_slots_strictly_increase(spec: ScheduleSpec, t: datetime) -> None:
    s = schedule_of(spec)
    at = s.next_after(t)
    for _ in range(30):
        assert at is not None
        nxt = s.next_after(at)
        assert nxt is not None and nxt > at
        at = nxt


def _daily_slots(zone: str, year: int, time: str) -> list[datetime]:
    s = schedule_of(ScheduleSpec(frequency="daily", time=time, timezone=zone))
    tz = ZoneInfo(zone)
    start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
    return s.slots_between(start - timedelta(microseconds=1), end - timedelta(microseconds=1))


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize("time", ["00:00", "01:30", "02:00", "02:15", "02:30", "03:00", "12:00"])
def test_daily_is_one_slot_per_local_day_across_dst(zone: str, time: str) -> None:
    for year in (2025, 2026):
        slots = _daily_slots(zone, year, time)
        days = [s.astimezone(ZoneInfo(zone)).date() for s in slots]
        n = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        assert len(slots) == n
        assert days == [date(year, 1, 1) + timedelta(days=i) for i in range(n)]


def test_spring_forward_runs_once_at_the_end_of_the_gap() -> None:
    paris = ZoneInfo("Europe/Paris")  # 2026-03-29: 02:00 -> 03:00
    s = schedule_of(ScheduleSpec(frequency="daily", time="02:30", timezone="Europe/Paris"))
    slot = s.next_after(datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert slot == datetime(2026, 3, 29, 3, 0, tzinfo=paris).astimezone(UTC)
    assert s.next_after(slot) == datetime(2026, 3, 30, 2, 30, tzinfo=paris).astimezone(UTC)
    # Lord Howe jumps by 30 minutes (02:00 -> 02:30 on 2026-10-04)
    lh = ZoneInfo("Australia/Lord_Howe")
    s = schedule_of(ScheduleSpec(frequency="daily", time="02:15", timezone="Australia/Lord_Howe"))
    slot = s.next_after(datetime(2026, 10, 3, 0, tzinfo=UTC))
    assert slot == datetime(2026, 10, 4, 2, 30, tzinfo=lh).astimezone(UTC)


def test_fall_back_runs_once_the_first_time() -> None:
    ny = ZoneInfo("America/New_York")  # 2026-11-01: 02:00 EDT -> 01:00 EST
    s = schedule_of(ScheduleSpec(frequency="daily", time="01:30", timezone="America/New_York"))
    slot = s.next_after(datetime(2026, 10, 31, 12, tzinfo=UTC))
    assert slot == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first one
    assert s.next_after(slot) == datetime(2026, 11, 2, 1, 30, tzinfo=ny).astimezone(UTC)
    hourly = schedule_of(ScheduleSpec(frequency="hourly", minute=30, timezone="America/New_York"))
    walls = [a.astimezone(ny).strftime("%H:%M") for a in hourly.slots_between(
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC))]
    assert walls == ["00:30", "01:30", "02:30", "03:30"]  # 01:30 once


def test_short_months_use_their_last_day() -> None:
    s = schedule_of(ScheduleSpec(frequency="monthly", day=31, time="02:00", timezone="UTC"))
    got = [a.date() for a in s.slots_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))]
    assert got == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31),
                   date(2026, 6, 30)]
    y = schedule_of(ScheduleSpec(frequency="yearly", month=2, day=29, time="02:00", timezone="UTC"))
    assert [a.date() for a in y.slots_between(datetime(2027, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))] \
        == [date(2027, 2, 28), date(2028, 2, 29)]


def test_every_is_anchored_to_the_epoch() -> None:
    s = schedule_of(ScheduleSpec(every=Interval(6 * 3600)))
    assert s.next_after(datetime(2026, 5, 1, 7, 13, tzinfo=UTC)) == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert s.slot_at_or_before(datetime(2026, 5, 1, 12, tzinfo=UTC)) == datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_cron_in_a_zone_and_descriptions() -> None:
    s = schedule_of(ScheduleSpec(cron="0 3 * * 1-5", timezone="Europe/Paris"))
    nxt = s.next_after(datetime(2026, 11, 21, 12, tzinfo=UTC))  # a Saturday
    assert nxt == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 03:00 CET
    assert s.describe() == "cron 0 3 * * 1-5 (Europe/Paris)"
    assert s.expected_interval() == timedelta(days=3)
    assert schedule_of(ScheduleSpec(frequency="daily", time="02:00")).describe() == "daily at 02:00"
    assert schedule_of(ScheduleSpec(every=Interval(21600))).describe() == "every 6h"
    assert schedule_of(ScheduleSpec(frequency="weekly", weekday=6)).describe() == "weekly on Sunday at 02:00"
    assert schedule_of(ScheduleSpec()).describe() == "manual"
    assert schedule_of(ScheduleSpec()).next_after(datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert schedule_of(ScheduleSpec(frequency="daily")).expected_interval() == timedelta(days=1)


def test_resolve_wall() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert resolve_wall(datetime(2026, 3, 29, 2, 30), paris) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert resolve_wall(datetime(2026, 10, 25, 2, 30), paris) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_local_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert str(local_zone()) == "America/New_York"
    s = schedule_of(ScheduleSpec(frequency="daily", time="02:00"))
    assert s.next_after(datetime(2026, 7, 1, tzinfo=UTC)) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    monkeypatch.setenv("TZ", ":Europe/Paris")
    assert str(local_zone()) == "Europe/Paris"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone() is not None  # falls back to /etc/localtime, then UTC
