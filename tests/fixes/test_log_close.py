"""The runner closes (flushes, fsyncs) a job's log before its catalog row says it ended,
so `jobs log --follow` and the Jobs pane never miss the last lines."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.jobs import tail
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service import ProfileService

LINES = 2000  # well under the log's 64 KiB buffer between two ticks: only a close flushes them


async def _chatty(ctx: JobContext) -> None:
    for i in range(LINES):
        ctx.log(f"line {i}")
    ctx.summary = "all said"


def test_log_complete_when_row_finishes(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = job_rows.finish_job

    def spy(catalog: Any, job_id: int, *args: Any, **kwargs: Any) -> None:
        # the instant the row is marked finished: what a follower in another process can read
        path = job_rows.get_job(catalog, job_id).log_path
        assert path is not None
        seen.append(Path(path).read_text(encoding="utf-8"))
        real(catalog, job_id, *args, **kwargs)

    monkeypatch.setattr(job_rows, "finish_job", spy)
    finished = run_job_sync(JobRunner.for_profile(svc), JobSpec("test", "log", _chatty), handle_signals=False)
    assert finished.ok
    assert len(seen) == 1
    text = seen[0]
    assert f"line {LINES - 1}" in text
    assert "succeeded: all said" in text.splitlines()[-1]


def test_follow_gets_last_line_without_settling(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    # No settle-time workaround: the follower stops reading as soon as the row is finished.
    monkeypatch.setattr(tail, "SETTLE_MAX_S", 0.0)
    runner = JobRunner.for_profile(svc)
    started = threading.Event()
    job_ids: list[int] = []

    async def body(ctx: JobContext) -> None:
        job_ids.append(ctx.job_id)
        started.set()
        await _chatty(ctx)

    got: list[str] = []
    result: list[job_rows.JobRecord] = []

    def follower() -> None:
        started.wait(10)
        catalog = Catalog(svc.paths.catalog)  # its own connection, as another process has
        try:
            result.append(tail.follow_job(catalog, job_ids[0], got.extend, poll=0.01))
        finally:
            catalog.close()

    t = threading.Thread(target=follower)
    t.start()
    finished = run_job_sync(runner, JobSpec("test", "follow", body), handle_signals=False)
    t.join(10)
    assert finished.ok and result and result[0].status == "succeeded"
    assert any(f"line {LINES - 1}" in line for line in got)
    assert "succeeded: all said" in got[-1]
