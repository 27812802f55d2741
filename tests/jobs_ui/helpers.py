"""Starting a job in another process and waiting for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("job_child.py")


class OtherProcessJob:
    """`job_child.py` running as a real separate process; `job_id` once it has started."""

    def __init__(self, config: Path, lines: int, interval: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(config), str(lines), str(interval)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        assert first.startswith("JOB "), first
        self.job_id = int(first.split()[1])

    def wait(self, timeout: float = 30) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, out
        return out.strip()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
