"""Restore points removed by retention go to the trash (layer 1 at destinations): prune →
trash list → restore → listed again → purge → gone, and expiry by the clock, on a local
destination, rsync (a local path and over the loopback sshd) and a restic repository."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import add_destination, append_toml, open_service
from tests.remote.conftest import password_file
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tests.retention.test_prune import NOW, TIMES, backups, listing, policy_block
from tui_backup import clock
from tui_backup.catalog import trash as rows
from tui_backup.cli import app
from tui_backup.destinations import destination_named
from tui_backup.errors import UsageError
from tui_backup.service import ProfileService, trash
from tui_backup.service.trash_points import RESTIC_SNAPSHOT, RESTORE_POINT

# keep_daily = 2 + keep_weekly = 2 over B C D F: D and F stay, B and C go to the trash.
LETTERS = "BCDF"
KEPT = {"D", "F"}


def roundtrip(svc: ProfileService, dest: str, ids: dict[str, str], kind: str,
              stored_exists: Callable[[str], bool] | None = None) -> None:
    """prune → trash list → restore → listed again → purge one → expiry purges the other."""
    with clock.pinned(NOW):
        plan = svc.prune_policy("gfs")
    assert plan.finished is not None and plan.finished.ok, plan.finished
    removed = {ids[x] for x in set(ids) - KEPT}
    assert set(plan.removed) == removed
    assert listing(svc, dest) == {ids[x] for x in KEPT}  # hidden from pickers and retention
    items = svc.trash_items(kind)
    assert {i.details["point_id"] for i in items} == removed
    assert sorted(plan.trash_items) == sorted(i.id for i in items)
    for it in items:
        assert it.state == rows.TRASHED and it.kind == kind and it.reason == "retention of policy gfs"
        assert it.details["destination"] == dest and it.details["policy"] == "gfs"
        assert it.job_id == plan.finished.job_id
        assert it.expires_at == clock.to_catalog(NOW + timedelta(days=30))
        assert "pid" not in it.details and "direction" not in it.details
        if stored_exists is not None:
            assert stored_exists(it.stored), it
    # what the destination says is in its trash (how interrupted moves are settled)
    dest_obj = destination_named(svc.config, dest)
    assert asyncio.run(dest_obj.trashed_refs(None)) == {i.details["ref"] for i in items}
    # rows left "moving" by a dead process (no live pid) are settled from the destination
    for it, direction in zip(items, ("put", "restore"), strict=True):
        rows.set_state(svc.catalog, it.id, rows.MOVING, {**it.details, "direction": direction})
    assert {i.id for i in svc.trash_items(kind)} == {i.id for i in items}
    puts = svc.journal_list(action="trash.put", limit=10)
    assert {e.details["item"] for e in puts} >= {i.id for i in items}

    first, second = sorted(items, key=lambda i: i.details["point_id"])
    with pytest.raises(UsageError, match="goes back to its destination"):
        svc.trash_restore(first.id, to=Path("/tmp/elsewhere"))
    back = svc.trash_restore(first.id)
    assert back.state == rows.RESTORED
    assert back.details["restored_id"] in listing(svc, dest)  # listed again
    assert [i.id for i in svc.trash_items(kind)] == [second.id]

    [gone] = svc.trash_purge([second.id])
    assert gone.state == rows.PURGED
    assert svc.trash_items(kind) == []
    if stored_exists is not None:
        assert not stored_exists(second.stored)
    assert listing(svc, dest) == {ids[x] for x in KEPT} | {back.details["restored_id"]}

    # Expiry: prune again (the restored point goes again), then let the window pass.
    with clock.pinned(NOW + timedelta(days=1)):
        again = svc.prune_policy("gfs")
    assert again.finished is not None and again.finished.ok
    [third] = svc.trash_items(kind)
    with clock.pinned(NOW + timedelta(days=20)):
        assert trash.purge_expired(svc) == []
    with clock.pinned(NOW + timedelta(days=32)):
        [expired] = trash.purge_expired(svc)
    assert expired.id == third.id and expired.state == rows.PURGED
    assert svc.trash_items() == []
    assert listing(svc, dest) == {ids[x] for x in KEPT}
    assert {e.details["item"] for e in svc.journal_list(action="trash.purge", limit=10)} == {second.id, third.id}


def test_local(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    with open_service(profile_config) as svc:
        (drive / "app").mkdir(parents=True)
        (drive / "app" / ".removing-20260101T000000Z-config").mkdir()  # the old path's leftover
        ids = backups(svc, "usb", "gfs", letters=LETTERS)
        roundtrip(svc, "usb", ids, RESTORE_POINT, os.path.exists)
        assert not (drive / "app" / ".removing-20260101T000000Z-config").exists()
        trash_dir = drive / "app" / ".tui-backup-trash"
        assert trash_dir.is_dir() and oct(trash_dir.stat().st_mode & 0o777) == "0o700"
        assert [p for p in trash_dir.iterdir()] == []  # purged: nothing left, no .purging-*


def test_cli_lists_shows_restores_and_purges(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    with open_service(profile_config) as svc:
        ids = backups(svc, "usb", "gfs", letters=LETTERS)
        with clock.pinned(NOW):
            svc.prune_policy("gfs")
    runner = CliRunner()
    base = ["--config", str(profile_config)]
    out = runner.invoke(app, [*base, "trash", "list", "--json", "--kind", RESTORE_POINT])
    assert out.exit_code == 0, out.output
    items = json.loads(out.stdout)
    assert {i["details"]["point_id"] for i in items} == {ids["B"], ids["C"]}
    shown = runner.invoke(app, [*base, "trash", "show", items[0]["id"]])
    assert shown.exit_code == 0 and "point_id" in shown.output and "usb" in shown.output
    restored = runner.invoke(app, [*base, "trash", "restore", items[0]["id"]])
    assert restored.exit_code == 0, restored.output
    purged = runner.invoke(app, [*base, "trash", "purge", items[1]["id"]])
    assert purged.exit_code == 0, purged.output
    with open_service(profile_config) as svc:
        assert listing(svc, "usb") == {ids["D"], ids["F"], items[0]["details"]["point_id"]}
        assert svc.trash_items() == []


def test_unplugged_drive_keeps_its_items(profile_config: Path, drive: Path) -> None:
    """A trashed point on a drive that is offline is not marked lost by `trash list`."""
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    with open_service(profile_config) as svc:
        backups(svc, "usb", "gfs", letters=LETTERS)
        with clock.pinned(NOW):
            svc.prune_policy("gfs")
        assert len(svc.trash_items()) == 2
        os.rename(drive, drive.with_name("unplugged"))
        try:
            assert len(svc.trash_items()) == 2
            with clock.pinned(NOW + timedelta(days=40)):
                assert trash.purge_expired(svc) == []  # waits for the drive
        finally:
            os.rename(drive.with_name("unplugged"), drive)
        with clock.pinned(NOW + timedelta(days=40)):
            assert len(trash.purge_expired(svc)) == 2


def test_rsync_local(profile_config: Path, drive: Path, app_dir: Path) -> None:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(50_000))
    add_destination(profile_config, "rs", "rsync", path=drive)
    append_toml(profile_config, policy_block("gfs", "rs", "files"))
    with open_service(profile_config) as svc:
        ids = backups(svc, "rs", "gfs", "files", letters=LETTERS)
        roundtrip(svc, "rs", ids, RESTORE_POINT, os.path.exists)
        assert os.readlink(drive / "latest") == ids["F"]


def test_rsync_link_dest_is_never_a_trashed_point(profile_config: Path, drive: Path, app_dir: Path) -> None:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(50_000))
    add_destination(profile_config, "rs", "rsync", path=drive)
    append_toml(profile_config, policy_block("gfs", "rs", "files"))
    with open_service(profile_config) as svc:
        ids = backups(svc, "rs", "gfs", "files", letters=LETTERS)
        with clock.pinned(NOW):
            svc.prune_policy("gfs")  # B and C to the trash
        # A backup stamped between C and D: C would be its --link-dest base if it were listed.
        with clock.pinned(TIMES["C"] + timedelta(hours=1)):
            finished = svc.run_backup("rs", "files")
        assert finished.ok, finished.error_message
        assert finished.details["point"]["details"]["link_dest"] is None
        [item] = [i for i in svc.trash_items() if i.details["point_id"] == ids["C"]]
        svc.trash_restore(item.id)
        with clock.pinned(TIMES["C"] + timedelta(minutes=30)):  # before the one above
            finished = svc.run_backup("rs", "files")
        assert finished.details["point"]["details"]["link_dest"] == ids["C"]


@pytest.mark.slow
def test_rsync_over_ssh(profile_config: Path, tmp_path: Path, sshd: SshServer) -> None:
    base = tmp_path / "remote base"
    add_destination(profile_config, "far", "rsync", path=f"{sshd.user}@{sshd.host}:{base}", port=sshd.port,
                    identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file,
                    ssh_options=list(TEST_SSH_OPTIONS))
    append_toml(profile_config, policy_block("gfs", "far", "config"))

    def stored_exists(stored: str) -> bool:
        rel = stored.split(str(base), 1)[1].lstrip("/")
        return (base / rel).exists()

    with open_service(profile_config) as svc:
        ids = backups(svc, "far", "gfs", letters=LETTERS)
        roundtrip(svc, "far", ids, RESTORE_POINT, stored_exists)
        assert [p.name for p in (base / ".tui-backup-trash").iterdir()] == []
        assert os.readlink(base / "latest") == ids["F"]


@pytest.mark.slow
def test_restic(profile_config: Path, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo",
                    password_file=password_file(tmp_path), auto_init=True)
    append_toml(profile_config, policy_block("gfs", "vault"))
    with open_service(profile_config) as svc:
        short = backups(svc, "vault", "gfs", letters=LETTERS)
        full = {p.id for p in svc.list_restore_points("vault")}
        ids = {x: next(pid for pid in full if pid.startswith(sid)) for x, sid in short.items()}
        roundtrip(svc, "vault", ids, RESTIC_SNAPSHOT)
        check = svc.check_destination("vault")
        assert check.ok, check.error_message
