"""Jobs: typed events, the asyncio runner, child processes, output parsers, error kinds, locks.

- events.py   Progress/ProgressCallback/CancelToken (plain operations) and the runner's
              events: Started, Progress, LogLine, JobWarning, Finished (+ status constants)
- runner.py   JobRunner, JobSpec, JobContext, JobHandle, run_job_sync
- process.py  run_process (no shell, own session, SIGINT→SIGTERM→SIGKILL), build_env, LineSplitter
- orphans.py  finding/stopping the children a SIGKILLed run of the tool left running
- parsers/    restic --json (ResticJsonParser), rsync progress2/itemize/stats (RsyncParser)
- errors.py   ErrorKind, classify_restic, classify_rsync, JobError
- locks.py    FileLock / destination_lock (per destination, across processes), SlotPool
- control.py  request_cancel / read_progress for jobs run by another process

Only the events are imported here: the rest is imported where used (keeps CLI start-up light).
"""

from tui_backup.jobs.events import (
    CancelToken,
    Event,
    Finished,
    JobWarning,
    LogLine,
    Progress,
    ProgressCallback,
    Started,
    no_progress,
)

__all__ = [
    "CancelToken",
    "Event",
    "Finished",
    "JobWarning",
    "LogLine",
    "Progress",
    "ProgressCallback",
    "Started",
    "no_progress",
]
