"""A snapshot process killed with SIGKILL: nothing broken is listed, temporaries are cleaned
by the next run, and the live database is untouched."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import open_service
from tests.snapshots import dbproc
from tests.snapshots.conftest import child_snapshot, integrity, logical_dump, temporaries
from tui_backup.catalog import jobs as job_rows
from tui_backup.service import ProfileService


def _assert_all_listed_are_sound(svc: ProfileService) -> None:
    for rec in svc.list_snapshots():
        result = svc.verify_snapshot(rec.id)
        assert result.ok, result.detail


@pytest.mark.parametrize(
    ("point", "listed"),
    [
        ("snapshot.after_dump", False),  # the raw copy exists, nothing compressed
        ("snapshot.after_compress", False),  # the artifact is written in the temporary directory
        ("snapshot.before_rename", False),  # metadata.json written, directory not yet renamed
        ("snapshot.after_rename", True),  # renamed (the commit point), catalog row not yet written
    ],
)
def test_killed_at_a_point(svc: ProfileService, profile_config: Path, point: str, listed: bool) -> None:
    live = svc.config.source.database.path
    assert live is not None
    before = logical_dump(live)
    child = child_snapshot(profile_config, {"TUI_BACKUP_PAUSE": point})
    assert child.stderr is not None
    line = child.stderr.readline()
    assert line.strip() == f"PAUSED {point}", line + child.stderr.read()
    snapdir = svc.paths.snapshots_dir
    left = temporaries(snapdir)
    if not listed:
        assert left, "the killed run should leave its temporaries for the next run to clean"
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.communicate()

    snaps = svc.list_snapshots()  # the next run: cleans and reconciles
    assert temporaries(snapdir) == []
    assert len(snaps) == (1 if listed else 0)
    if listed:  # renamed into place = complete: adopted from its metadata.json
        assert svc.verify_snapshot(snaps[0].id).ok
    assert integrity(live) == "ok"
    assert logical_dump(live) == before
    # the killed run's job is marked failed by the next process that opens the profile
    with open_service(profile_config) as again:
        assert again.list_jobs()[-1].status == job_rows.FAILED
        again.create_snapshot("after the kill")
        assert len(again.list_snapshots()) == len(snaps) + 1


@pytest.mark.slow
def test_killed_at_random_moments(svc: ProfileService, profile_config: Path) -> None:
    live = svc.config.source.database.path
    assert live is not None
    dbproc.prepare(str(live), rows=60_000)  # ~15 MB: a run takes long enough to be hit mid-way
    before = logical_dump(live)
    snapdir = svc.paths.snapshots_dir
    rng = random.Random(20261121)
    # Calibrate: how long one run takes from its start line to its end, on this machine.
    child = child_snapshot(profile_config)
    assert child.stdout is not None and child.stdout.readline().strip() == "start"
    t0 = time.monotonic()
    child.communicate()
    duration = time.monotonic() - t0
    killed = 0
    for _ in range(8):
        child = child_snapshot(profile_config)
        assert child.stdout is not None and child.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.0, duration))  # somewhere in copy, check, compress, rename, record
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        child.wait()
        child.communicate()
        svc.list_snapshots()
        assert temporaries(snapdir) == []
        _assert_all_listed_are_sound(svc)
    assert killed >= 4
    assert integrity(live) == "ok"
    assert logical_dump(live) == before
