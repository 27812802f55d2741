"""The retention engine on arbitrary sets of timestamps (hypothesis) and a few fixed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_backup.policies.durations import Span
from tui_backup.policies.model import RetentionSpec
from tui_backup.policies.retention import (
    PointInfo,
    RetentionDecision,
    describe_retention,
    plan_retention,
    restic_forget_flags,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EPOCH = NOW - timedelta(days=800)

times = st.lists(st.integers(min_value=0, max_value=800 * 24 * 60), min_size=0, max_size=60, unique=True).map(
    lambda minutes: [EPOCH + timedelta(minutes=m) for m in minutes]
)
counts = st.one_of(st.none(), st.integers(min_value=1, max_value=12))
spans = st.one_of(st.none(), st.builds(Span, st.integers(0, 1), st.integers(0, 6), st.integers(0, 40),
                                       st.integers(0, 30)))
rule_sets = st.builds(
    RetentionSpec, keep_last=counts, keep_within=spans, keep_hourly=counts, keep_daily=counts, keep_weekly=counts,
    keep_monthly=counts, keep_yearly=counts, keep_within_hourly=spans, keep_within_daily=spans,
    keep_within_weekly=spans, keep_within_monthly=spans, keep_within_yearly=spans, max_age=spans,
    max_count=st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
)
zones = st.sampled_from([UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])


def _points(ts: list[datetime], incomplete: frozenset[int] = frozenset()) -> list[PointInfo]:
    return [PointInfo(f"p{i:03d}", t, ok=i not in incomplete) for i, t in enumerate(ts)]


def _kept(plan: list[RetentionDecision]) -> list[str]:
    return [d.id for d in plan if d.keep]


@settings(max_examples=150, deadline=None)
@given(times, rule_sets, zones)
def test_newest_always_kept_and_every_point_decided(ts: list[datetime], rules: RetentionSpec, tz: ZoneInfo) -> None:
    points = _points(ts)
    plan = plan_retention(points, rules, NOW, tz=tz)
    assert sorted(d.id for d in plan) == sorted(p.id for p in points)
    assert [d.time for d in plan] == sorted(ts, reverse=True)  # newest first
    assert all(d.reasons for d in plan)
    if points:
        newest = max(points, key=lambda p: p.time)
        assert plan[0].id == newest.id and plan[0].keep and plan[0].reasons[0] == "newest"


@settings(max_examples=150, deadline=None)
@given(times, rule_sets, zones, st.frozensets(st.integers(0, 59)))
def test_idempotent(ts: list[datetime], rules: RetentionSpec, tz: ZoneInfo, incomplete: frozenset[int]) -> None:
    points = _points(ts, incomplete)
    first = plan_retention(points, rules, NOW, tz=tz)
    kept = set(_kept(first))
    again = plan_retention([p for p in points if p.id in kept], rules, NOW, tz=tz)
    assert set(_kept(again)) == kept


@settings(max_examples=150, deadline=None)
@given(times, zones, st.sampled_from(["hourly", "daily", "weekly", "monthly", "yearly"]), st.integers(1, 15))
def test_each_gfs_bucket_keeps_its_newest_point(ts: list[datetime], tz: ZoneInfo, kind: str, n: int) -> None:
    rules = RetentionSpec(**{f"keep_{kind}": n})  # type: ignore[arg-type]
    plan = plan_retention(_points(ts), rules, NOW, tz=tz)

    def bucket(t: datetime) -> tuple[int, ...]:
        t = t.astimezone(tz)
        return {"hourly": (t.year, t.month, t.day, t.hour), "daily": (t.year, t.month, t.day),
                "weekly": tuple(t.isocalendar())[:2], "monthly": (t.year, t.month), "yearly": (t.year,)}[kind]

    buckets: list[tuple[int, ...]] = []
    newest_in: dict[tuple[int, ...], str] = {}
    for d in plan:  # newest first
        b = bucket(d.time)
        if b not in newest_in:
            newest_in[b] = d.id
            buckets.append(b)
    expected = {newest_in[b] for b in buckets[:n]}
    assert set(_kept(plan)) == expected
    for d in plan:
        if d.id in expected:
            assert any(r.startswith(kind) for r in d.reasons)


@settings(max_examples=150, deadline=None)
@given(times, rule_sets, zones, st.integers(0, 10))
def test_max_count_never_exceeded_but_for_the_newest(ts: list[datetime], rules: RetentionSpec, tz: ZoneInfo,
                                                     n: int) -> None:
    rules = RetentionSpec(**{**rules.__dict__, "max_count": n})
    plan = plan_retention(_points(ts), rules, NOW, tz=tz)
    assert len(_kept(plan)) <= max(n, 1 if ts else 0)


@settings(max_examples=200, deadline=None)
@given(times, spans.filter(lambda s: s is not None and s != Span()), zones)
def test_max_age_removes_only_old_points(ts: list[datetime], span: Span, tz: ZoneInfo) -> None:
    plan = plan_retention(_points(ts), RetentionSpec(max_age=span), NOW, tz=tz)
    limit = span.before(NOW.astimezone(tz))
    for d in plan:
        if not d.keep:
            assert d.time < limit + timedelta(hours=2)  # DST: the cutoff's wall clock may move by an hour
        elif d.reasons[0] != "newest":
            assert d.time >= limit - timedelta(hours=2)


def test_incomplete_points_never_count_as_newest() -> None:
    t = [NOW - timedelta(days=d) for d in range(5)]
    points = [PointInfo("broken", t[0], ok=False), *[PointInfo(f"ok{i}", t[i]) for i in range(1, 5)]]
    plan = plan_retention(points, RetentionSpec(keep_last=1), NOW)
    by_id = {d.id: d for d in plan}
    assert by_id["ok1"].keep and by_id["ok1"].reasons[0] == "newest"
    assert by_id["broken"].keep  # newer than every complete point: a run may still be writing it
    assert [d.id for d in plan if d.keep] == ["broken", "ok1"]
    older = plan_retention([PointInfo("old-broken", t[4] - timedelta(days=1), ok=False), *points[1:]],
                           RetentionSpec(), NOW)
    assert {d.id: d.keep for d in older}["old-broken"] is False
    assert {d.id: d.reasons for d in older}["old-broken"] == ("incomplete",)


def test_no_rule_keeps_everything_and_caps_still_apply() -> None:
    points = [PointInfo(f"p{d}", NOW - timedelta(days=d)) for d in range(10)]
    assert all(d.keep for d in plan_retention(points, RetentionSpec(), NOW))
    plan = plan_retention(points, RetentionSpec(max_age=Span(days=4), max_count=3), NOW)
    assert _kept(plan) == ["p0", "p1", "p2"]
    assert {d.id: d.reasons for d in plan}["p3"] == ("max-count 3",)
    assert {d.id: d.reasons for d in plan}["p5"] == ("max-age 4d",)
    # the newest survives even when every rule would drop it
    stale = [PointInfo("old", NOW - timedelta(days=100))]
    assert plan_retention(stale, RetentionSpec(max_age=Span(days=30)), NOW)[0].reasons == ("newest",)


def test_sound_box_tiers() -> None:
    """Daily at 03:00 for 100 days: every day of the last 14, then one a week until day 74."""
    points = [PointInfo(f"d{d:03d}", datetime(2026, 11, 22, 3, tzinfo=UTC) - timedelta(days=d)) for d in range(100)]
    rules = RetentionSpec(keep_within=Span.parse("14d"), keep_within_weekly=Span.parse("74d"))
    plan = plan_retention(points, rules, NOW)
    kept = {int(d.id[1:]) for d in plan if d.keep}
    assert set(range(14)) <= kept
    weekly = sorted(k for k in kept if k >= 14)
    assert weekly == list(range(14, 74, 7))  # the newest of each week: Sundays (2026-11-22 is one)
    assert all((datetime(2026, 11, 22) - timedelta(days=k)).weekday() == 6 for k in weekly)
    reasons = {int(d.id[1:]): d.reasons for d in plan}
    assert reasons[0][0] == "newest" and "within 14d" in reasons[0]
    assert reasons[99] == ("no rule keeps it",)


def test_reasons_and_words() -> None:
    rules = RetentionSpec(keep_last=2, keep_daily=30, keep_weekly=12, keep_within_weekly=Span.parse("74d"),
                          max_count=10, max_age=Span(days=90))
    points = [PointInfo(f"p{h}", NOW - timedelta(hours=h)) for h in range(3)]
    plan = plan_retention(points, rules, NOW)
    assert plan[0].reasons == ("newest", "last 1/2", "daily 1/30", "weekly 1/12", "weekly within 74d")
    assert plan[1].reasons == ("last 2/2",)
    assert not plan[2].keep
    assert describe_retention(rules) == (
        "keep 2 last, 30 daily, 12 weekly, weekly within 74d; at most 10, none older than 90d"
    )
    assert describe_retention(RetentionSpec()) == "keep all"
    assert restic_forget_flags(rules) == ["--keep-last", "2", "--keep-daily", "30", "--keep-weekly", "12",
                                          "--keep-within-weekly", "74d"]
    assert restic_forget_flags(RetentionSpec(keep_within=Span.parse("1y2m3d4h"))) == ["--keep-within", "1y2m3d4h"]
