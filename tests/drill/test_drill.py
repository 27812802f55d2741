"""Restore drills on a real local destination: a sound point is proven restorable, a
damaged one fails naming the file, and every drill is a policy run and a job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.cli.helpers import cli
from tests.helpers import open_service
from tui_backup import clock
from tui_backup.catalog import policy_runs
from tui_backup.jobs.events import Event, Progress
from tui_backup.service import ProfileService
from tui_backup.service.drill import compare_tree, drill_policy, scratch_parent


def _point_dir(drive: Path, point_id: str) -> Path:
    return drive / "app" / point_id


def _backup(svc: ProfileService, policy: str = "nightly") -> str:
    finished = svc.run_backup("usb", "full", policy=policy)
    assert finished.ok, finished
    return svc.list_restore_points("usb")[0].id


def test_sound_point_is_proven_restorable(dsvc: ProfileService) -> None:
    point = _backup(dsvc)
    events: list[Event] = []
    result = dsvc.drill_policy("nightly", events.append)
    assert result.ok, result
    assert (result.point_id, result.problems, result.checked_files) == (point, [], 6)  # db + its metadata + rows.sqlite + files + config + metadata.json
    assert "integrity_check" in result.database and result.proven_at == result.run.finished_at
    # The restore happened in a private scratch dir under the state dir, gone afterwards.
    assert result.finished is not None
    scratch = Path(result.finished.details["scratch"])
    assert scratch.parent == scratch_parent(dsvc) == dsvc.paths.state_dir / "drills"
    assert not scratch.exists() and os.listdir(scratch_parent(dsvc)) == []
    assert any(isinstance(e, Progress) and e.stage == "comparing" for e in events)
    assert scratch_parent(dsvc).stat().st_mode & 0o777 == 0o700
    run = policy_runs.last_run(dsvc.catalog, "nightly", policy_runs.DRILL)
    assert run is not None and run.status == "succeeded" and run.point_id == point and run.trigger == "manual"
    assert run.details["checked_files"] == 6 and run.details["problems"] == [] and run.duration_s is not None
    job = dsvc.get_job(run.job_id or 0)
    assert (job.kind, job.target, job.status) == ("drill", "nightly", "succeeded")


def test_newest_point_of_this_policy_only(dsvc: ProfileService) -> None:
    """Another policy's (or a manual backup's) newer point at the same destination is not drilled."""
    with clock.pinned(datetime(2026, 11, 20, 2, 0, tzinfo=UTC)):
        own = _backup(dsvc)
    with clock.pinned(datetime(2026, 11, 21, 2, 0, tzinfo=UTC)):
        other = _backup(dsvc, policy="manual")
    assert other != own
    result = drill_policy(dsvc, dsvc.policy("nightly"), trigger="schedule")
    assert result.ok and result.point_id == own and result.run.trigger == "schedule"


def test_corrupt_artifact_fails_naming_the_file(dsvc: ProfileService, drive: Path) -> None:
    point = _backup(dsvc)
    victim = _point_dir(drive, point) / "files" / "files" / "sub" / "b.bin"
    data = bytearray(victim.read_bytes())
    data[1234] ^= 0x01  # one flipped bit: same size, other hash
    victim.write_bytes(bytes(data))
    result = dsvc.drill_policy("nightly")
    assert not result.ok and result.point_id == point
    assert len(result.problems) == 1 and "files/files/sub/b.bin" in result.problems[0]
    assert "corrupt" in result.problems[0]
    assert "policy run nightly" in result.hint
    run = policy_runs.last_run(dsvc.catalog, "nightly", policy_runs.DRILL)
    assert run is not None and run.status == "failed" and "files/files/sub/b.bin" in (run.error or "")
    assert run.details["problems"] == result.problems
    assert dsvc.get_job(run.job_id or 0).status == "failed"
    assert os.listdir(scratch_parent(dsvc)) == []


def test_corrupt_database_artifact(dsvc: ProfileService, drive: Path) -> None:
    point = _backup(dsvc)
    (db,) = (_point_dir(drive, point) / "database").glob("*.zst")
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db.write_bytes(bytes(data))
    result = dsvc.drill_policy("nightly")
    assert not result.ok and f"database/{db.name}" in result.problems[0]


def test_deleted_file_is_missing(dsvc: ProfileService, drive: Path) -> None:
    point = _backup(dsvc)
    (_point_dir(drive, point) / "files" / "files" / "a.txt").unlink()
    result = dsvc.drill_policy("nightly")
    assert not result.ok
    assert "missing" in result.problems[0] and "files/files/a.txt" in result.problems[0]


def test_extra_file_is_a_problem(dsvc: ProfileService, drive: Path) -> None:
    point = _backup(dsvc)
    (_point_dir(drive, point) / "files" / "files" / "planted.txt").write_text("not backed up\n")
    result = dsvc.drill_policy("nightly")
    assert not result.ok and "files/files/planted.txt" in result.problems[0]


def test_no_restore_point_is_a_failed_drill(dsvc: ProfileService) -> None:
    result = dsvc.drill_policy("nightly")
    assert not result.ok and result.point_id is None
    assert "no restore point" in result.problems[0]
    assert "tui-backup policy run nightly" in result.hint
    run = policy_runs.last_run(dsvc.catalog, "nightly", policy_runs.DRILL)
    assert run is not None and run.status == "failed"
    jobs = [j for j in dsvc.list_jobs() if j.kind == "drill"]
    assert len(jobs) == 1 and jobs[0].status == "failed" and jobs[0].id == run.job_id


def test_stale_scratch_of_a_dead_drill_is_removed(dsvc: ProfileService) -> None:
    _backup(dsvc)
    parent = scratch_parent(dsvc)
    parent.mkdir(mode=0o700, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = parent / f".tui-backup-tmp-{dead.stdout.strip()}-abcd1234-drill"
    (stale / "restored").mkdir(parents=True)
    assert dsvc.drill_policy("nightly").ok
    assert os.listdir(parent) == []


def test_compare_tree_lists_every_problem(tmp_path: Path) -> None:
    """The post-restore comparison on its own: missing, extra, a changed symlink."""
    root = tmp_path / "restored"
    (root / "files" / "lib").mkdir(parents=True)
    (root / "files" / "lib" / "a.txt").write_text("a")
    (root / "files" / "lib" / "extra.txt").write_text("x")
    (root / "files" / "lib" / "link").symlink_to("elsewhere")
    (root / "metadata.json").write_text("{}")
    meta = {
        "artifacts": [
            {"path": "files/lib/a.txt", "size": 1, "sha256": "0" * 64},
            {"path": "files/lib/gone.txt", "size": 1, "sha256": "0" * 64},
        ],
        "links": [{"path": "files/lib/link", "target": "a.txt"}],
    }
    checked, problems = compare_tree(root, meta, None)
    assert checked == 1
    assert problems == [
        "missing: files/lib/gone.txt",
        "changed: files/lib/link should be a symlink to a.txt",
        "extra: files/lib/extra.txt (not in metadata.json)",
    ]


def test_cli_drill(drill_config: Path, drive: Path) -> None:
    with open_service(drill_config) as svc:
        point = _backup(svc)
    ok = cli("--config", str(drill_config), "drill", "nightly")
    assert ok.exit_code == 0, ok.stderr
    assert "proven restorable" in ok.stdout and point in ok.stdout and "integrity_check" in ok.stdout
    as_json = cli("--config", str(drill_config), "drill", "nightly", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert lines[0]["event"] == "started" and lines[-2]["event"] == "finished"
    assert lines[-1]["event"] == "drill" and lines[-1]["ok"] is True and lines[-1]["point_id"] == point

    (_point_dir(drive, point) / "config" / "app.conf").unlink()
    bad = cli("--config", str(drill_config), "drill", "nightly")
    assert bad.exit_code == 1
    assert "missing" in bad.stdout and "config/app.conf" in bad.stdout
    assert "error: the drill of nightly failed" in bad.stderr and "Traceback" not in bad.stderr
    unknown = cli("--config", str(drill_config), "drill", "nope")
    assert unknown.exit_code != 0 and "no policy 'nope'" in unknown.stderr
