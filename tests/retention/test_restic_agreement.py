"""The retention engine agrees with restic 0.14's own `forget` on the same snapshots.

Snapshots are made with the real `restic backup --time` (in TZ=Europe/Paris, so buckets
cross DST changes) at chosen times spread over ~13 months, then every rule set is asked of
`restic forget --dry-run --json --tag SET <flags>` and of `plan_retention` (same zone).
max-age and max-count have no restic flag: they are left out here.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui_backup.policies.durations import Span
from tui_backup.policies.model import RetentionSpec
from tui_backup.policies.retention import PointInfo, plan_retention, restic_forget_flags

ZONE = "Europe/Paris"
TAG = "agreement"

RULE_SETS: dict[str, RetentionSpec] = {
    "sound-box": RetentionSpec(keep_within=Span.parse("14d"), keep_within_weekly=Span.parse("74d")),
    "blockshelf": RetentionSpec(keep_daily=30, keep_weekly=12, keep_monthly=12),
    "dam": RetentionSpec(keep_last=7),
    "hourly-last": RetentionSpec(keep_last=3, keep_hourly=5, keep_daily=4),
    "yearly-monthly": RetentionSpec(keep_yearly=3, keep_monthly=4, keep_within_daily=Span.parse("30d"),
                                    keep_within_hourly=Span.parse("2d")),
    "months-span": RetentionSpec(keep_within=Span.parse("1m15d"), keep_within_monthly=Span.parse("1y"),
                                 keep_within_yearly=Span.parse("2y")),
    "hours-span": RetentionSpec(keep_within=Span.parse("3d12h"), keep_weekly=3),
    "many-weeks": RetentionSpec(keep_weekly=100, keep_within_weekly=Span.parse("2m")),
}


def _local_times(now: datetime) -> list[datetime]:
    """~40 distinct local times (Paris): daily-ish over 13 months, plus clusters within a day
    and within an hour; never 02:00-03:59 local (DST gaps and doubled hours)."""
    tz = ZoneInfo(ZONE)
    rng = random.Random(4)
    newest = (now - timedelta(hours=3)).astimezone(tz).replace(microsecond=0)
    if 2 <= newest.hour <= 3:
        newest = newest.replace(hour=5)
    out = {newest}
    day = newest
    while len(out) < 36:
        day = day - timedelta(days=rng.choice((1, 1, 2, 3, 5, 9, 14, 20, 30, 45, 60)))
        out.add(day.replace(hour=rng.choice((0, 1, 4, 9, 12, 18, 23)), minute=rng.randrange(60), second=rng.randrange(60)))
    for base in (newest - timedelta(days=1), newest - timedelta(days=6)):
        for minutes in (7, 50, 130):  # same hour, next hours
            t = base.replace(hour=12, minute=0, second=0) + timedelta(minutes=minutes)
            out.add(t)
    return sorted(out, reverse=True)


@dataclass
class Repo:
    env: dict[str, str]
    times: dict[str, datetime]  # snapshot id -> its time (aware)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    root = tmp_path_factory.mktemp("agreement")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
    # tests only: the password through the environment, never argv
    env.update(RESTIC_PASSWORD="agreement-test", RESTIC_REPOSITORY=str(root / "repo"), TZ=ZONE)
    data = root / "data"
    data.mkdir()
    (data / "f").write_text("small\n")
    subprocess.run(["restic", "--no-cache", "-q", "init"], env=env, check=True, capture_output=True)
    times = _local_times(datetime.now(UTC))

    def backup(t: datetime) -> None:
        stamp = t.strftime("%Y-%m-%d %H:%M:%S")  # restic reads it in TZ's local time
        subprocess.run(["restic", "--no-cache", "-q", "backup", "--time", stamp, "--tag", TAG, "--", str(data)],
                       env=env, check=True, capture_output=True)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(backup, times))
    out = subprocess.run(["restic", "--no-cache", "snapshots", "--json", "--tag", TAG], env=env, check=True,
                         capture_output=True).stdout
    snaps = json.loads(out)
    assert len(snaps) == len(times)
    parsed = {s["id"]: datetime.fromisoformat(s["time"][:19] + s["time"][-6:]) for s in snaps}
    assert sorted(parsed.values(), reverse=True) == [t.astimezone(UTC) for t in times]
    yield Repo(env, parsed)


def _restic_keep(repo: Repo, flags: list[str]) -> set[str]:
    argv = ["restic", "--no-cache", "forget", "--dry-run", "--json", "--tag", TAG, *flags]
    groups = json.loads(subprocess.run(argv, env=repo.env, check=True, capture_output=True).stdout)
    assert len(groups) == 1
    return {s["id"] for s in groups[0]["keep"] or []}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_plan_equals_restic_forget(repo: Repo, name: str) -> None:
    rules = RULE_SETS[name]
    flags = restic_forget_flags(rules)
    points = [PointInfo(sid, t) for sid, t in repo.times.items()]
    plan = plan_retention(points, rules, datetime.now(UTC), tz=ZoneInfo(ZONE))
    ours = {d.id for d in plan if d.keep}
    theirs = _restic_keep(repo, flags)
    assert 0 < len(theirs) < len(points) or name == "many-weeks"
    assert ours == theirs, (
        f"{name} {flags}: only ours keep {sorted(repo.times[i].isoformat() for i in ours - theirs)}; "
        f"only restic keeps {sorted(repo.times[i].isoformat() for i in theirs - ours)}"
    )
