"""What the tool removes goes to the trash: snapshot delete and prune, policy remove; run-due
purges what has expired."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from tests.helpers import append_toml, open_service
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service.trash import TRASH_DIR_NAME


def test_snapshot_delete_goes_to_the_trash_and_comes_back(svc: ProfileService) -> None:
    a = svc.create_snapshot("a")
    svc.delete_snapshot(a.id)
    assert [s.id for s in svc.list_snapshots()] == []
    (item,) = svc.trash_items(kind="snapshot")
    assert (
        Path(item.stored).parent.parent == svc.paths.snapshots_dir / TRASH_DIR_NAME
    )  # a rename, same dir
    assert item.original == a.path and item.details == {
        "snapshot": a.id,
        "created_at": a.created_at,
    }
    assert item.size_bytes >= a.size_bytes and item.reason == "snapshot delete"
    svc.trash_restore(item.id)
    (back,) = svc.list_snapshots()  # adopted again from its metadata.json
    assert back.id == a.id and back.sha256 == a.sha256
    assert svc.verify_snapshot(a.id).ok


def test_snapshot_prune_goes_to_the_trash(svc: ProfileService) -> None:
    manual = ProfileService(
        dataclasses.replace(
            svc.config,
            snapshots=dataclasses.replace(svc.config.snapshots, keep=1, prune_after_create=False),
        )
    )
    ids = [manual.create_snapshot(f"s{i}").id for i in range(3)]
    manual.prune_snapshots(dry_run=False)
    items = manual.trash_items(kind="snapshot")
    assert sorted(i.details["snapshot"] for i in items) == sorted(ids[:2])
    job = manual.list_jobs()[0]
    assert all(i.reason == "prune: beyond keep = 1" and i.job_id == job.id for i in items)


def test_policy_remove_keeps_the_block_in_the_trash(svc: ProfileService, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    append_toml(
        svc.config.file, f'[[destination]]\nname = "usb"\ntype = "local"\npath = "{drive}"\n'
    )
    append_toml(
        svc.config.file, '# nightly, kept\n[[policy]]\nname = "nightly"\ndestination = "usb"\n'
    )
    with open_service(svc.config.file) as esvc:
        change = esvc.remove_policy("nightly")
        (item,) = esvc.trash_items(kind="policy")
        assert change.saved_to == Path(item.stored)
        assert "# nightly, kept\n[[policy]]" in Path(item.stored).read_text()
        assert item.original.endswith("[[policy]] nightly")
        esvc.trash_restore(item.id, to=tmp_path / "nightly.toml")
        assert 'name = "nightly"' in (tmp_path / "nightly.toml").read_text()


def test_run_due_purges_the_expired_trash(svc: ProfileService, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    t0 = clock.parse_time("2026-03-01T12:00:00Z")
    with clock.pinned(t0):
        item = svc.trash_put(f)
    with clock.pinned(t0 + timedelta(days=31)):
        svc.run_due(dry_run=True)
        assert svc.trash_item(item.id).state == "trashed"  # a dry run changes nothing
        svc.run_due()
        assert svc.trash_item(item.id).state == "purged" and not Path(item.stored).exists()
