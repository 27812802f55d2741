"""The retention engine: which restore points a policy keeps (pure; no I/O).

One engine for every kind of restore point. The keep rules are restic 0.14's `forget`
(internal/restic/snapshot_policy.go, ApplyPolicy) so that, for a restic destination, the
tool's plan and `restic forget --keep-*` agree exactly:

- points are walked newest first (equal times keep their given order, as Go's
  sort.Stable does); a point is kept when ANY rule keeps it;
- keep-last N: the N newest points;
- keep hourly/daily/weekly/monthly/yearly N: a point is kept for that kind when its
  bucket (YYYYMMDDHH / YYYYMMDD / ISO year+week / YYYYMM / YYYY) differs from the bucket
  of the last point kept *for that kind*, until N have been kept;
- keep-within SPAN: points strictly after (newest - SPAN); "newest" is the newest point
  that is not in the future (relative to `now`), as restic's findLatestTimestamp;
- keep-within-hourly..yearly SPAN: the bucket rule without a count, for points strictly
  after (newest - SPAN);
- no keep rule at all keeps everything (restic: "policy is empty").

Buckets are computed in the points' local time. restic uses the offset each snapshot was
stored with (the TZ of the machine that made it); the tool uses `tz` (default UTC) for
every point, so a restic repository agrees when its snapshots were made with that TZ.

Then two caps restic has no flag for (applied by forgetting computed ids):
- max-age SPAN: points older than (now - SPAN) go (relative to NOW, not the newest);
- max-count N: at most the N newest of the points still kept remain.

Safety, above every rule: the newest ok point is always kept (reason "newest"). Points
with ok=False (an interrupted run's leftovers) take no part in the rules and are never
"the newest"; they go when an ok point is newer (reason "incomplete"), and are left alone
while they are the newest thing there (a run may still be writing them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from tui_backup.policies.durations import Span
from tui_backup.policies.model import RetentionSpec


@dataclass(frozen=True)
class PointInfo:
    id: str
    time: datetime  # aware
    ok: bool = True  # complete (and made by this policy): only these count as "the newest"


@dataclass(frozen=True)
class RetentionDecision:
    id: str
    time: datetime
    keep: bool
    reasons: tuple[str, ...]  # the rules that keep it, or why it goes


Bucker = Callable[[datetime, int], int]


def _always(_d: datetime, nr: int) -> int:
    return nr


def _hour(d: datetime, _nr: int) -> int:
    return d.year * 1000000 + d.month * 10000 + d.day * 100 + d.hour


def _day(d: datetime, _nr: int) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _week(d: datetime, _nr: int) -> int:
    year, week, _ = d.isocalendar()
    return year * 100 + week


def _month(d: datetime, _nr: int) -> int:
    return d.year * 100 + d.month


def _year(d: datetime, _nr: int) -> int:
    return d.year


# (field of RetentionSpec, bucket function, word for reasons and descriptions)
_COUNTED: tuple[tuple[str, Bucker, str], ...] = (
    ("keep_last", _always, "last"),
    ("keep_hourly", _hour, "hourly"),
    ("keep_daily", _day, "daily"),
    ("keep_weekly", _week, "weekly"),
    ("keep_monthly", _month, "monthly"),
    ("keep_yearly", _year, "yearly"),
)
_WITHIN: tuple[tuple[str, Bucker, str], ...] = (
    ("keep_within_hourly", _hour, "hourly"),
    ("keep_within_daily", _day, "daily"),
    ("keep_within_weekly", _week, "weekly"),
    ("keep_within_monthly", _month, "monthly"),
    ("keep_within_yearly", _year, "yearly"),
)
_KEEP_FIELDS = ("keep_within",) + tuple(f for f, _, _ in _COUNTED) + tuple(f for f, _, _ in _WITHIN)


def _span_before(span: Span, at: datetime) -> datetime:
    """`at` - span as Go computes it: AddDate(-y, -m, -d) on the wall clock of `at`'s zone,
    then -h as absolute time (Span.before would subtract the hours on the wall clock)."""
    dated = Span(span.years, span.months, span.days).before(at)
    return dated.astimezone(UTC) - timedelta(hours=span.hours)


def _has_keep_rule(rules: RetentionSpec) -> bool:
    for name in _KEEP_FIELDS:
        value = getattr(rules, name)
        if value is None:
            continue
        if isinstance(value, Span) and value == Span():
            continue  # restic: a zero duration is no rule
        if isinstance(value, int) and value <= 0:
            continue
        return True
    return False


def plan_retention(
    points: Sequence[PointInfo], rules: RetentionSpec, now: datetime, *, tz: tzinfo = UTC
) -> list[RetentionDecision]:
    """Keep or remove each point, with the reasons; newest first."""
    order = sorted(range(len(points)), key=lambda i: points[i].time, reverse=True)  # stable
    listed = [points[i] for i in order]
    ok = [p for p in listed if p.ok]
    reasons: dict[int, list[str]] = {i: [] for i in range(len(listed))}
    kept: set[int] = set()
    ok_index = [i for i, p in enumerate(listed) if p.ok]

    if not _has_keep_rule(rules):
        for i in ok_index:
            kept.add(i)
            reasons[i].append("no keep rule: all kept")
    elif ok:
        _apply_keep_rules(listed, ok_index, rules, now, tz, kept, reasons)

    # The caps (no restic flag): relative to now, and a count of what is still kept.
    if rules.max_age is not None and rules.max_age != Span():
        limit = _span_before(rules.max_age, now.astimezone(tz))
        for i in sorted(kept):
            if listed[i].time < limit:
                kept.discard(i)
                reasons[i] = [f"max-age {rules.max_age.text()}"]
    if rules.max_count is not None and rules.max_count >= 0:
        for n, i in enumerate(sorted(kept)):
            if n >= rules.max_count:
                kept.discard(i)
                reasons[i] = [f"max-count {rules.max_count}"]

    newest_ok = ok_index[0] if ok_index else None
    if newest_ok is not None:
        if newest_ok not in kept:
            reasons[newest_ok] = []
        kept.add(newest_ok)
        reasons[newest_ok].insert(0, "newest")

    out: list[RetentionDecision] = []
    for i, p in enumerate(listed):
        if not p.ok:
            if newest_ok is not None and i > newest_ok:
                out.append(RetentionDecision(p.id, p.time, False, ("incomplete",)))
            else:
                out.append(RetentionDecision(p.id, p.time, True, ("incomplete, newer than every complete point",)))
            continue
        keep = i in kept
        why = tuple(reasons[i]) if reasons[i] or keep else ("no rule keeps it",)
        out.append(RetentionDecision(p.id, p.time, keep, why))
    return out


def _apply_keep_rules(
    listed: list[PointInfo], ok_index: list[int], rules: RetentionSpec, now: datetime, tz: tzinfo,
    kept: set[int], reasons: dict[int, list[str]],
) -> None:
    """restic's ApplyPolicy over the ok points (indexes into `listed`, newest first)."""
    past = [listed[i].time for i in ok_index if listed[i].time < now]
    latest = max(past).astimezone(tz) if past else None  # None: Go's zero time, before everything

    counted: list[tuple[int, Bucker, str]] = []
    for name, fn, word in _COUNTED:
        n = getattr(rules, name)
        if n is not None and n > 0:
            counted.append((n, fn, word))
    left = [c[0] for c in counted]
    last_bucket: list[int | None] = [None] * len(counted)
    withins: list[tuple[Bucker, str, Span, datetime | None]] = []
    for name, fn, word in _WITHIN:
        span = getattr(rules, name)
        if span is not None and span != Span():
            withins.append((fn, word, span, None if latest is None else _span_before(span, latest)))
    within_bucket: list[int | None] = [None] * len(withins)
    within_limit = None
    if rules.keep_within is not None and rules.keep_within != Span() and latest is not None:
        within_limit = _span_before(rules.keep_within, latest)

    for nr, i in enumerate(ok_index):
        local = listed[i].time.astimezone(tz)
        why = reasons[i]
        if rules.keep_within is not None and rules.keep_within != Span():
            if within_limit is None or listed[i].time > within_limit:
                why.append(f"within {rules.keep_within.text()}")
        for k, (total, fn, word) in enumerate(counted):
            if left[k] > 0:
                val = fn(local, nr)
                if val != last_bucket[k]:
                    last_bucket[k] = val
                    left[k] -= 1
                    why.append(f"{word} {total - left[k]}/{total}")
        for k, (fn, word, span, limit) in enumerate(withins):
            if limit is None or listed[i].time > limit:
                val = fn(local, nr)
                if val != within_bucket[k]:
                    within_bucket[k] = val
                    why.append(f"{word} within {span.text()}")
        if why:
            kept.add(i)


