"""Benchmark: the job runner's overhead per parsed output line.

    .venv/bin/python benchmarks/runner.py [--lines 1000000] [--rounds 3]

Takes the output recorded from the real restic 0.14 (tests/jobs/recorded/: a backup's
stdout with status lines and summary, a -vv backup, the stderr of a run with unreadable
files) and repeats it into a file of ~`--lines` lines, then measures, medians of
`--rounds` runs:

  job    the full path: a real JobRunner job running `cat FILE` as its child —
         pipe reads in 64 KiB chunks, the \\r/\\n splitter, ResticJsonParser (json.loads
         only for lines starting with `{`), log-file writes for the non-progress lines,
         the 10 Hz progress coalescing and one subscriber counting events;
  stream the same without the child process: chunks fed to an in-process StreamReader
         and pumped through splitter + parser (the runner's own cost per line).

Reports lines per second; the target is at least 200,000 lines/s for `job`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tui_backup.jobs.events import Event, LogLine, Progress  # noqa: E402
from tui_backup.jobs.parsers.restic import ResticJsonParser  # noqa: E402
from tui_backup.jobs.process import LineSplitter, pump  # noqa: E402
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec  # noqa: E402

RECORDED = HERE.parent / "tests" / "jobs" / "recorded"
# What the restic destination reads: `restic backup --json` runs (status lines, summaries,
# error messages, plain warnings).
SOURCES = ("restic-backup.stdout", "restic-backup-stdin.stdout", "restic-backup-unchanged.stdout",
           "restic-backup-unreadable.stdout", "restic-backup-unreadable.stderr")
# A -vv run: one verbose_status line per file, every one of them logged (the worst case).
VERBOSE = ("restic-backup-verbose.stdout",)
TARGET = 200_000


def build_input(path: Path, lines: int, sources: tuple[str, ...]) -> int:
    """Repeat the recorded outputs to at least `lines` lines; return the exact count."""
    unit = b"".join((RECORDED / name).read_bytes() for name in sources)
    splitter = LineSplitter()
    per_unit = len(splitter.feed(unit)) + len(splitter.flush())
    repeats = -(-lines // per_unit)
    path.write_bytes(unit * repeats)
    return per_unit * repeats


async def run_job(path: Path, logs: Path) -> tuple[float, dict[str, int]]:
    counts = {"progress": 0, "log": 0, "other": 0}

    def count(ev: Event) -> None:
        if isinstance(ev, Progress):
            counts["progress"] += 1
        elif isinstance(ev, LogLine):
            counts["log"] += 1
        else:
            counts["other"] += 1

    async def body(ctx: JobContext) -> None:
        parser = ResticJsonParser()
        result = await ctx.run(["cat", "--", str(path)], parser=parser)
        assert result.exit_code == 0
        ctx.summary = f"snapshot {parser.snapshot_id}"

    runner = JobRunner(logs_dir=logs)
    started = time.perf_counter()
    finished = await runner.run(JobSpec("benchmark", "runner", body), [count])
    elapsed = time.perf_counter() - started
    assert finished.ok, finished
    return elapsed, counts


async def run_stream(data: bytes) -> float:
    reader = asyncio.StreamReader(limit=65536)
    for i in range(0, len(data), 65536):
        reader.feed_data(data[i : i + 65536])
    reader.feed_eof()
    parser = ResticJsonParser()
    logged = 0

    def on_line(line: bytes) -> None:
        nonlocal logged
        if not parser.stdout_line(line):
            logged += 1

    started = time.perf_counter()
    await pump(reader, on_line)
    parser.progress()
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    for label, sources in (("restic backup --json", SOURCES), ("restic backup --json -vv", VERBOSE)):
        bench(label, sources, args.lines, args.rounds)


def bench(label: str, sources: tuple[str, ...], lines: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="tb-bench-runner-") as tmp:
        path = Path(tmp) / "restic-output.jsonl"
        n = build_input(path, lines, sources)
        data = path.read_bytes()
        print(f"\n{label}: {n:,} lines, {len(data) / 1e6:.1f} MB of recorded restic 0.14 output")
        job_times: list[float] = []
        stream_times: list[float] = []
        counts: dict[str, int] = {}
        for r in range(rounds):
            t, counts = asyncio.run(run_job(path, Path(tmp) / f"logs{r}"))
            job_times.append(t)
            stream_times.append(asyncio.run(run_stream(data)))
        job = statistics.median(job_times)
        stream = statistics.median(stream_times)
        print(f"job     median {job:.2f} s  {n / job:>12,.0f} lines/s  (runs: "
              + ", ".join(f"{t:.2f}" for t in job_times) + ")")
        print(f"stream  median {stream:.2f} s  {n / stream:>12,.0f} lines/s")
        print(f"events to the subscriber (last run): {counts}")
        ok = n / job >= TARGET
        print(f"target: >= {TARGET:,} lines/s through the whole job: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
