"""The Jobs pane redraws only what changed: cells in place, labels without layout, the
selected job's details in the same frame as the cursor; queued progress is merged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.tui.conftest import SIZE, RecordingApp, settle
from tui_backup.catalog.jobs import JobRecord
from tui_backup.jobs.events import Finished, Progress, Started
from tui_backup.jobs.tail import LogTail
from tui_backup.tui.formatting import job_short_label
from tui_backup.tui.messages import OperationProgress
from tui_backup.tui.widgets import JobsPane, JobsTable
from tui_backup.tui.widgets.jobs import LOG_LINES, JobEvents


def job(job_id: int, status: str = "succeeded", **changes: object) -> JobRecord:
    rec = JobRecord(id=job_id, kind="backup", target=f"t{job_id}", started_at="2024-03-01T11:00:00Z",
                    finished_at=None if status == "running" else "2024-03-01T11:01:00Z", status=status,
                    bytes=1000, duration_s=None if status == "running" else 60.0, error=None,
                    log_path=None, pid=None, interface="cli", summary=None)
    return dataclasses.replace(rec, **changes)  # type: ignore[arg-type]


def still(pane: JobsPane) -> JobsPane:
    """Stop the pane's catalog and tail polls: the test's rows must not be replaced by the catalog's."""
    for timer in list(pane._timers):
        timer.pause()
    return pane


def progress(n: int) -> Progress:
    return Progress("copying", n / 100, n, 100, "")


async def test_same_jobs_update_cells_in_place_and_keep_the_cursor(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = still(app.query_one(JobsPane))
        table = app.query_one(JobsTable)
        pane.show_jobs([job(3, "running"), job(2), job(1)])
        await pilot.pause()
        table.move_cursor(row=1)
        await pilot.pause()
        keys = list(table.rows)
        pane.show_jobs([job(3, summary="42 files"), job(2), job(1)])
        await pilot.pause()
        assert list(table.rows) == keys  # not cleared and re-added
        assert table.get_row("3")[3] == job_short_label("succeeded")
        assert table.get_row("3")[5] == "42 files"
        assert table.cursor_row == 1 and table.selected_id == 2


async def test_selecting_a_job_shows_its_details_before_the_next_frame(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = still(app.query_one(JobsPane))
        table = app.query_one(JobsTable)
        pane.show_jobs([job(3, "running"), job(2), job(1)])
        await pilot.pause()
        title = app.query_one("#job-title")
        table.move_cursor(row=2)  # no pause: the details follow the cursor synchronously
        assert str(title.content).startswith("#1 backup t1")  # type: ignore[attr-defined]
        table.move_cursor(row=0)
        assert str(title.content).startswith("#3 backup t3")  # type: ignore[attr-defined]
        await pilot.pause()
        assert str(title.content).startswith("#3 backup t3")  # type: ignore[attr-defined]


async def test_one_line_labels_do_not_lay_out_the_screen(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = still(app.query_one(JobsPane))
        pane.show_jobs([job(3, "running"), job(2)])
        await settle(pilot)
        labels = [app.query_one(sel) for sel in ("#job-title", "#job-figures", "#job-current")]
        counts = [label._layout_updates for label in labels]
        for n in range(1, 6):
            pane._live[3] = progress(n * 10)
            pane._show_progress(job(3, "running"))
            await pilot.pause()
        assert [label._layout_updates for label in labels] == counts
        assert "50%" in str(app.query_one("#job-figures").content)  # type: ignore[attr-defined]


def test_queued_progress_is_superseded_by_newer_progress() -> None:
    older, newer = OperationProgress("backup", progress(1)), OperationProgress("backup", progress(2))
    assert older.can_replace(newer)
    assert not older.can_replace(OperationProgress("restore", progress(2)))

    only_progress = JobEvents(7, [progress(1), progress(2)])
    assert only_progress.can_replace(JobEvents(7, [progress(3)]))
    assert not only_progress.can_replace(JobEvents(8, [progress(3)]))  # another job
    assert not only_progress.can_replace(JobEvents(7, [Finished(7, "succeeded")]))  # the figures would be lost
    assert not JobEvents(7, [Started(7, "backup", "t", 0.0)]).can_replace(JobEvents(7, [progress(3)]))


async def test_a_burst_in_the_log_is_read_from_its_end(app: RecordingApp, tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(b"".join(b"line %06d\n" % n for n in range(100_000)))  # ~1.1 MB piled up
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = still(app.query_one(JobsPane))
        lines = pane._read_tail(LogTail(log))
        assert len(lines) == LOG_LINES and lines[-1] == "line 099999"
        assert pane._tail is not None and pane._tail.offset == log.stat().st_size
        with log.open("ab") as f:
            f.write(b"line 100000\nline 100001\n")
        assert pane._read_tail(pane._tail) == ["line 100000", "line 100001"]  # a small growth: just the new lines
