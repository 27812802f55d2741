"""The job runner with real child processes: events, coalescing, log file, cancel, timeout, limits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tui_backup.catalog import jobs as job_rows
from tui_backup.jobs.control import cancel_flag_path, progress_path
from tui_backup.jobs.errors import ErrorKind, JobError, classify_rsync
from tui_backup.jobs.events import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    SUCCEEDED_WITH_WARNINGS,
    Event,
    Finished,
    JobWarning,
    LogLine,
    Progress,
    Started,
)
from tui_backup.jobs.parsers.restic import ResticJsonParser
from tui_backup.jobs.parsers.rsync import RsyncParser
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service import ProfileService

PY = sys.executable
FAST_GRACE = (0.4, 0.4)


def py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers: look at its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True


# A child that prints restic-like status lines as fast as it can, with plain log lines between.
CHATTY = """
    import sys, time, json
    out = sys.stdout
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 1.0:
        for _ in range(50):
            n += 1
            out.write(json.dumps({"message_type": "status", "percent_done": min(n / 40000, 1),
                                  "total_bytes": 40000, "bytes_done": n}) + "\\n")
        out.write(f"plain line {n}\\n")
        out.flush()
        time.sleep(0.002)
    out.write(json.dumps({"message_type": "summary", "snapshot_id": "abcd1234"}) + "\\n")
    print(f"total {n}", file=sys.stderr)
"""


async def test_slow_subscriber_sees_coalesced_progress_and_the_log_file_has_every_line(tmp_path: Path) -> None:
    progress_times: list[float] = []
    lines: list[str] = []

    async def slow(ev: Event) -> None:
        if isinstance(ev, Progress):
            progress_times.append(time.monotonic())
        elif isinstance(ev, LogLine):
            lines.append(ev.text)
        await asyncio.sleep(0.004)  # slower than the child's output

    async def body(ctx: JobContext) -> None:
        parser = ResticJsonParser()
        result = await ctx.run(py(CHATTY), parser=parser)
        assert result.exit_code == 0
        ctx.summary = f"snapshot {parser.snapshot_id}"

    runner = JobRunner(logs_dir=tmp_path / "logs")
    finished = await runner.run(JobSpec("backup", "test", body), [slow])
    assert finished.status == SUCCEEDED and finished.summary == "snapshot abcd1234"
    assert finished.duration_s < 3.0  # the subscriber did not hold the child back
    gaps = [b - a for a, b in zip(progress_times, progress_times[1:], strict=False)]
    assert len(progress_times) >= 2
    assert len(progress_times) <= 1 + (progress_times[-1] - progress_times[0]) * 10 + 2
    assert min(gaps[:-1]) >= 0.08  # at most ~10 per second (the final one may come sooner)
    log = (tmp_path / "logs" / f"job-{finished.job_id:06d}-backup.log").read_text()
    plain = [line for line in log.splitlines() if "[stdout] plain line" in line]
    total = int(log.split("[stderr] total ")[1].split()[0])
    assert len(plain) == total // 50  # every log line reached the file ...
    assert '[stdout] {"message_type": "status"' not in log  # ... but no progress record
    assert "succeeded: snapshot abcd1234" in log
    assert len(lines) >= len(plain)  # this subscriber was slow, yet got every line (queue not full)
    assert (tmp_path / "logs" / f"job-{finished.job_id:06d}-backup.log").stat().st_mode & 0o777 == 0o600


async def test_event_order_and_batch_subscriber(tmp_path: Path) -> None:
    events: list[Event] = []
    batches: list[list[Event]] = []

    async def body(ctx: JobContext) -> None:
        ctx.progress(Progress("working", 0.5, 5, 10))
        ctx.warn("2 files vanished", ["a", "b"])
        await asyncio.sleep(0.15)
        ctx.log("hello")

    runner = JobRunner()
    handle = None

    async def main() -> Finished:
        nonlocal handle
        handle = runner.start(JobSpec("check", "t", body), [events.append])
        handle.subscribe(batches.append, batch=True)
        return await handle.wait()

    finished = await main()
    assert finished.status == SUCCEEDED_WITH_WARNINGS and finished.warnings == ("2 files vanished",)
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    assert any(isinstance(e, JobWarning) and e.paths == ("a", "b") for e in events)
    assert any(isinstance(e, Progress) and e.fraction == 0.5 for e in events)
    assert [e for b in batches for e in b if not isinstance(e, Progress)] == [
        e for e in events if not isinstance(e, Progress)
    ]


async def test_failing_subscriber_is_dropped_not_the_job() -> None:
    def broken(ev: Event) -> None:
        raise RuntimeError("boom")

    async def body(ctx: JobContext) -> None:
        ctx.log("working")

    finished = await JobRunner().run(JobSpec("check", "t", body), [broken])
    assert finished.status == SUCCEEDED


async def test_tool_missing_and_unexpected_errors(tmp_path: Path) -> None:
    async def missing(ctx: JobContext) -> None:
        await ctx.run(["no-such-tool-xyz", "--help"])

    runner = JobRunner(logs_dir=tmp_path)
    f = await runner.run(JobSpec("backup", "t", missing))
    assert (f.status, f.error_kind) == (FAILED, "tool-missing") and "not installed" in (f.error_message or "")

    async def buggy(ctx: JobContext) -> None:
        raise KeyError("oops")

    f = await runner.run(JobSpec("backup", "t", buggy))
    assert (f.status, f.error_kind) == (FAILED, "failed") and "KeyError" in (f.error_message or "")
    assert "Traceback" in (tmp_path / f"job-{f.job_id:06d}-backup.log").read_text()


async def test_classified_rsync_warning_through_a_real_run(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_bytes(b"x" * 1000)

    async def body(ctx: JobContext) -> None:
        parser = RsyncParser()
        r = await ctx.run(["rsync", "-a", "--info=progress2", "--no-inc-recursive", "--",
                           f"{src}/", str(tmp_path / "missing-src"), f"{tmp_path / 'dst'}/"], parser=parser)
        c = classify_rsync(r.exit_code, r.stderr_lines, {"destination": "t"})
        c.raise_if_failed()

    f = await JobRunner().run(JobSpec("backup", "t", body))
    assert (f.status, f.error_kind) == (FAILED, ErrorKind.SOURCE_MISSING.value)


# ---- cancellation and timeouts of real children ----

IGNORE_INT = """
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(60)
"""
IGNORE_INT_TERM = """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "60"])  # a grandchild, like ssh under rsync
    print(f"ready {child.pid}", flush=True)
    time.sleep(60)
