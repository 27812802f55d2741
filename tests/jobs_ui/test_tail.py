"""LogTail: only new bytes, whole lines, a replaced or truncated file; follow of a dead job."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.cli.helpers import cli
from tui_backup.jobs.tail import LogTail

from .helpers import OtherProcessJob


def test_tail_reads_new_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    tail = LogTail(path)
    assert tail.read() == []  # not there yet
    path.write_bytes(b"one\ntw")
    assert tail.read() == ["one"]
    assert tail.read() == []
    with path.open("ab") as f:
        f.write(b"o\nthree\n")
    assert tail.read() == ["two", "three"]
    path.write_bytes(b"new\n")  # truncated and rewritten: start again
    assert tail.read() == ["new"]
    replacement = tmp_path / "other.log"
    replacement.write_bytes(b"a\nb\nlast")
    os.replace(replacement, path)  # a new file under the name
    assert tail.read() == ["a", "b"]
    assert tail.rest() == ["last"]


def test_last_lines_starts_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)))
    tail, last = LogTail.last_lines(path, 3, window=100)
    assert last == ["line 997", "line 998", "line 999"]
    with path.open("a") as f:
        f.write("line 1000\n")
    assert tail.read() == ["line 1000"]


def test_follow_ends_when_the_job_process_dies(profile_config: Path) -> None:
    job = OtherProcessJob(profile_config, lines=20, interval=0.05)
    os.kill(job.proc.pid, signal.SIGKILL)
    job.proc.wait()
    r = cli("--config", str(profile_config), "jobs", "log", str(job.job_id), "--follow")
    assert r.exit_code == 0
    assert f"job {job.job_id} ✖ failed" in r.stderr
    r = cli("--config", str(profile_config), "jobs", "show", str(job.job_id), "--json")
    assert r.json()["error"] == "interrupted: the process running it died"
