"""Benchmark: the terminal app's performance budget, measured through a real pty (issue 6).

    .venv/bin/python benchmarks/tui.py [--rounds 3] [--seconds 10] [--rate 5000] [--json OUT]

Each round starts the real app (`tui-backup --config CFG`, the installed entry point) on a
demo profile (`tui-backup demo --no-open`, in a private temporary home) as the child of a
pty of 80x24 (TERM=xterm-256color, no COLORTERM: what an SSH session usually gets), and
reads everything it writes to the terminal from the pty master. Figures:

  startup   fork to the first full paint: header ("profile: demo"), tabs ("Dashboard")
            and footer ("Quit") all written to the terminal; also the app's CPU seconds
            at that moment (steadier than the wall time on a busy machine). Bytecode is
            cached as in an installed package (pip compiles it): PYTHONDONTWRITEBYTECODE
            is dropped for the app, whose .pyc files go to a private PYTHONPYCACHEPREFIX
            filled by one untimed start (`--no-bytecode-cache`: compile at every start);
  stream    a real job in another process (the job runner, as cron or the CLI run it) whose
            tool is a fake rsync printing `--rate` progress2 records per second, each after
            an `-ii` itemize line (so `--rate` log lines per second too), for `--seconds`.
            The app sits on its Jobs pane following that job live (table, progress bar,
            figures, the log tail). Over exactly that window:
              bytes/s   what the app wrote to the terminal, per second (target <= 15 KB/s);
              CPU       the app's user+system time (/proc/PID/stat, all threads) over the
                        window's wall time, in % of one core (target <= 25 %);
              latency   key press to updated screen: ↓ moves the Jobs table's cursor to an
                        older job, ↑ back to the streaming one; the time from writing the key
                        to reading the frame that holds the newly selected job's title
                        ("#N backup idle" / "#N backup stream"), which is on screen only once
                        the key was handled (target p95 <= 20 ms). A pair of presses about
                        every second, so the streaming job is on screen ~85 % of the time.
  journal   the app on a profile whose journal holds `--journal-entries` entries (default
            1,000,000: benchmarks/journal.py's cached profile, its catalog copied into the
            private home): `6` opens the Journal pane; the time from the key to the frame
            that holds the newest entries' summary ("entries N…"; target <= 1.0 s), then
            `--journal-pages` × ctrl+End (the cursor to the last loaded row: the next page
            is read) each timed to its frame, then the app's peak RSS (VmHWM; target
            <= 200 MB).

Prints per-round figures and the medians (latency: p50/p95/max over all presses of all
rounds). The machine's load matters (CPU % and latency most): note `uptime` with the figures.

Internal: `benchmarks/tui.py --job CONFIG TARGET SECONDS RATE` is the job process.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

COLS, ROWS = 80, 24
TICKS = os.sysconf("SC_CLK_TCK")
DOWN, UP = b"\x1b[B", b"\x1b[A"
CTRL_END = b"\x1b[1;5F"
TARGETS = {"startup_s": 1.0, "latency_p95_ms": 20.0, "bytes_per_s": 15_000, "cpu_pct": 25.0}
JOURNAL_TARGETS = {"journal_open_s": 1.0, "journal_rss_mb": 200.0}
JOURNAL_PAGE = 100  # entries per page of the Journal pane (tui/widgets/journal.py PAGE)

# The fake rsync: `rate` (itemize line + progress2 record) pairs per second for `seconds`.
FAKE_RSYNC = r"""
import sys, time
seconds, rate = float(sys.argv[1]), int(sys.argv[2])
total = int(seconds * rate)
out = sys.stdout.buffer
t0 = time.monotonic()
n = 0
while n < total:
    due = min(total, int((time.monotonic() - t0) * rate) + 1)
    chunk = []
    while n < due:
        n += 1
        pct = n * 100 // total
        chunk.append(b">f+++++++++ photos/%04d/img-%07d.jpg\n" % (n // 1000, n))
        chunk.append(b"\r%15s %3d%%   58.82MB/s    0:00:%02d (xfr#%d, to-chk=%d/%d)"
                     % (f"{n * 4096:,}".encode(), pct, (total - n) // rate % 60, n, total - n, total))
    out.write(b"".join(chunk))
    out.flush()
    time.sleep(0.005)
out.write(b"\n")
"""


# ---- the job process ----

def job_main(config: Path, target: str, seconds: float, rate: int) -> int:
    """Run one job through the real runner; print `JOB <id>` when it starts."""
    from tui_backup.jobs.errors import ErrorKind, JobError
    from tui_backup.jobs.events import Event, Started
    from tui_backup.jobs.parsers.rsync import RsyncParser
    from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
    from tui_backup.service import ProfileService

    async def body(ctx: JobContext) -> None:
        parser = RsyncParser("copying")
        result = await ctx.run([sys.executable, "-c", FAKE_RSYNC, str(seconds), str(rate)], parser=parser)
        if result.exit_code != 0:
            raise JobError(ErrorKind.FAILED, f"fake rsync exited {result.exit_code}")
        ctx.summary = f"{parser.items} files"

    def on_event(event: Event) -> None:
        if isinstance(event, Started):
            print(f"JOB {event.job_id}", flush=True)

    svc = ProfileService.open(config=config, interface="cli")
    try:
        finished = run_job_sync(JobRunner.for_profile(svc), JobSpec("backup", target, body), on_event)
    finally:
        svc.close()
    print(f"DONE {finished.status}", flush=True)
    return 0


class JobProcess:
    def __init__(self, config: Path, target: str, seconds: float, rate: int, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--job", str(config), target, str(seconds), str(rate)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("JOB "):
            raise SystemExit(f"the job process did not start a job: {first!r}")
        self.started = time.monotonic()
        self.job_id = int(first.split()[1])

    def wait(self) -> str:
        out, _ = self.proc.communicate(timeout=120)
        return out.strip()


# ---- the app in a pty ----

class PtyApp:
    """The real app as the child of a pty; a thread reads everything it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], nice: int = 0) -> None:
        self.t0 = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the app
            try:
                if nice:
                    os.nice(nice)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.buf = bytearray()
        self.marks: list[tuple[int, float]] = []  # (end offset, time read)
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            with self.cond:
                if not data:
                    self.marks.append((len(self.buf), -1.0))
                    self.cond.notify_all()
                    return
                self.buf += data
                self.marks.append((len(self.buf), now))
                self.cond.notify_all()

    @property
    def offset(self) -> int:
        with self.cond:
            return len(self.buf)

    def wait_for(self, *markers: bytes, since: int = 0, timeout: float = 15.0) -> float:
        """The time the last of `markers` (after offset `since`) was read from the pty."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                ends = [self.buf.find(m, since) for m in markers]
                if all(e >= 0 for e in ends):
                    end = max(e + len(m) for e, m in zip(ends, markers, strict=True))
                    i = bisect.bisect_left(self.marks, (end, -2.0))
                    return self.marks[i][1]
                left = deadline - time.monotonic()
                if left <= 0 or (self.marks and self.marks[-1][1] < 0):
                    tail = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", bytes(self.buf[-3000:]).decode("utf-8", "replace"))
                    raise SystemExit(f"{markers} not written by the app within {timeout} s; last text written:\n"
                                     + " ".join(tail.split())[-600:])
                self.cond.wait(min(left, 0.05))

    def key(self, data: bytes) -> float:
        now = time.monotonic()
        os.write(self.fd, data)
        return now

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident set size of the app, in MB (from /proc/PID/status)."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines()
                      if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def quit(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, b"q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.reader.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.fd)


# ---- one round ----

@dataclass
class Round:
    startup_s: float
    startup_cpu_s: float
    bytes_per_s: float
    cpu_pct: float
    window_s: float
    latencies_ms: list[float] = field(default_factory=list)
    # The job process's own CPU (the runner parsing the stream; not its fake rsync), in % of
    # one core: what the app shares the machine with during the window.
    job_cpu_pct: float = 0.0


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def title(job_id: int, target: str) -> bytes:
    return f"#{job_id} backup {target}".encode()


PROBE_OUT: list[Path] = []  # `--probe DIR`: each app start writes DIR/app-N.json (benchmarks/_tui_probe.py)


def start_app(config: Path, env: dict[str, str], nice: int) -> PtyApp:
    if PROBE_OUT:
        out = PROBE_OUT[0] / f"app-{len(PROBE_OUT)}.json"
        PROBE_OUT.append(out)
        return PtyApp([sys.executable, str(HERE / "_tui_probe.py"), "--config", str(config)],
                      {**env, "TUI_BENCH_PROBE": str(out)}, nice)
    return PtyApp([str(Path(sys.executable).with_name("tui-backup")), "--config", str(config)], env, nice)


def startup_only(config: Path, env: dict[str, str], nice: int) -> tuple[float, float]:
    """(wall, CPU) seconds from fork to the first full paint."""
    app = start_app(config, env, nice)
    try:
        painted = app.wait_for(b"profile: demo", b"Dashboard", b"Quit") - app.t0
        return painted, app.cpu_s()
    finally:
        app.quit()


def one_round(config: Path, env: dict[str, str], older: bytes, target: str, seconds: float, rate: int,
              nice: int) -> tuple[Round, bytes]:
    """Returns the round's figures and the title of its job (the next round's older job)."""
    app = start_app(config, env, nice)
    try:
        painted = app.wait_for(b"profile: demo", b"Dashboard", b"Quit")
        startup, startup_cpu = painted - app.t0, app.cpu_s()
        time.sleep(1.5)  # let the status load settle, as a user would look at it
        since = app.offset
        app.key(b"4")
        app.wait_for(older, since=since)
        job = JobProcess(config, target, seconds, rate, env)
        stream = title(job.job_id, target)
        app.wait_for(stream, since=since)  # the pane follows the new job (top row)
        t_start, cpu_start, bytes_start = time.monotonic(), app.cpu_s(), app.offset
        job_cpu_start = proc_cpu_s(job.proc.pid)
        end = job.started + seconds
        lat: list[float] = []
        while time.monotonic() < end - 1.0:
            for key, marker in ((DOWN, older), (UP, stream)):
                since = app.offset
                sent = app.key(key)
                lat.append((app.wait_for(marker, since=since, timeout=10) - sent) * 1000)
                time.sleep(0.1)
            time.sleep(0.7)
        time.sleep(max(0.0, end - time.monotonic()))
        t_end, cpu_end, bytes_end = time.monotonic(), app.cpu_s(), app.offset
        job_cpu = proc_cpu_s(job.proc.pid) - job_cpu_start
        job.wait()
        window = t_end - t_start
        return Round(startup, startup_cpu, (bytes_end - bytes_start) / window, (cpu_end - cpu_start) / window * 100, window,
                     lat, job_cpu / window * 100), stream
    finally:
        app.quit()


# ---- the Journal pane on a large journal ----

@dataclass
class JournalRound:
    startup_s: float
    open_s: float
    rss_mb: float
    peak_rss_mb: float
    pages_s: list[float] = field(default_factory=list)


def journal_profile(home: Path, entries: int) -> Path:
    """A profile in `home` whose catalog holds a journal of `entries` entries.

    Built by benchmarks/journal.py (large journals cached under benchmarks/.cache/, small
    ones built in `home`); the catalog is copied so the app never writes to the cache.
    """
    sys.path.insert(0, str(HERE))
    from journal import build  # benchmarks/journal.py

    root = HERE / ".cache" / f"journal-{entries}" if entries >= 100_000 else home / "journal-build"
    built = build(root, entries)
    state = home / "journal-state"
    state.mkdir(mode=0o700)
    # journal-verified.json: how far the chain was verified. Without it the app's first
    # status check verifies the whole chain (once per profile, not per start).
    for name in ("catalog.db", "catalog.db-wal", "journal-verified.json"):
        if (built.parent / "state" / name).exists():
            shutil.copyfile(built.parent / "state" / name, state / name)
    config = home / "journal.toml"
    config.write_text(built.read_text().replace(str(built.parent / "state"), str(state)), encoding="utf-8")
    if not (state / "journal-verified.json").exists():
        cli = str(Path(sys.executable).with_name("tui-backup"))
        subprocess.run([cli, "--config", str(config), "journal", "verify"], check=True, capture_output=True)
    return config


def journal_round(config: Path, env: dict[str, str], nice: int, entries: int, pages: int) -> JournalRound:
    app = start_app(config, env, nice)
    try:
        painted = app.wait_for(b"profile: bench", b"Dashboard", b"Quit", timeout=30)
        time.sleep(1.0)  # the status load settles
        since = app.offset
        sent = app.key(b"6")
        opened = app.wait_for(f"entries {entries}\u2026".encode(), since=since, timeout=30) - sent
        times: list[float] = []
        for k in range(1, min(pages, entries // JOURNAL_PAGE - 1) + 1):
            since = app.offset
            sent = app.key(CTRL_END)
            oldest = entries - (k + 1) * JOURNAL_PAGE + 1
            times.append(app.wait_for(f"\u2026{oldest} loaded".encode(), since=since, timeout=30) - sent)
        rss, peak = app.rss_mb()
        return JournalRound(painted - app.t0, opened, rss, peak, times)
    finally:
        app.quit()


def summarise_probe(files: list[Path]) -> dict[str, float]:
    """UI-thread CPU of the stream rounds' apps (benchmarks/_tui_probe.py): per key press
    (key event to the end of its frame) and per frame without a key (the stream's)."""
    keys: list[float] = []
    key_frames: list[float] = []
    key_bytes: list[float] = []
    stream_frames: list[float] = []
    layouts = 0
    for f in files:
        if not f.exists():
            continue
        data = json.loads(f.read_text())
        if not data["keys"]:
            continue  # a start-up-only run
        keys += [k["cpu_ms"] for k in data["keys"]]
        key_frames += [k["frame_cpu_ms"] for k in data["keys"]]
        key_bytes += [k["bytes"] for k in data["keys"]]
        # The stream's frames: from the first key on, those that are not a key's frame.
        first_key = min((k.get("at", 0.0) for k in data["keys"]), default=0.0)
        later = [fr for fr in data["frames"] if fr["at"] >= first_key]
        stream_frames += [fr["cpu_ms"] for fr in later if not fr.get("key")]
        layouts += sum(fr["layout"] for fr in later)
    if not keys:
        return {}
    out = {"probe_key_cpu_p50_ms": percentile(keys, 50), "probe_key_cpu_p95_ms": percentile(keys, 95),
           "probe_key_frame_cpu_p50_ms": percentile(key_frames, 50), "probe_key_frame_bytes_p50": percentile(key_bytes, 50),
           "probe_stream_frame_cpu_p50_ms": percentile(stream_frames, 50) if stream_frames else 0.0,
           "probe_stream_frame_cpu_p95_ms": percentile(stream_frames, 95) if stream_frames else 0.0,
           "probe_layouts_during_stream": float(layouts)}
    print(f"  probe (UI thread CPU, {len(keys)} keys): key → its frame p50 {out['probe_key_cpu_p50_ms']:.1f} ms "
          f"p95 {out['probe_key_cpu_p95_ms']:.1f} ms (the frame alone p50 {out['probe_key_frame_cpu_p50_ms']:.1f} ms, "
          f"{out['probe_key_frame_bytes_p50']:.0f} bytes); stream frames p50 {out['probe_stream_frame_cpu_p50_ms']:.1f} "
          f"p95 {out['probe_stream_frame_cpu_p95_ms']:.1f} ms ({len(stream_frames)}); layout passes {layouts}")
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=5000, help="progress records per second (and as many log lines)")
    ap.add_argument("--startup-rounds", type=int, default=5, help="extra start-up-only runs (then quit)")
    ap.add_argument("--nice", type=int, default=0,
                    help="the app's scheduling priority (e.g. -5 as root on a shared machine; say so with the figures)")
    ap.add_argument("--journal-entries", type=int, default=1_000_000,
                    help="entries in the journal the Journal pane opens (0: skip that measurement)")
    ap.add_argument("--journal-rounds", type=int, default=3)
    ap.add_argument("--journal-pages", type=int, default=10, help="pages read after opening (ctrl+End each)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="keep the caller's PYTHONDONTWRITEBYTECODE (a checkout then compiles its modules at every start)")
    ap.add_argument("--probe", type=Path, metavar="DIR",
                    help="run the app under benchmarks/_tui_probe.py (UI-thread CPU per frame, key and poll); "
                         "one JSON per app start in DIR, summarised at the end")
    ap.add_argument("--job", nargs=4, metavar=("CONFIG", "TARGET", "SECONDS", "RATE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        config, target, seconds, rate = args.job
        return job_main(Path(config), target, float(seconds), int(rate))

    if args.probe:
        args.probe.mkdir(parents=True, exist_ok=True)
        PROBE_OUT.append(args.probe)
    with tempfile.TemporaryDirectory(prefix="tui-backup-bench-tui-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "COLORTERM", "NO_COLOR"))}
        env.update(HOME=str(home), TERM="xterm-256color", TZ="UTC", LANG="C.UTF-8",
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                   XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"))
        if not args.no_bytecode_cache:
            # As installed (pip writes the .pyc files): a private prefix keeps the checkout clean.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        config = home / "demo.toml"
        cli = str(Path(sys.executable).with_name("tui-backup"))
        subprocess.run([cli, "--config", str(config), "demo", "--dir", str(home / "demo"), "--no-open"],
                       env=env, check=True, capture_output=True)
        idle = JobProcess(config, "idle", 0.05, 100, env)  # an older job to move the cursor to
        idle.wait()
        older = title(idle.job_id, "idle")
        startup_only(config, env, args.nice)  # untimed: fills the bytecode cache
        measured = [startup_only(config, env, args.nice) for _ in range(args.startup_rounds)]
        startups = [wall for wall, _ in measured]
        startup_cpus = [cpu for _, cpu in measured]
        if startups:
            print("start-up only: " + ", ".join(f"{s:.3f}" for s in startups) + " s (CPU "
                  + ", ".join(f"{c:.2f}" for c in startup_cpus) + " s)", flush=True)
        rounds: list[Round] = []
        for n in range(1, args.rounds + 1):
            r, older = one_round(config, env, older, f"stream{n}", args.seconds, args.rate, args.nice)
            rounds.append(r)
            startups.append(r.startup_s)
            startup_cpus.append(r.startup_cpu_s)
            print(f"round {n}: startup {r.startup_s:.3f} s · {r.bytes_per_s / 1000:.1f} KB/s · CPU {r.cpu_pct:.1f} % "
                  f"· keys p50 {percentile(r.latencies_ms, 50):.1f} ms p95 {percentile(r.latencies_ms, 95):.1f} ms "
                  f"max {max(r.latencies_ms):.1f} ms ({len(r.latencies_ms)} presses, {r.window_s:.1f} s) · the job process "
                  f"{r.job_cpu_pct:.0f} % CPU", flush=True)
        journal_rounds: list[JournalRound] = []
        if args.journal_entries and args.journal_rounds:
            jconfig = journal_profile(home, args.journal_entries)
            for n in range(1, args.journal_rounds + 1):
                j = journal_round(jconfig, env, args.nice, args.journal_entries, args.journal_pages)
                journal_rounds.append(j)
                pages = f"{statistics.median(j.pages_s) * 1000:.0f} ms" if j.pages_s else "-"
                print(f"journal {n}: {args.journal_entries:,} entries · startup {j.startup_s:.3f} s · open "
                      f"{j.open_s:.3f} s · next page median {pages} ({len(j.pages_s)} pages) · RSS "
                      f"{j.rss_mb:.0f} MB (peak {j.peak_rss_mb:.0f} MB)", flush=True)

    lat = [x for r in rounds for x in r.latencies_ms]
    figures = {"startup_s": statistics.median(startups), "startup_cpu_s": statistics.median(startup_cpus)}
    if rounds:  # `--rounds 0`: start-up (and the journal) only
        figures.update({
            "bytes_per_s": statistics.median(r.bytes_per_s for r in rounds),
            "cpu_pct": statistics.median(r.cpu_pct for r in rounds),
            "latency_p50_ms": percentile(lat, 50),
            "latency_p95_ms": percentile(lat, 95),
            "latency_max_ms": max(lat),
        })
    load = os.getloadavg()
    print(f"\nmedians of {len(rounds)} rounds ({args.rate} progress records + {args.rate} log lines per second "
          f"for {args.seconds:g} s, {COLS}x{ROWS}; start-up: {len(startups)} runs; nice {args.nice}); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for key, target in TARGETS.items():
        if key not in figures:
            continue
        value = figures[key]
        def fmt(v: float, key: str = key) -> str:
            return f"{v / 1000:.1f} KB/s" if key == "bytes_per_s" else f"{v:.3f} s" if key == "startup_s" else (
                f"{v:.1f} ms" if key.endswith("_ms") else f"{v:.1f} %")
        print(f"  {key:<16} {fmt(value):>12}   target <= {fmt(target):<10} {'met' if value <= target else 'NOT MET'}")
    print(f"  start-up CPU (to the first full paint) {figures['startup_cpu_s']:.3f} s")
    if lat:
        print(f"  latency p50 {figures['latency_p50_ms']:.1f} ms, max {figures['latency_max_ms']:.1f} ms "
              f"({len(lat)} presses)")
    if journal_rounds:
        figures["journal_open_s"] = statistics.median(j.open_s for j in journal_rounds)
        figures["journal_rss_mb"] = max(j.peak_rss_mb for j in journal_rounds)
        figures["journal_page_s"] = statistics.median(t for j in journal_rounds for t in j.pages_s or [0.0])
        print(f"  journal of {args.journal_entries:,} entries ({len(journal_rounds)} runs): open "
              f"{figures['journal_open_s']:.3f} s (target <= {JOURNAL_TARGETS['journal_open_s']:.1f} s: "
              f"{'met' if figures['journal_open_s'] <= JOURNAL_TARGETS['journal_open_s'] else 'NOT MET'}), "
              f"peak RSS {figures['journal_rss_mb']:.0f} MB (target <= {JOURNAL_TARGETS['journal_rss_mb']:.0f} MB: "
              f"{'met' if figures['journal_rss_mb'] <= JOURNAL_TARGETS['journal_rss_mb'] else 'NOT MET'}), "
              f"next page {figures['journal_page_s'] * 1000:.0f} ms")
    if PROBE_OUT:
        time.sleep(0.5)  # the last app writes its probe at exit
        figures.update(summarise_probe(PROBE_OUT[1:]))
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "load": load, "nice": args.nice, "startups": startups,
                                         "startup_cpus": startup_cpus,
                                         "bytecode_cache": not args.no_bytecode_cache,
                                         "rounds": [asdict(r) for r in rounds],
                                         "journal": [asdict(j) for j in journal_rounds]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
