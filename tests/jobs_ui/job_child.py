"""A separate process that runs one job through the real runner (as cron or another CLI would).

    python job_child.py CONFIG LINES INTERVAL

The job runs a python child printing `line 1` … `line LINES`, one every INTERVAL seconds,
and publishes a progress with `current = "item-N"`. Prints `JOB <id>` once it started.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tui_backup.jobs.errors import ErrorKind, JobError
from tui_backup.jobs.events import Event, Progress, Started
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service import ProfileService


def main() -> int:
    config, lines, interval = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    printer = (
        "import sys, time\n"
        f"for i in range(1, {lines} + 1):\n"
        "    print(f'line {i}', flush=True)\n"
        f"    time.sleep({interval})\n"
    )

    async def body(ctx: JobContext) -> None:
        ctx.progress(Progress("backing up", 0.5, 500, 1000, files_done=1, files_total=2, rate=100.0,
                              eta_s=5.0, current="item-1"))
        result = await ctx.run([sys.executable, "-c", printer], grace=(0.5, 0.5))
        if result.exit_code != 0:
            raise JobError(ErrorKind.FAILED, f"printer exited {result.exit_code}")
        ctx.summary = f"{lines} lines"

    def on_event(event: Event) -> None:
        if isinstance(event, Started):
            print(f"JOB {event.job_id}", flush=True)

    svc = ProfileService.open(config=config, interface="cli")
    try:
        finished = run_job_sync(JobRunner.for_profile(svc), JobSpec("backup", "nas", body), on_event)
    finally:
        svc.close()
    print(f"DONE {finished.status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
