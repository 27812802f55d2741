"""The restic destination against a local repository: round trips, foreign snapshots, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.restic_dest.conftest import (
    RESTIC_TEST_PASSWORD,
    Job,
    layout_digest,
    make_content,
    make_dest,
    password_file,
    restic_cli,
    tree_digest,
)
from tui_backup.destinations.base import BackupContent, BackupOutcome, ContentPart, RestorePoint
from tui_backup.destinations.restic import LAYOUT_TAG, decode_layout, restic_version
from tui_backup.destinations.restic import _versions as restic_version_cache
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import FAILED, SUCCEEDED, SUCCEEDED_WITH_WARNINGS, Progress


@pytest.mark.slow
async def test_round_trip_local(tmp_path: Path, restic_template: Path, job: Job) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    dest = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))})
    content = make_content(tmp_path / "src")

    finished = await job.run(lambda ctx: dest.backup(ctx, content))
    assert finished.status == SUCCEEDED, finished
    outcome = job.result
    assert isinstance(outcome, BackupOutcome) and outcome.point.type == "full"
    assert outcome.files >= 6 and outcome.bytes_sent > 0
    assert any(isinstance(e, Progress) for e in job.events) or outcome.files

    points = await dest.list_points(None)
    assert len(points) == 1
    p = points[0]
    assert (p.id[:8], p.type, p.foreign, p.host) == (outcome.point.id[:8], "full", False, dest.host)
    assert {"tui-backup", "profile=demo", "policy=manual", "type=full"} <= set(p.tags)
    assert not any(t.startswith(LAYOUT_TAG) for t in p.tags)
    # another profile sharing the repository sees it as foreign (still restorable)
    other = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))},
                      profile="other")
    assert [(q.type, q.foreign) for q in await other.list_points(None)] == [("foreign", True)]

    staging = tmp_path / "staging"
    staging.mkdir()
    finished = await job.run(lambda ctx: dest.fetch(ctx, p.id, staging), "restore")
    assert finished.status == SUCCEEDED, finished
    assert job.result == staging
    assert tree_digest(staging) == layout_digest(content)
    restoring = [e for e in job.events if isinstance(e, Progress) and e.stage == "restoring"]
    assert restoring and restoring[-1].fraction == 1.0 and restoring[-1].bytes_total

    # one file, by its layout path (glob characters in the name are literal)
    one = tmp_path / "one"
    one.mkdir()
    finished = await job.run(lambda ctx: dest.fetch(ctx, "latest", one, ("files/library/st*r [1].txt",)), "restore")
    assert finished.status == SUCCEEDED, finished
    assert tree_digest(one) == {"files/library/st*r [1].txt": layout_digest(content)["files/library/st*r [1].txt"]}

    # restic's own view: the marker-free repo is sound, stores real absolute paths
    snaps = json.loads(restic_cli(str(repo), {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD}, "snapshots", "--json").stdout)
    layout = decode_layout(snaps[0]["tags"])
    assert layout is not None and layout["files/library"] == str((tmp_path / "src/live/library").resolve())

    # the next backup reuses the last one as its parent although its paths differ (a new
    # metadata.json dir): unchanged files are skipped, not read again
    (tmp_path / "src" / "tmp-meta").rename(tmp_path / "src" / "tmp-meta2")
    content2 = make_content_like(content, tmp_path / "src" / "tmp-meta2" / "metadata.json")
    finished = await job.run(lambda ctx: dest.backup(ctx, content2))
    assert finished.status == SUCCEEDED, finished
    snaps = json.loads(restic_cli(str(repo), {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD}, "snapshots", "--json").stdout)
    assert len(snaps) == 2 and snaps[1]["parent"] == snaps[0]["id"]
    assert "unchanged" in finished.summary or job.result.bytes_sent < 10_000

    # the remembered parent was forgotten: the backup goes ahead without one
    assert restic_cli(str(repo), {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD}, "forget", snaps[1]["id"]).returncode == 0
    finished = await job.run(lambda ctx: dest.backup(ctx, content2))
    assert finished.status == SUCCEEDED, finished
    assert len(await dest.list_points(None)) == 2

    finished = await job.run(lambda ctx: dest.check(ctx, read_data_subset="1/1"), "check")
    assert finished.status == SUCCEEDED, finished


def make_content_like(content: BackupContent, metadata: Path) -> BackupContent:
    parts = tuple(ContentPart(p.path, metadata, False) if p.path == "metadata.json" else p for p in content.parts)
    return BackupContent(content.profile, content.policy, content.type, "2026-11-21T23:00:00.000000Z", parts,
                         content.metadata)


async def test_volume_marker_in_repository_root_is_harmless(tmp_path: Path, restic_template: Path, job: Job) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    pw = password_file(tmp_path)
    dest = make_dest(tmp_path, {"repository": "repo", "password_command": f"cat -- '{pw}'"})
    vol = dest.volume()
    assert vol is not None and vol.path == repo and vol.name == "destination.vault" and vol.role == "destination"
    (repo / ".tui-backup-volume").write_text('{"id": "x"}\n')
    finished = await job.run(lambda ctx: dest.check(ctx), "check")
    assert finished.status == SUCCEEDED, finished
    remote = make_dest(tmp_path, {"repository": "s3:http://127.0.0.1:1/b/p", "password_env": "PW"})
    assert remote.volume() is None


async def test_foreign_snapshot_listed_and_fetched(tmp_path: Path, restic_template: Path, job: Job) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    src = tmp_path / "plain"
    (src / "d").mkdir(parents=True)
    (src / "d" / "x.txt").write_text("made by plain restic\n")
    env = {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD, "PATH": "/usr/bin:/bin"}
    assert restic_cli(str(repo), env, "backup", "--host", "elsewhere", "--", str(src)).returncode == 0
    dest = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))})

    points = await dest.list_points(None)
    assert [(p.type, p.foreign, p.host) for p in points] == [("foreign", True, "elsewhere")]
    assert isinstance(points[0], RestorePoint) and points[0].created_at.endswith("Z")

    staging = tmp_path / "staging"
    staging.mkdir()
    finished = await job.run(lambda ctx: dest.fetch(ctx, points[0].id[:8], staging), "restore")
    assert finished.status == SUCCEEDED, finished
    restored = staging / "foreign" / str(src).lstrip("/")
    assert tree_digest(restored) == tree_digest(src)


async def test_wrong_password(tmp_path: Path, restic_template: Path, job: Job) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    dest = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path, "nope"))})
    finished = await job.run(lambda ctx: dest.backup(ctx, make_content(tmp_path / "src")))
    assert (finished.status, finished.error_kind) == (FAILED, ErrorKind.WRONG_PASSWORD)
    assert "wrong password" in (finished.error_message or "")


async def test_missing_repository_gives_init_hint(tmp_path: Path, job: Job) -> None:
    dest = make_dest(tmp_path, {"repository": str(tmp_path / "nothing"), "password_file": str(password_file(tmp_path))})
    finished = await job.run(lambda ctx: dest.backup(ctx, make_content(tmp_path / "src")))
    assert (finished.status, finished.error_kind) == (FAILED, ErrorKind.REPO_NOT_INITIALISED)
    assert "tui-backup destination init vault" in (finished.hint or "")
    assert not (tmp_path / "nothing").exists()


@pytest.mark.slow
async def test_auto_init_and_init(tmp_path: Path, job: Job) -> None:
    pw = str(password_file(tmp_path))
    dest = make_dest(tmp_path, {"repository": str(tmp_path / "new"), "password_file": pw, "auto_init": True})
    finished = await job.run(lambda ctx: dest.backup(ctx, make_content(tmp_path / "src")))
    assert finished.status == SUCCEEDED, finished
    assert (tmp_path / "new" / "config").is_file()
    assert len(await dest.list_points(None)) == 1

    other = make_dest(tmp_path, {"repository": str(tmp_path / "explicit"), "password_file": pw})
    finished = await job.run(lambda ctx: other.init(ctx), "init")
    assert finished.status == SUCCEEDED, finished
    assert await other.list_points(None) == []


async def test_version_detection_is_cached() -> None:
    restic_version_cache.clear()
    version = await restic_version()
    assert version >= (0, 14, 0)
    assert await restic_version() == version and len(restic_version_cache) == 1


async def test_registry_missing_part_and_unknown_point(tmp_path: Path, restic_template: Path, job: Job) -> None:
    from tests.restic_dest.conftest import config_ctx
    from tui_backup.destinations import destination_from_config
    from tui_backup.destinations.restic import ResticDestination

    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    table = {"type": "restic", "repository": str(repo), "password_file": str(password_file(tmp_path))}
    dest = destination_from_config("vault", table, config_ctx(tmp_path))
    assert isinstance(dest, ResticDestination)

    content = make_content(tmp_path / "src")
    shutil.rmtree(tmp_path / "src" / "live" / "library")  # one part gone: the rest is kept, with a warning
    finished = await job.run(lambda ctx: dest.backup(ctx, content))
    assert (finished.status, finished.error_kind) == (SUCCEEDED_WITH_WARNINGS, None), finished
    assert any("library" in w for w in finished.warnings)

    staging = tmp_path / "staging"
    staging.mkdir()
    finished = await job.run(lambda ctx: dest.fetch(ctx, "ffffffff", staging), "restore")
    assert finished.status == FAILED and "not in the repository" in (finished.error_message or "")
    finished = await job.run(lambda ctx: dest.fetch(ctx, "latest", staging, ("nowhere/x",)), "restore")
    assert finished.status == FAILED and "not in this restore point" in (finished.error_message or "")