def describe_retention(rules: RetentionSpec) -> str:
    """In words: "keep 7 last, 30 daily, 12 weekly, within 14d; at most 10, none older than 90d"."""
    keeps: list[str] = []
    for name, _fn, word in _COUNTED:
        n = getattr(rules, name)
        if n:
            keeps.append(f"{n} {word}")
    if rules.keep_within:
        keeps.append(f"all within {rules.keep_within.text()} of the newest")
    for name, _fn, word in _WITHIN:
        span = getattr(rules, name)
        if span:
            keeps.append(f"{word} within {span.text()}")
    text = "keep " + ", ".join(keeps) if keeps else "keep all"
    caps: list[str] = []
    if rules.max_count is not None:
        caps.append(f"at most {rules.max_count}")
    if rules.max_age is not None:
        caps.append(f"none older than {rules.max_age.text()}")
    return text + ("; " + ", ".join(caps) if caps else "")


def restic_forget_flags(rules: RetentionSpec) -> list[str]:
    """The `restic forget` flags with the same meaning as the keep rules (max-age and
    max-count have none: forget the ids plan_retention removes for those)."""
    flags: list[str] = []
    for name, _fn, word in _COUNTED:
        n = getattr(rules, name)
        if n:
            flags += [f"--keep-{word}", str(n)]
    if rules.keep_within:
        flags += ["--keep-within", rules.keep_within.text()]
    for name, _fn, word in _WITHIN:
        span = getattr(rules, name)
        if span:
            flags += [f"--keep-within-{word}", span.text()]
    return flags


__all__ = [
    "PointInfo",
    "RetentionDecision",
    "describe_retention",
    "plan_retention",
    "restic_forget_flags",
]
