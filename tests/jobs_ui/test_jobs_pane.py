"""The TUI's Jobs pane at 80x24 with jobs run by another, real process and by the app itself."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label, Log, ProgressBar

from tests.tui.conftest import SIZE, RecordingApp, notes, screen_text, settle
from tui_backup.jobs.events import Progress
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.tui.widgets import JobsPane, JobsTable
from tui_backup.tui.widgets.jobs_log import JobLogScreen
from tui_backup.tui.widgets.log_tail import LogTailView

from .helpers import OtherProcessJob


async def until(pilot: Pilot[None], check: Callable[[], object], timeout: float, what: str) -> float:
    """Wait (letting the app run) until `check()` is true; returns the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not after {timeout} s\n{screen_text(pilot)}")
        await pilot.pause(0.05)
    return time.monotonic() - started


def label(app: RecordingApp, selector: str) -> str:
    return str(app.query_one(selector, Label).content)


def tail_lines(app: RecordingApp) -> list[str]:
    return app.query_one("#job-log", LogTailView).lines


async def start_other(config: Path, lines: int, interval: float) -> OtherProcessJob:
    return await asyncio.to_thread(OtherProcessJob, config, lines, interval)


async def test_job_of_another_process_appears_updates_and_notifies(app: RecordingApp, demo_config: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = app.query_one(JobsTable)
        job = await start_other(demo_config, lines=30, interval=0.05)
        try:
            took = await until(pilot, lambda: table.selected_id == job.job_id, 2, "the job's row")
            assert took < 1.2  # polled twice a second
            assert f"#{job.job_id} backup nas · ⟳ running · cli pid" in label(app, "#job-title")
            # The log tail follows the file the other process writes.
            await until(pilot, lambda: any(line.endswith("line 3") for line in tail_lines(app)), 2, "the log tail")
            # Its published progress (once a second): bar, figures, current item.
            await until(pilot, lambda: "50%" in label(app, "#job-figures"), 3, "the progress figures")
            assert label(app, "#job-figures") == "50% · 500 B / 1.0 KB · 100 B/s · ETA 5.0 s · 1/2 files"
            assert label(app, "#job-current") == "item-1"
            assert app.query_one("#job-bar", ProgressBar).progress == 50
            await asyncio.to_thread(job.wait)
        finally:
            job.kill()
        await until(pilot, lambda: any("succeeded" in title for title, _, _ in notes(pilot)), 2, "the notification")
        title, message, severity = next(n for n in notes(pilot) if "succeeded" in n[0])
        assert (title, message, severity) == (f"✔ succeeded: job {job.job_id} backup nas", "30 lines", "information")
        await until(pilot, lambda: any("succeeded: 30 lines" in line for line in tail_lines(app)), 2, "the last lines")
        stdout = [line.rsplit("] ", 1)[1] for line in tail_lines(app) if "[stdout] " in line]
        assert stdout == [f"line {i}" for i in range(1, 31)]
        assert "✔ succeeded" in label(app, "#job-title") and app.query_one("#job-bar", ProgressBar).progress == 100
        # The full log in a modal screen; Escape closes it.
        await pilot.press("l")
        await pilot.pause(0.1)
        assert isinstance(app.screen, JobLogScreen)
        full = [str(line) for line in app.screen.query_one(Log).lines]
        assert f"backup nas: job {job.job_id}" in full[0] and "succeeded: 30 lines after" in full[-1]
        assert sum(1 for line in full if "[stdout] line " in line) == 30
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, JobLogScreen)


async def test_cancel_another_process_job_from_the_pane(app: RecordingApp, demo_config: Path) -> None:
    # Every step waits for what it expects (generous bounds: a loaded CI machine), none sleeps
    # a fixed time and hopes.
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = app.query_one(JobsTable)

        def asking() -> bool:  # a modal (the confirmation) is up
            return len(app.screen_stack) > 1

        job = await start_other(demo_config, lines=400, interval=0.05)
        try:
            await until(pilot, lambda: table.selected_id == job.job_id, 10, "the job's row")
            await pilot.press("c")
            await until(pilot, asking, 10, "the confirmation")
            assert "Cancel job" in screen_text(pilot)
            await pilot.press("n")  # no: nothing happens
            await until(pilot, lambda: not asking(), 10, "the confirmation closed")
            await pilot.pause(0.6)
            assert job.proc.poll() is None
            await pilot.press("c")
            await until(pilot, asking, 10, "the confirmation")
            await pilot.press("y")
            out = await asyncio.to_thread(job.wait, 30)
            assert out == "DONE cancelled"
        finally:
            job.kill()
        await until(pilot, lambda: any("cancelled" in title for title, _, _ in notes(pilot)), 10, "the notification")
        # The pane's own word comes from its worker, which may end after the job's end is seen.
        requested = f"Cancel requested for job {job.job_id}."
        await until(pilot, lambda: any(message == requested for _, message, _ in notes(pilot)), 10, "the request's note")
        title, _, severity = next(n for n in notes(pilot) if "cancelled" in n[0])
        assert title == f"■ cancelled: job {job.job_id} backup nas" and severity == "warning"
        await until(pilot, lambda: [str(c) for c in table.get_row_at(0)][3] == "■ cancelled", 10, "the row's state")
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == str(job.job_id) and row[3] == "■ cancelled"
        # A job that is not running cannot be cancelled: said, no confirmation.
        refusal = f"Job {job.job_id} is not running (it cancelled)."
        await pilot.press("c")
        await until(pilot, lambda: notes(pilot)[-1][1] == refusal, 10, "the refusal")
        assert not asking()


async def test_job_of_this_app_shows_live_progress_and_failure(app: RecordingApp) -> None:
    async def body(ctx: JobContext) -> None:
        ctx.progress(Progress("backing up", 0.25, 250, 1000, current="live-item"))
        await ctx.run([sys.executable, "-c", "import time; print('working', flush=True); time.sleep(1.5)"])
        raise RuntimeError("boom")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = app.query_one(JobsPane)
        runner = JobRunner.for_profile(app.service)
        task = asyncio.create_task(asyncio.to_thread(run_job_sync, runner, JobSpec("backup", "live", body),
                                                     pane.live_feed()))
        # Live events: the figures show before the once-a-second progress file exists.
        took = await until(pilot, lambda: label(app, "#job-current") == "live-item", 2, "live progress")
        assert took < 1.0
        assert label(app, "#job-figures") == "25% · 250 B / 1.0 KB"
        finished = await task
        assert finished.status == "failed"
        await until(pilot, lambda: any(sev == "error" for _, _, sev in notes(pilot)), 2, "the notification")
        title, message, _ = next(n for n in notes(pilot) if n[2] == "error")
        assert title == f"✖ failed: job {finished.job_id} backup live" and message.startswith("RuntimeError: boom")
        await pilot.pause(0.6)
        assert sum(1 for n in notes(pilot) if n[2] == "error") == 1  # once, not again from the catalog poll
