"""A job that takes over the destination lock of a killed run of the tool first stops what
that run left running: its children run in their own session, so an rsync or restic lives on
after a SIGKILL of the tool and would go on writing to the destination this job now owns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.jobs.test_runner import pid_gone
from tui_backup.jobs import LogLine, orphans
from tui_backup.jobs.events import SUCCEEDED, Event
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec

# Holds the destination lock "nas" and runs a long child the way jobs run tools.
KILLED_RUN = """
    import asyncio, sys
    from pathlib import Path
    from tui_backup.jobs.locks import destination_lock
    from tui_backup.jobs.process import run_process
    destination_lock(Path(sys.argv[1]), "nas").acquire(job_id=7, what="backup nas")
    def started(line):
        print("child running", flush=True)
    asyncio.run(run_process([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"],
                            on_stdout=started))
"""


async def test_taking_over_a_dead_runs_lock_stops_the_tool_it_left_running(tmp_path: Path) -> None:
    killed = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED_RUN), str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "child running"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    [left] = orphans.children_of_dead(killed.pid)  # the "rsync" lives on
    try:
        seen_running: list[bool] = []
        notes: list[str] = []

        async def body(ctx: JobContext) -> None:
            seen_running.append(not pid_gone(left))

        def on_event(ev: Event) -> None:
            if isinstance(ev, LogLine):
                notes.append(ev.text)

        runner = JobRunner(locks_dir=tmp_path)
        finished = await runner.run(JobSpec("backup", "nas", body, lock="nas"), [on_event])
        assert finished.status == SUCCEEDED
        assert seen_running == [False]  # stopped before the body ran
        assert any(f"stopping what PID {killed.pid} left running: PID {left}" in n for n in notes), notes
        assert orphans.children_of_dead(killed.pid) == []
    finally:
        if not pid_gone(left):
            os.kill(left, signal.SIGKILL)
