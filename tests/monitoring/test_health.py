"""Each health case: the right health, reasons and exit code (catalog state at pinned times)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tui_backup.catalog import policy_runs as pr
from tui_backup.service import ProfileService
from tui_backup.service.health import PolicyStatus, exit_code_for, policy_health, policy_statuses
from tui_backup.service.volumes import MARKER_NAME

from .conftest import open_with, policy_toml, record

H = timedelta(hours=1)
D = timedelta(days=1)
NO_DRILL = {"drill_every": '"never"'}


def only(svc: ProfileService) -> PolicyStatus:
    [status] = policy_statuses(svc)
    return status


def check(svc: ProfileService, health: str, *fragments: str) -> PolicyStatus:
    st = only(svc)
    assert st.health == health, st.reasons
    for fragment in fragments:
        assert any(fragment in r for r in st.reasons), (fragment, st.reasons)
    if health == "ok":
        assert st.reasons == []
    assert exit_code_for([st]) == {"ok": 0, "warning": 1, "failing": 2}[health]
    # the one-policy entry point agrees with the full status
    assert policy_health(svc, svc.policy(st.name), pinned_at(svc)) == (st.health, st.reasons)
    return st


def pinned_at(svc: ProfileService) -> datetime:
    from tui_backup import clock

    return clock.now()


def test_recent_success_is_ok(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml())
    record(svc, "nightly", pinned_now - 10 * H, size=1234, took=42.0)
    st = check(svc, "ok")
    assert st.enabled and st.destination == "usb" and st.schedule == "daily at 02:00"
    assert st.point_count == 1 and st.newest_point_at is not None
    assert st.last_run is not None and st.last_run.size_bytes == 1234 and st.last_run.duration_s == 42.0
    assert st.next_run is not None and st.next_run > st.last_run.started_at
    assert st.last_proven_at is None and st.sizes == [1234]


def test_no_backup_yet_is_a_warning(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml())
    check(svc, "warning", "no backup yet")


def test_daily_is_stale_after_25_hours(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 24 * H - 30 * timedelta(minutes=1))
    check(svc, "ok")
    record(svc, "nightly", pinned_now - 3 * H, "failed", error="disk on fire")
    svc.catalog.conn.execute("DELETE FROM policy_runs WHERE status = 'failed'")
    svc.catalog.conn.commit()
    pr.update_state(svc.catalog, "nightly", failures=0)
    from tui_backup import clock

    clock.set_now(pinned_now + 1 * H)  # 25 h 30 min after the last success (finished 1 min later)
    st = check(svc, "failing", "no successful backup for 1d 1h", "expected within 1d 1h")
    assert exit_code_for([st]) == 2


def test_stale_after_overrides_the_schedule(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(stale_after='"2h"', **NO_DRILL))
    record(svc, "nightly", pinned_now - 3 * H)
    check(svc, "failing", "no successful backup for 2h 59m", "expected within 2h")


def test_never_succeeded_since_the_first_attempt(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 3 * D, "cancelled")
    record(svc, "nightly", pinned_now - 2 * D, "cancelled")
    check(svc, "failing", "no successful backup since the first attempt 3d", "last run was cancelled")


def test_last_run_failed(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 5 * H)
    record(svc, "nightly", pinned_now - 2 * H, "failed", error="restic: wrong password")
    record(svc, "nightly", pinned_now - 1 * H, "failed", error="restic: wrong password")
    st = check(svc, "failing", "last run failed (2 in a row): restic: wrong password")
    assert st.last_run is not None and st.last_run.status == "failed"
    assert st.failures == 2 and st.point_count == 1  # the failed runs made no point


def test_a_skipped_run_is_not_a_failure(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 5 * H)
    record(svc, "nightly", pinned_now - 1 * H, "skipped", error="drive absent")
    check(svc, "ok")


@pytest.mark.parametrize(
    ("latest", "health"), [(790, "warning"), (800, "ok"), (2000, "ok"), (2010, "warning")]
)
def test_size_against_the_median_of_the_previous_five(
    with_drive: Path, pinned_now: datetime, latest: int, health: str
) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    # previous five (oldest first): median 1000; an older outlier outside the five is ignored
    for i, size in enumerate([1, 900, 1000, 5000, 1100, 950]):
        record(svc, "nightly", pinned_now - (10 - i) * D, size=size)
    record(svc, "nightly", pinned_now - 2 * H, size=latest)
    st = check(svc, health, *(["of the median size of the previous 5"] if health == "warning" else []))
    assert st.sizes[-1] == latest and len(st.sizes) == 7


def test_size_needs_a_baseline(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 2 * D, size=1000)
    record(svc, "nightly", pinned_now - 1 * D, size=1000)
    record(svc, "nightly", pinned_now - 2 * H, size=10)
    check(svc, "ok")


def test_drill_overdue_then_proven(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(drill_every='"7d"'))
    for days in range(10, 0, -1):
        record(svc, "nightly", pinned_now - days * D)
    st = check(svc, "warning", "restore drill overdue (never yet; due every 7d)")
    assert st.last_proven_at is None
    record(svc, "nightly", pinned_now - 2 * D, kind=pr.DRILL, point_id="x", size=None)
    st = check(svc, "ok")
    assert st.last_proven_at is not None and st.last_proven_at.startswith("2026-06-13")


def test_a_new_policy_is_not_overdue_for_a_drill(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(drill_every='"7d"'))
    record(svc, "nightly", pinned_now - 2 * D)
    record(svc, "nightly", pinned_now - 1 * D)
    check(svc, "ok")


def test_failed_drill_is_failing(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml())
    record(svc, "nightly", pinned_now - 3 * D, kind=pr.DRILL, size=None)
    record(svc, "nightly", pinned_now - 2 * H)
    record(svc, "nightly", pinned_now - 1 * H, "failed", kind=pr.DRILL, error="checksum mismatch: files/a.txt")
    check(svc, "failing", "last restore drill failed: checksum mismatch")


def test_verification_overdue(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(verify_every='"1d"', **NO_DRILL))
    for days in range(5, 0, -1):
        record(svc, "nightly", pinned_now - days * D + H)
    record(svc, "nightly", pinned_now - 3 * D, kind=pr.VERIFY, size=None)
    check(svc, "warning", "verification overdue (last ok 2d 23h ago; due every 1d)")
    record(svc, "nightly", pinned_now - 2 * H, kind=pr.VERIFY, size=None)
    check(svc, "ok")


def test_destination_offline(with_drive: Path, drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    volume = svc.destinations()[0].volume()
    assert volume is not None
    svc.guard.require(volume)  # first use: the drive gets its marker
    record(svc, "nightly", pinned_now - 2 * H)
    check(svc, "ok")
    (drive / MARKER_NAME).unlink()  # the drive is unplugged: an empty mount point
    check(svc, "failing", "destination usb is offline")


def test_paused_policy_is_never_stale(with_drive: Path, drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(state='"paused"'))
    record(svc, "nightly", pinned_now - 40 * D)
    drive.rmdir()
    st = check(svc, "ok")
    assert st.state == "paused" and not st.enabled and st.next_run is None


def test_paused_policy_still_shows_its_failed_run(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(state='"paused"'))
    record(svc, "nightly", pinned_now - 4 * D, "failed", error="boom")
    check(svc, "failing", "last run failed: boom")


def test_points_counted_from_runs_minus_prunes(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    runs = [record(svc, "nightly", pinned_now - d * D) for d in (4, 3, 2, 1)]
    record(svc, "nightly", pinned_now - 20 * H, kind=pr.PRUNE, size=None,
           details={"removed": [runs[0].point_id, runs[1].point_id]})
    st = check(svc, "ok")
    assert st.point_count == 2
    assert st.newest_point_id == runs[-1].point_id
    assert st.newest_point_at == runs[-1].finished_at


def test_restic_short_and_full_ids_are_the_same_point(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(**NO_DRILL))
    record(svc, "nightly", pinned_now - 2 * D, point_id="3f5a9c1e")
    record(svc, "nightly", pinned_now - 1 * D, point_id="77aa0011")
    record(svc, "nightly", pinned_now - 20 * H, kind=pr.PRUNE, size=None, details={"removed": ["3f5a9c1e" + "b" * 56]})
    assert only(svc).point_count == 1


def test_exit_code_is_the_worst(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(
        with_drive,
        policy_toml("good", **NO_DRILL),
        policy_toml("meh", **NO_DRILL),
        policy_toml("bad", **NO_DRILL),
    )
    record(svc, "good", pinned_now - 2 * H)
    record(svc, "bad", pinned_now - 2 * H, "failed", error="x")
    statuses = policy_statuses(svc)
    assert [s.health for s in statuses] == ["ok", "warning", "failing"]
    assert exit_code_for(statuses) == 2
    assert exit_code_for(statuses[:2]) == 1
    assert exit_code_for(statuses[:1]) == 0
    assert exit_code_for([]) == 0
