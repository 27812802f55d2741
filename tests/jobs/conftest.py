"""Recorded outputs of the real restic 0.14 and rsync (see record.py) and helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tui_backup.jobs.process import LineSplitter

RECORDED = Path(__file__).parent / "recorded"


@dataclass(frozen=True)
class Recording:
    name: str
    stdout: bytes
    stderr: bytes
    exit_code: int

    @property
    def stdout_lines(self) -> list[bytes]:
        return split(self.stdout)

    @property
    def stderr_lines(self) -> list[str]:
        return [line.decode("utf-8", "replace") for line in split(self.stderr)]


def split(data: bytes, chunk: int = 7) -> list[bytes]:
    """Lines as the runner sees them: fed in small chunks through the real splitter."""
    s = LineSplitter()
    out: list[bytes] = []
    for i in range(0, len(data), chunk):
        out.extend(s.feed(data[i : i + chunk]))
    out.extend(s.flush())
    return out


def recorded(name: str) -> Recording:
    meta = json.loads((RECORDED / f"{name}.json").read_text())
    return Recording(
        name,
        (RECORDED / f"{name}.stdout").read_bytes(),
        (RECORDED / f"{name}.stderr").read_bytes(),
        int(meta["exit_code"]),
    )
