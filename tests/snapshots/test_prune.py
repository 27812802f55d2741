"""Deleting and pruning snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snapshots.conftest import temporaries, with_settings
from tui_backup.catalog import snapshots as snapshot_rows
from tui_backup.errors import NotFoundError, SnapshotError
from tui_backup.service import ProfileService


def _dirs(svc: ProfileService) -> set[str]:
    return {d.name for d in svc.paths.snapshots_dir.iterdir() if not d.name.startswith(".")}


def _take(svc: ProfileService, n: int) -> list[str]:
    """n snapshots, oldest first."""
    return [svc.create_snapshot(f"s{i}").id for i in range(n)]


def test_delete(svc: ProfileService) -> None:
    a, b = _take(svc, 2)
    prefix = a[:-1] if not b.startswith(a[:-1]) else a
    rec = svc.delete_snapshot(prefix)  # a unique prefix is enough
    assert rec.id == a
    assert not Path(rec.path).exists()
    assert [s.id for s in svc.list_snapshots()] == [b]
    assert _dirs(svc) == {b}
    assert temporaries(svc.paths.snapshots_dir) == []
    with pytest.raises(NotFoundError):
        svc.delete_snapshot(a)


def test_delete_refuses_a_directory_that_is_not_the_snapshot(svc: ProfileService) -> None:
    (a,) = _take(svc, 1)
    meta = Path(svc.get_snapshot(a).path) / "metadata.json"
    meta.write_text('{"id": "something-else"}')
    with pytest.raises(SnapshotError, match="does not hold snapshot"):
        svc.delete_snapshot(a)
    assert meta.exists() and [s.id for s in svc.list_snapshots()] == [a]


def test_prune_keeps_the_newest_n(svc: ProfileService) -> None:
    manual = with_settings(svc, keep=2, prune_after_create=False)
    ids = _take(manual, 5)
    decisions = manual.prune_snapshots(dry_run=False)
    assert [(d.snapshot.id, d.keep, d.reason) for d in decisions] == [
        (ids[4], True, "newest 2"),
        (ids[3], True, "newest 2"),
        (ids[2], False, "beyond keep = 2"),
        (ids[1], False, "beyond keep = 2"),
        (ids[0], False, "beyond keep = 2"),
    ]
    assert [s.id for s in manual.list_snapshots()] == [ids[4], ids[3]]
    assert _dirs(svc) == {ids[4], ids[3]}
    job = manual.list_jobs()[0]
    assert (job.kind, job.status) == ("prune", "succeeded")
    assert manual.prune_snapshots(dry_run=False) == [
        d for d in manual.prune_snapshots(dry_run=True)
    ]  # nothing more to do


def test_the_newest_verified_snapshot_is_never_pruned(svc: ProfileService) -> None:
    manual = with_settings(svc, keep=2, prune_after_create=False)
    ids = _take(manual, 5)
    # the two newest failed verification: the newest VERIFIED one (ids[2]) must stay
    for sid in ids[3:]:
        snapshot_rows.set_verification(svc.catalog, sid, "2026-01-01T00:00:00.000000Z", "corrupt", "test")
    decisions = {d.snapshot.id: d for d in manual.prune_snapshots(dry_run=False)}
    assert decisions[ids[2]].keep and decisions[ids[2]].reason == "newest verified"
    assert not decisions[ids[1]].keep and not decisions[ids[0]].keep
    assert [s.id for s in manual.list_snapshots()] == [ids[4], ids[3], ids[2]]


def test_prune_dry_run_changes_nothing(svc: ProfileService) -> None:
    manual = with_settings(svc, keep=1, prune_after_create=False)
    ids = _take(manual, 3)
    jobs_before = manual.list_jobs()
    decisions = manual.prune_snapshots(dry_run=True)
    assert [(d.keep, d.reason) for d in decisions] == [
        (True, "newest 1"),
        (False, "beyond keep = 1"),
        (False, "beyond keep = 1"),
    ]
    assert decisions[1].to_json() == {
        "id": ids[1], "created_at": decisions[1].snapshot.created_at, "keep": False, "reason": "beyond keep = 1"
    }  # fmt: skip
    assert [s.id for s in manual.list_snapshots()] == ids[::-1]
    assert _dirs(svc) == set(ids)
    assert manual.list_jobs() == jobs_before
