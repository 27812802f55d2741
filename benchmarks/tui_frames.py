"""Benchmark: the UI thread's CPU for one key press on the Jobs pane and one streamed batch.

    .venv/bin/python benchmarks/tui_frames.py [--presses 200] [--batches 200] [--profile OUT.prof]

Deterministic where benchmarks/tui.py (wall-clock, through a pty) is at the mercy of the
machine's load: the real app runs headless at 80x24 (`App.run_test`) on a demo profile in a
private home, with two jobs in the catalog (an older finished one and a running one whose
log grows by 1,250 lines — a quarter second at 5,000 lines/s — before every batch). Then,
in-process and measured with `time.thread_time` (this thread's CPU only):

  key    ↓ or ↑ on the Jobs table (alternately: the finished job, the running one) — the key
         binding's action, the pane's update of the details and the log tail — plus the
         frame that follows (`Screen._on_timer_update`: compositing every dirty widget).
  batch  the pane's tail poll (`poll_selected`: new log lines and progress figures) plus the
         frame that follows.

Headless, Textual skips only the last step of a frame (turning the update into escape
sequences: ~0.3 ms, counted by `benchmarks/tui.py --probe`). Prints medians and p95 in ms,
and how many widgets each frame repainted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The installed (editable) package, or whatever PYTHONPATH points at (a copy to compare with).

LINES_PER_BATCH = 1250
IDLE = 50  # the floor: letting the loop run and a frame with nothing to draw


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def measure(config: Path, presses: int, batches: int, profile: Path | None,
                  profile_what: str = "key") -> dict[str, list[float]]:
    from tui_backup.catalog import jobs as job_rows
    from tui_backup.jobs.events import Progress
    from tui_backup.service import ProfileService
    from tui_backup.tui.app import BackupApp
    from tui_backup.tui.widgets.jobs import JobsPane, JobsTable

    svc = ProfileService.open(config=config, interface="tui")
    home = config.parent
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    old_log, run_log = logs / "old.log", logs / "run.log"
    old_log.write_text("".join(f">f+++++++++ old/file-{i:07d}.jpg\n" for i in range(400)))
    run_log.write_text("")
    old_id = job_rows.start_job(svc.catalog, "backup", "idle", "cli", str(old_log))
    job_rows.finish_job(svc.catalog, old_id, "succeeded", duration_s=1.0, bytes_done=4096 * 400)
    run_id = job_rows.start_job(svc.catalog, "backup", "stream", "cli", str(run_log))
    written = 0

    def grow() -> None:
        nonlocal written
        with run_log.open("a") as f:
            f.write("".join(f">f+++++++++ photos/{(written + i) // 1000:04d}/img-{written + i:07d}.jpg\n"
                            for i in range(LINES_PER_BATCH)))
        written += LINES_PER_BATCH

    app = BackupApp(svc)
    out: dict[str, list[float]] = {f"{kind}{part}": [] for kind in ("key", "batch", "idle")
                                   for part in ("", "_frame", "_widgets")}
    prof = cProfile.Profile() if profile else None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause(0.3)
        pane = app.query_one(JobsPane)
        for timer in list(pane._timers):
            timer.pause()  # the loop below drives the polls
        pane.poll_catalog()
        table = app.query_one(JobsTable)
        screen = app.screen
        await pilot.pause()

        # Frames run only when this loop says so (the screen's frame timer is held).
        screen._update_timer.pause()
        screen._update_timer.resume = lambda: None  # type: ignore[method-assign]

        def frame() -> tuple[float, int]:
            n = len(screen._dirty_widgets)
            t = time.thread_time()
            screen._on_timer_update()
            return time.thread_time() - t, n

        async def drain() -> None:
            # Let every widget's task handle what was posted (RowHighlighted, Update...).
            for _ in range(20):
                await asyncio.sleep(0)

        for i in range(presses + batches + IDLE):
            is_key = i < presses
            is_idle = i >= presses + batches
            if not is_key and not is_idle:
                grow()
                pane._live[run_id] = Progress("copying", (i % 100) / 100, i * 4096, 100 * 4096 * 100,
                                              f"photos/img-{i:07d}.jpg")
            await pilot.pause()  # everything queued before is handled, and drawn
            frame()
            if prof and is_key == (profile_what == "key"):
                prof.enable()
            t = time.thread_time()
            if is_key:
                (table.action_cursor_down if i % 2 == 0 else table.action_cursor_up)()
            elif not is_idle:
                pane.poll_selected()
            await drain()
            work = time.thread_time() - t
            spent, widgets = frame()
            if prof and is_key == (profile_what == "key"):
                prof.disable()
            kind = "key" if is_key else "idle" if is_idle else "batch"
            out[kind].append((work + spent) * 1000)
            out[f"{kind}_frame"].append(spent * 1000)
            out[f"{kind}_widgets"].append(widgets)
    svc.close()
    if prof and profile:
        prof.dump_stats(str(profile))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--profile", type=Path, help="cProfile of the key presses (pstats file)")
    ap.add_argument("--profile-batches", action="store_true", help="profile the batches instead of the keys")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tui-backup-bench-frames-") as tmp:
        home = Path(tmp)
        for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                         ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")):
            os.environ[var] = str(home / sub)
        from tui_backup.service.demo import create_demo

        config = create_demo(home / "demo", config_path=home / "demo.toml", snapshots=0)
        out = asyncio.run(measure(config, args.presses, args.batches, args.profile,
                                   "batch" if args.profile_batches else "key"))
    for kind in ("key", "batch", "idle"):
        total, frame, widgets = out[kind], out[f"{kind}_frame"], out[f"{kind}_widgets"]
        print(f"{kind:<6} CPU ms: p50 {statistics.median(total):.2f} p95 {pct(total, 95):.2f} "
              f"(frame p50 {statistics.median(frame):.2f} p95 {pct(frame, 95):.2f}) · "
              f"widgets repainted p50 {statistics.median(widgets):.0f} · {len(total)} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
