"""The full cycle on the demo profile (`tui-backup demo`'s sample app): `run-due` at
simulated times across 100 days on a Sound Box-like policy
(daily 03:00, every day for 14 days, then Sundays until day 74) leaves exactly the restore
points the retention promises (computed here independently)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml
from tui_backup import clock
from tui_backup.jobs.events import Event, Finished
from tui_backup.service import ProfileService, scheduler
from tui_backup.service.demo import create_demo

from .conftest import policy_toml

START = datetime(2026, 1, 5, tzinfo=UTC)
DAYS = 100
CALLS = (timedelta(minutes=30), timedelta(hours=3, minutes=5), timedelta(hours=9), timedelta(hours=18))
ASLEEP = range(40, 43)  # the machine is off on these days: no invocation at all


def promised(times: list[datetime]) -> set[datetime]:
    """keep_within 14d + keep_within_weekly 74d (restic's meaning: relative to the newest point,
    strictly after it minus the span; a week = an ISO week, its newest point kept)."""
    newest = max(times)
    keep = {t for t in times if t > newest - timedelta(days=14)}
    weeks: set[tuple[int, int]] = set()
    for t in sorted(times, reverse=True):
        if t > newest - timedelta(days=74):
            week = t.isocalendar()[:2]
            if week not in weeks:
                weeks.add(week)
                keep.add(t)
    return keep | {newest}


def latest_slot(t: datetime) -> datetime:
    slot = t.replace(hour=3, minute=0, second=0, microsecond=0)
    return slot if slot <= t else slot - timedelta(days=1)


@pytest.fixture
def demo_svc(tmp_path: Path, drive: Path) -> Iterator[ProfileService]:
    """The demo profile, with a local destination "disk" and the Sound Box policy."""
    config = create_demo(tmp_path / "assetd", config_path=tmp_path / "demo.toml", snapshots=0)
    add_destination(config, "disk", path=drive)
    retention = '[policy.retention]\nkeep_within = "14d"\nkeep_within_weekly = "74d"'
    append_toml(config, policy_toml("soundbox", timezone="UTC", retention=retention))
    svc = ProfileService.open(config=config)
    yield svc
    svc.close()


@pytest.mark.slow
def test_hundred_days_of_run_due_keep_what_retention_promises(demo_svc: ProfileService) -> None:
    svc = demo_svc
    served: datetime | None = None
    made: list[datetime] = []
    for day in range(DAYS):
        if day in ASLEEP:
            continue
        for offset in CALLS:
            t = START + timedelta(days=day) + offset
            clock.set_now(t)

            def backup_took_a_minute(event: Event, t: datetime = t) -> None:
                # time passes while a backup runs: retention then sees the new point in the past
                if isinstance(event, Finished):
                    clock.set_now(t + timedelta(minutes=1))

            report = scheduler.run_due(svc, [backup_took_a_minute])
            assert not report.failed, report.to_json()
            # independently: the first invocation after a slot serves it (a new policy waits)
            slot = latest_slot(t)
            should_run = served is not None and slot > served
            if served is None or should_run:
                served = slot
            assert [i.policy for i in report.items] == (["soundbox"] if should_run else []), t
            if not should_run:
                continue
            made.append(t)
            run = report.outcomes[0].run
            assert run.ok and run.slot == clock.to_catalog(slot)
            points = svc.list_restore_points("disk")
            pruned = report.outcomes[0].pruned
            assert {clock.from_catalog(p.created_at) for p in points} == promised(made), (t, pruned)
    # one catch-up run for the three days asleep, at the first invocation after waking
    assert START + timedelta(days=43, minutes=30) in made
    assert START + timedelta(days=43, hours=3, minutes=5) in made
    assert len(made) == DAYS - len(ASLEEP) + 1  # every day but those asleep, plus the catch-up
    final = {clock.from_catalog(p.created_at) for p in svc.list_restore_points("disk")}
    assert final == promised(made)
    assert 14 + 8 <= len(final) <= 14 + 11
