"""The Snapshots pane at 80x24, driven by keys like a user: create, verify, restore, delete.

Real parts throughout: the demo's SQLite database, the real snapshot engine, the real app.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import ContentSwitcher, ProgressBar

from tui_backup.service import ProfileService
from tui_backup.service.restore import RestorePlan
from tui_backup.tui.screens import ConfirmScreen, SnapshotNoteScreen
from tui_backup.tui.screens.restore_wizard import RestoreWizard
from tui_backup.tui.screens.restore_wizard.plan_step import PlanStep
from tui_backup.tui.widgets import SnapshotsPane

from .conftest import SIZE, RecordingApp, notes, screen_text, settle


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


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text)


def _step(app: RecordingApp) -> str:
    assert isinstance(app.screen, RestoreWizard), app.screen
    return str(app.screen.query_one(ContentSwitcher).current)


async def test_restore_opens_the_wizard_dry_run_then_name_then_restores(
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
        await pilot.press("r")  # the restore wizard, on this snapshot: where to?
        await settle(pilot)
        assert _step(app) == "step-target"
        await pilot.press("enter")  # in place
        await settle(pilot)
        assert _step(app) == "step-plan"
        plan = app.screen.query_one(PlanStep).plan
        assert isinstance(plan, RestorePlan)
        change = next(t for t in plan.tables if t.table == "audit_log")
        assert (change.rows_before, change.rows_after) == (100, before)
        assert _rows(db, "audit_log") == 100  # the dry run changed nothing
        await _type(pilot, demo_service.config.name)  # in place: type the profile's name
        await pilot.press("enter")
        await settle(pilot)
        assert _rows(db, "audit_log") == before
        safety = [s for s in app.service.list_snapshots() if s.kind == "safety"]
        assert len(safety) == 1 and safety[0].id in screen_text(pilot)
        assert any(title == "✔ Restored" for title, _, _ in notes(pilot))
        await pilot.press("enter")  # closes the wizard; the pane reloads
        await settle(pilot)
        assert pane.table.row_count == 2
        assert pane.table.selected_id == snap.id


async def test_restore_can_be_cancelled_at_each_step(app: RecordingApp, demo_service: ProfileService) -> None:
    demo_service.create_snapshot()
    async with app.run_test(size=SIZE) as pilot:
        await _open_pane(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert _step(app) == "step-plan"
        await pilot.press("enter")  # an empty name never confirms
        await settle(pilot)
        assert _step(app) == "step-plan"
        await pilot.press("escape")
        assert _step(app) == "step-target"
        await pilot.press("escape")
        assert _step(app) == "step-point"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RestoreWizard)
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
        await pilot.press("enter")
        await settle(pilot)
        if app.screen.query_one(PlanStep).plan is not None:  # a plan may be shown; the restore itself refuses
            await _type(pilot, demo_service.config.name)
            await pilot.press("enter")
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
        assert not isinstance(app.screen, ConfirmScreen | RestoreWizard)
        warnings = [msg for _, msg, sev in notes(pilot) if sev == "warning"]
        assert len(warnings) == 4
