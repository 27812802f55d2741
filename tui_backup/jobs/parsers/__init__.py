"""Parsers of external tools' output, fed line by line as it arrives.

A parser is an `OutputParser`: the runner hands it every stdout/stderr line (bytes, no
terminator). `stdout_line`/`stderr_line` return True when the line was a progress record
(it is then not written to the job's log: progress records would flood it), False when it
is a line worth logging. The parser keeps state; the runner asks `progress()` at most ~10
times a second for a new `Progress` (None when nothing changed), so lines that only move a
counter cost no allocation beyond their parsing.
"""

from __future__ import annotations

from typing import Protocol

from tui_backup.jobs.events import Progress


class OutputParser(Protocol):
    def stdout_line(self, line: bytes) -> bool: ...

    def stderr_line(self, line: bytes) -> bool: ...

    def progress(self) -> Progress | None: ...


class PlainParser:
    """For tools without progress output: every line is logged."""

    def stdout_line(self, line: bytes) -> bool:
        return False

    def stderr_line(self, line: bytes) -> bool:
        return False

    def progress(self) -> Progress | None:
        return None


__all__ = ["OutputParser", "PlainParser"]
