"""The Snapshots pane at 80x24, driven by keys like a user: create, verify, restore, delete.

Real parts throughout: the demo's SQLite database, the real snapshot engine, the real app.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import ProgressBar

from tui_backup.service import ProfileService
from tui_backup.tui.screens import ConfirmScreen, RestorePlanScreen, SnapshotNoteScreen
from tui_backup.tui.widgets import SnapshotsPane

from .conftest import SIZE, RecordingApp, notes, settle


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _cell(pane: SnapshotsPane, snapshot_id: str, column: str) -> str:
    return str(pane.table.get_cell(snapshot_id, column))


async def _open_pane(pilot) -> SnapshotsPane:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    pane = pilot.app.query_one(SnapshotsPane)
    assert pane.table.has_focus
    return pane


async def test_create_with_a_note_shows_progress_and_the_new_row(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_pane(pilot)
        assert pane.table.row_count == 0
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, SnapshotNoteScreen)
        await pilot.press(*"before upgrade")
        await pilot.press("enter")
        await settle(pilot)
        assert pane.busy is None
        assert pane.table.row_count == 1
        snap = app.service.list_snapshots()[0]
        assert snap.note == "before upgrade"
        assert pane.table.selected_id == snap.id
        assert _cell(pane, snap.id, "kind") == "manual"
        assert pane.last_progress is not None  # the progress callback reached the pane
        assert any(title == "✔ Snapshot created" and snap.id in msg for title, msg, _ in notes(pilot))
        assert not pane.query_one(ProgressBar).display


async def test_escape_cancels_create(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_pane(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert pane.table.row_count == 0
        assert app.service.list_snapshots() == []


async def test_verify_selected_and_all_reports_corruption(app: RecordingApp, demo_service: ProfileService) -> None:
    first = demo_service.create_snapshot("one")
    second = demo_service.create_snapshot("two")
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_pane(pilot)
        assert pane.table.row_count == 2
        assert pane.table.selected_id == second.id  # newest first
        assert _cell(pane, second.id, "verified") == "✔ ok"  # checked when it was created
        await pilot.press("v")
        await settle(pilot)
        assert _cell(pane, second.id, "verified") == "✔ ok"
        assert any(title == "✔ 1 verified" and second.id in msg for title, msg, _ in notes(pilot))
        # Flip a byte in the older snapshot's stored file: "verify all" must catch it.
        artifact = Path(first.path) / first.artifact
        data = bytearray(artifact.read_bytes())
        data[len(data) // 2] ^= 0xFF
        artifact.write_bytes(bytes(data))
        await pilot.press("V")
        await settle(pilot)
        assert _cell(pane, first.id, "verified") == "✖ corrupt"
        assert _cell(pane, second.id, "verified") == "✔ ok"
        bad = [n for n in notes(pilot) if n[2] == "error"]
        assert bad and first.id in bad[-1][1]


async def test_restore_shows_the_dry_run_then_asks_then_restores(
    app: RecordingApp, demo_service: ProfileService
) -> None:
    snap = demo_service.create_snapshot("good state")
    db = demo_service.config.source.database.path
    assert db is not None
    before = _rows(db, "audit_log")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE id > 100")
    assert _rows(db, "audit_log") == 100
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_pane(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RestorePlanScreen)
        plan = app.screen.plan
        change = next(t for t in plan.tables if t.table == "audit_log")
        assert (change.rows_before, change.rows_after) == (100, before)
        assert _rows(db, "audit_log") == 100  # the dry run changed nothing
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert _rows(db, "audit_log") == before
        done = [msg for title, msg, _ in notes(pilot) if title == "✔ Restored"]
        assert done and "safety snapshot" in done[0]
        listed = app.service.list_snapshots()
        safety = [s for s in listed if s.kind == "safety"]
        assert len(safety) == 1 and safety[0].id in done[0]
        assert pane.table.row_count == 2
        assert pane.table.selected_id == snap.id


async def test_restore_can_be_cancelled_at_each_step(app: RecordingApp, demo_service: ProfileService) -> None:
    demo_service.create_snapshot()
    async with app.run_test(size=SIZE) as pilot:
        await _open_pane(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RestorePlanScreen)
        await pilot.press("escape")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the focused button is Cancel: a stray Enter never confirms
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen | RestorePlanScreen)
        assert [s.kind for s in app.service.list_snapshots()] == ["manual"]


async def test_restore_of_a_corrupt_snapshot_is_refused_with_a_hint(
    app: RecordingApp, demo_service: ProfileService
) -> None:
    snap = demo_service.create_snapshot()
    artifact = Path(snap.path) / snap.artifact
    data = bytearray(artifact.read_bytes())
    data[-10] ^= 0xFF
    artifact.write_bytes(bytes(data))
    db = demo_service.config.source.database.path
    assert db is not None
    live = db.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await _open_pane(pilot)
        await pilot.press("r")
        await settle(pilot)
        if isinstance(app.screen, RestorePlanScreen):  # a plan may be shown; the restore itself refuses
            await pilot.press("c")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
        errors = [(title, msg) for title, msg, sev in notes(pilot) if sev == "error"]
        assert errors, notes(pilot)
        title, msg = errors[-1]
        assert "failed" in title
        assert "\n" in msg  # the message, then the hint on its own line
    assert db.read_bytes() == live


async def test_delete_asks_first(app: RecordingApp, demo_service: ProfileService) -> None:
    keep = demo_service.create_snapshot("keep")
    doomed = demo_service.create_snapshot("doomed")
    async with app.run_test(size=SIZE) as pilot:
        pane = await _open_pane(pilot)
        assert pane.table.selected_id == doomed.id
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert pane.table.row_count == 2
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert pane.table.row_count == 1
        assert [s.id for s in app.service.list_snapshots()] == [keep.id]
        assert not Path(doomed.path, doomed.artifact).exists()
        assert any(title == "✔ Snapshot deleted" for title, _, _ in notes(pilot))


async def test_actions_on_an_empty_list_say_so(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await _open_pane(pilot)
        for key in ("v", "V", "d", "r"):
            await pilot.press(key)
            await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen | RestorePlanScreen)
        warnings = [msg for _, msg, sev in notes(pilot) if sev == "warning"]
        assert len(warnings) == 4