"""


async def cancel_when_ready(code: str) -> tuple[Finished, list[str], list[str], list[bool]]:
    lines: list[str] = []
    signals: list[str] = []
    hook_ran: list[bool] = []

    async def on_killed() -> None:
        hook_ran.append(True)

    async def body(ctx: JobContext) -> None:
        try:
            await ctx.run(py(code), on_killed=on_killed)
        except asyncio.CancelledError:
            signals.extend(line for line in lines if line.startswith("stopped"))
            raise

    def on_event(ev: Event) -> None:
        if isinstance(ev, LogLine):
            lines.append(ev.text)
            if ev.text.startswith("ready"):
                handle.cancel()

    runner = JobRunner()
    handle = runner.start(JobSpec("backup", "t", body, grace=FAST_GRACE), [on_event])
    finished = await asyncio.wait_for(handle.wait(), 10)
    return finished, lines, signals, hook_ran


async def test_cancel_child_ignoring_sigint_gets_sigterm() -> None:
    started = time.monotonic()
    finished, lines, _signals, hook_ran = await cancel_when_ready(IGNORE_INT)
    assert finished.status == CANCELLED and finished.error_message == "cancelled by the user"
    assert any("with SIGINT, SIGTERM" in line for line in lines)
    assert hook_ran == [True]  # e.g. restic unlock after a kill
    assert time.monotonic() - started < 5


async def test_cancel_child_ignoring_sigint_and_sigterm_gets_sigkill_with_its_group() -> None:
    finished, lines, _signals, hook_ran = await cancel_when_ready(IGNORE_INT_TERM)
    assert finished.status == CANCELLED
    assert any("with SIGINT, SIGTERM, SIGKILL" in line for line in lines)
    grandchild = int(next(line for line in lines if line.startswith("ready")).split()[1])
    for _ in range(50):
        if pid_gone(grandchild):
            break
        await asyncio.sleep(0.05)
    assert pid_gone(grandchild), "the kill reached the process group"
    assert hook_ran == [True]


async def test_cancel_child_that_stops_on_sigint_needs_no_hook() -> None:
    lines: list[str] = []
    hook: list[bool] = []

    async def on_killed() -> None:
        hook.append(True)

    async def body(ctx: JobContext) -> None:
        await ctx.run(["sleep", "30"], on_killed=on_killed)

    runner = JobRunner()
    handle = runner.start(JobSpec("backup", "t", body, grace=FAST_GRACE),
                          [lambda ev: lines.append(ev.text) if isinstance(ev, LogLine) else None])
    await asyncio.sleep(0.3)
    handle.cancel()
    finished = await handle.wait()
    assert finished.status == CANCELLED and hook == []
    assert any(line.endswith("with SIGINT") for line in lines)


async def test_timeout() -> None:
    async def body(ctx: JobContext) -> None:
        await ctx.run(["sleep", "30"])

    started = time.monotonic()
    f = await JobRunner().run(JobSpec("backup", "t", body, timeout_s=0.5, grace=FAST_GRACE))
    assert (f.status, f.error_kind) == (FAILED, "timed-out") and "0.5 s" in (f.error_message or "")
    assert time.monotonic() - started < 3


async def test_cancel_thread_code_through_the_token() -> None:
    def work(ctx: JobContext) -> None:
        for _ in range(500):
            ctx.progress(Progress("hashing", None))
            ctx.cancel_token.raise_if_cancelled()
            time.sleep(0.01)

    async def body(ctx: JobContext) -> None:
        await ctx.in_thread(work, ctx)

    runner = JobRunner()
    handle = runner.start(JobSpec("verify", "t", body))
    await asyncio.sleep(0.2)
    handle.cancel()
    f = await asyncio.wait_for(handle.wait(), 3)
    assert f.status == CANCELLED


# ---- concurrency ----


async def test_global_limit(tmp_path: Path) -> None:
    running = 0
    peak = 0

    async def body(ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.3)
        running -= 1

    runner = JobRunner(locks_dir=tmp_path / "locks", max_concurrent=2)
    results = await asyncio.gather(*(runner.run(JobSpec("backup", f"d{i}", body)) for i in range(5)))
    assert all(r.status == SUCCEEDED for r in results) and peak == 2


async def test_global_limit_in_process_without_locks_dir() -> None:
    peak = running = 0

    async def body(ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.1)
        running -= 1

    runner = JobRunner(max_concurrent=1)
    await asyncio.gather(*(runner.run(JobSpec("backup", "x", body)) for _ in range(3)))
    assert peak == 1


async def test_second_job_on_a_destination_fails_at_once_or_waits(tmp_path: Path) -> None:
    async def slow(ctx: JobContext) -> None:
        await asyncio.sleep(0.6)

    runner = JobRunner(locks_dir=tmp_path / "locks", max_concurrent=4)
    first = runner.start(JobSpec("backup", "nas", slow, lock="nas"))
    await asyncio.sleep(0.1)
    busy = await runner.run(JobSpec("backup", "nas", slow, lock="nas"))
    assert (busy.status, busy.error_kind) == (FAILED, "destination-busy")
    assert f"PID {os.getpid()}" in (busy.error_message or "") and f"job {first.job_id}" in (busy.error_message or "")
    assert "since" in (busy.error_message or "")
    waited = await runner.run(JobSpec("backup", "nas", slow, lock="nas", wait=True))
    assert waited.status == SUCCEEDED and (await first.wait()).status == SUCCEEDED


# ---- the catalog, and control from other processes ----


async def test_catalog_row_log_and_cancel_from_another_process(svc: ProfileService) -> None:
    async def body(ctx: JobContext) -> None:
        ctx.progress(Progress("backing up", 0.25, 25, 100, current="a.txt"))
        await ctx.run(["sleep", "30"])

    runner = JobRunner.for_profile(svc)
    assert runner.max_concurrent == 2  # [jobs] max_concurrent default
    handle = runner.start(JobSpec("backup", "nas", body, lock="nas", grace=FAST_GRACE))
    await asyncio.sleep(1.3)  # the progress file is published once a second
    row = job_rows.get_job(svc.catalog, handle.job_id)
    assert row.status == "running" and row.pid == os.getpid() and row.log_path
    assert progress_path(row.log_path).exists()
    # A separate process reads the progress and asks for the cancel, as `jobs cancel` does.
    code = (
        "import sys; from tui_backup.catalog import Catalog; from tui_backup.jobs import control;"
        f"c = Catalog(__import__('pathlib').Path({str(svc.paths.catalog)!r}));"
        f"p = control.read_progress(control.job_rows.get_job(c, {handle.job_id}).log_path);"
        f"print(p.fraction, p.current); control.request_cancel(c, {handle.job_id})"
    )
    out = await asyncio.to_thread(subprocess.run, [PY, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.25", "a.txt"]
    finished = await asyncio.wait_for(handle.wait(), 5)
    assert finished.status == CANCELLED and "another process" in (finished.error_message or "")
    row = job_rows.get_job(svc.catalog, handle.job_id)
    assert row.status == CANCELLED and row.finished_at
    log = Path(row.log_path or "").read_text()
    assert "cancel requested by another process" in log and "stopped sleep" in log
    assert not cancel_flag_path(row.log_path or "").exists() and not progress_path(row.log_path or "").exists()


async def test_catalog_records_warnings_status(svc: ProfileService) -> None:
    async def body(ctx: JobContext) -> None:
        ctx.bytes_done = 1234
        ctx.summary = "done"
        ctx.warn("1 file(s) vanished")

    f = await JobRunner.for_profile(svc).run(JobSpec("backup", "nas", body))
    row = job_rows.get_job(svc.catalog, f.job_id)
    assert (row.status, row.bytes, row.summary, row.error) == (SUCCEEDED_WITH_WARNINGS, 1234, "done", None)


async def test_failure_reaches_the_catalog(svc: ProfileService) -> None:
    async def body(ctx: JobContext) -> None:
        raise JobError(ErrorKind.WRONG_PASSWORD, "wrong password for x", "check it")

    f = await JobRunner.for_profile(svc).run(JobSpec("backup", "nas", body))
    assert (f.error_kind, f.hint) == ("wrong-password", "check it")
    row = job_rows.get_job(svc.catalog, f.job_id)
    assert (row.status, row.error) == (FAILED, "wrong password for x")


# ---- the sync bridge ----


def test_run_job_sync_in_a_worker_thread() -> None:
    events: list[Event] = []
    threads: set[str] = set()

    async def body(ctx: JobContext) -> None:
        parser = ResticJsonParser()
        await ctx.run(py(CHATTY), parser=parser)

    def sub(ev: Event) -> None:
        threads.add(threading.current_thread().name)
        events.append(ev)

    result: list[Finished] = []
    t = threading.Thread(target=lambda: result.append(run_job_sync(JobRunner(), JobSpec("b", "t", body), sub)),
                         name="worker")
    t.start()
    t.join(15)
    assert result and result[0].status == SUCCEEDED and threads == {"worker"}
    assert isinstance(events[0], Started) and events[-1] == result[0]


def test_run_job_sync_ctrl_c_cancels_gracefully(tmp_path: Path) -> None:
    script = tmp_path / "cli.py"
    script.write_text(textwrap.dedent("""
        import sys
        from tui_backup.jobs.runner import JobRunner, JobSpec, run_job_sync
        from tui_backup.jobs.events import LogLine

        async def body(ctx):
            await ctx.run(["sleep", "30"])

        def show(ev):
            if isinstance(ev, LogLine) and ev.text.startswith("running"):
                print("running", flush=True)

        f = run_job_sync(JobRunner(), JobSpec("backup", "t", body, grace=(0.5, 0.5)), show)
        print(f.status, f.error_message, flush=True)
    """))
    proc = subprocess.Popen([PY, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "running"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and out.strip() == "cancelled interrupted (Ctrl-C)"


@pytest.mark.parametrize("sig", [signal.SIGTERM])
def test_run_job_sync_sigterm_cancels_gracefully(tmp_path: Path, sig: signal.Signals) -> None:
    script = tmp_path / "cli.py"
    script.write_text(textwrap.dedent("""
        from tui_backup.jobs.runner import JobRunner, JobSpec, run_job_sync
        async def body(ctx):
            print("running", flush=True)
            await ctx.run(["sleep", "30"])
        f = run_job_sync(JobRunner(), JobSpec("backup", "t", body, grace=(0.5, 0.5)))
        print(f.status, flush=True)
    """))
    proc = subprocess.Popen([PY, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "running"
    time.sleep(0.2)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=10)
    assert out.strip() == "cancelled"
