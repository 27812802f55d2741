"""The actions the tool takes land in the journal (and the chain stays whole)."""

from __future__ import annotations

from pathlib import Path

from tui_backup.service import ProfileService, journal


def test_snapshot_create_verify_restore_delete_are_journaled(svc: ProfileService, tmp_path: Path) -> None:
    rec = svc.create_snapshot("before upgrade")
    svc.verify_snapshot(rec.id)
    svc.restore_snapshot(rec.id, to=tmp_path / "copy.db")
    svc.delete_snapshot(rec.id)
    everything = journal.list_entries(svc, limit=20)
    # (file changes seen at the snapshot and the deleted snapshot's move to the trash are
    # journaled too: tests/journal/test_layers_journaled.py)
    assert {e.action for e in everything} == {"snapshot.create", "file.scan", "verify", "restore", "trash.put",
                                              "snapshot.delete"}  # fmt: skip
    entries = [e for e in everything if not e.action.startswith(("file.", "trash."))]
    actions = [e.action for e in reversed(entries)]
    assert actions == ["snapshot.create", "verify", "restore", "snapshot.delete"]
    assert all(e.target in (rec.id, str(tmp_path / "copy.db")) for e in entries)
    create = entries[-1]
    assert create.details["note"] == "before upgrade" and create.details["kind"] == "manual"
    assert entries[1].details["snapshot"] == rec.id
    assert journal.verify(svc).ok


def test_a_broken_journal_never_fails_the_action(svc: ProfileService) -> None:
    svc.catalog.conn.execute("DROP TABLE journal")
    rec = svc.create_snapshot()
    assert svc.get_snapshot(rec.id).id == rec.id
