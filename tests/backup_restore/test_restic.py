"""Restores from a real restic repository: this tool's backups in place and by --path,
and a snapshot made by plain restic (foreign: --to only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.remote.conftest import RESTIC_TEST_PASSWORD, restic_template  # noqa: F401  (fixture)
from tests.restic_dest.conftest import make_dest, password_file, restic_cli
from tui_backup.destinations.restic import ResticDestination
from tui_backup.errors import UsageError
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import RestoreScope, plan_backup_restore, restore_backup

from .conftest import content_of, db_dump, tree_hashes


@pytest.fixture
def vault(tmp_path: Path, restic_template: Path) -> ResticDestination:  # noqa: F811
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    return make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))}, profile="app")


def _backup(svc: ProfileService, dest: ResticDestination, scratch: Path) -> str:
    scratch.mkdir()
    content = content_of(svc, scratch)
    ids: list[str] = []

    async def body(ctx: JobContext) -> None:
        ids.append((await dest.backup(ctx, content)).point.id)

    finished = run_job_sync(JobRunner.for_profile(svc), JobSpec("backup", dest.name, body), handle_signals=False)
    assert finished.ok, finished
    return ids[0]


@pytest.mark.slow
def test_restic_in_place_and_single_path(svc: ProfileService, vault: ResticDestination, app_dir: Path, tmp_path: Path) -> None:
    _backup(svc, vault, tmp_path / "scratch")
    files, dump = tree_hashes(app_dir / "files", app_dir / "app.conf"), db_dump(app_dir / "app.db")
    (app_dir / "files" / "a.txt").write_text("changed\n")
    (app_dir / "files" / "b.txt").write_text("new\n")
    plan = plan_backup_restore(svc, vault, scope=RestoreScope(files=True))
    assert (plan.overwritten, plan.deleted, plan.added) == (["files/files/a.txt"], ["files/files/b.txt"], [])

    restore_backup(svc, vault, "latest", scope=RestoreScope(paths=("files/files/a.txt",)))
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n" and (app_dir / "files" / "b.txt").exists()

    (app_dir / "app.conf").write_text("key = other\n")
    result = restore_backup(svc, vault)
    assert result.database_restored and result.in_place
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == files
    assert db_dump(app_dir / "app.db") == dump


@pytest.mark.slow
def test_foreign_snapshot_restores_with_to_only(svc: ProfileService, vault: ResticDestination, tmp_path: Path) -> None:
    src = tmp_path / "plain"
    (src / "d").mkdir(parents=True)
    (src / "d" / "x.txt").write_text("made by plain restic\n")
    env = {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD, "PATH": "/usr/bin:/bin"}
    assert restic_cli(vault.repository, env, "backup", "--host", "elsewhere", "--", str(src)).returncode == 0
    with pytest.raises(UsageError, match="another tool"):
        restore_backup(svc, vault)
    out = tmp_path / "out"
    result = restore_backup(svc, vault, "latest", to=out)
    assert not result.database_restored
    assert (out / "foreign" / str(src).lstrip("/") / "d" / "x.txt").read_text() == "made by plain restic\n"
