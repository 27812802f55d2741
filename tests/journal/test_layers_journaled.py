"""Layers 1 and 3 write to layer 2: file changes found at each snapshot, and every trash
action, are in the change journal (and the chain still verifies)."""

from __future__ import annotations

from pathlib import Path

from tui_backup.service import ProfileService


def _actions(svc: ProfileService) -> list[tuple[str, str]]:
    return [(e.action, e.target) for e in reversed(svc.journal_list(limit=200))]


def test_file_changes_at_snapshots_and_trash_actions(svc: ProfileService, app_dir: Path) -> None:
    svc.create_snapshot("first")
    assert ("file.scan", "[source] files") in _actions(svc)  # the first look: one summary entry

    (app_dir / "files" / "a.txt").write_text("changed\n")
    (app_dir / "files" / "b.txt").write_text("new\n")
    svc.create_snapshot("second")
    after = _actions(svc)
    assert ("file.modified", str(app_dir / "files" / "a.txt")) in after
    assert ("file.added", str(app_dir / "files" / "b.txt")) in after

    item = svc.trash_put(app_dir / "files" / "b.txt", reason="test")
    svc.trash_restore(item.id)
    actions = [a for a, _ in _actions(svc)]
    assert actions.count("trash.put") == 1 and actions.count("trash.restore") == 1
    assert svc.journal_verify().ok
