"""The protocol every database source implements (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from tui_backup.jobs.events import CancelToken, ProgressCallback


@dataclass(frozen=True)
class DatabaseFacts:
    """What a database (live, or a copy) looks like: for metadata, listings and restore diffs."""

    size_bytes: int
    tables: dict[str, int]  # table -> row count
    schema: dict[str, str] = field(default_factory=dict)  # object name -> its SQL definition
    page_size: int | None = None
    page_count: int | None = None
    engine_version: str = ""
    journal_mode: str | None = None

    @property
    def row_count(self) -> int:
        return sum(self.tables.values())


class DatabaseEngine(Protocol):
    """A database the profile protects.

    `dump` writes a raw, consistent copy to a file (for SQLite a database file, for
    PostgreSQL a `pg_dump -Fc` archive); `check` verifies such a copy; `load` writes a copy
    back into the live database so that connected clients never see a torn state.
    """

    kind: str  # "sqlite" | "postgresql"
    artifact_suffix: str  # ".db" | ".pgdump" (before ".zst")

    def describe(self) -> str: ...

    def warnings(self) -> list[str]: ...

    def dump(self, out: Path, *, timeout: float, progress: ProgressCallback, cancel: CancelToken) -> None: ...

    def check(self, copy: Path, *, full: bool) -> None:
        """Raise SnapshotCorruptError if the copy fails its integrity check."""

    def facts(self, copy: Path | None = None) -> DatabaseFacts:
        """Facts of a copy, or of the live database when `copy` is None."""

    def load(self, copy: Path, *, timeout: float, progress: ProgressCallback) -> None:
        """Replace the live database's content with `copy`."""


@runtime_checkable
class LiveCheckable(Protocol):
    """An engine that can run its integrity check on the live database (SQLite).

    Restores use it to verify the result of the swap; engines without it (PostgreSQL,
    where the server guarantees consistency) are verified by their row counts alone.
    """

    def check_live(self, *, full: bool) -> None:
        """Raise SnapshotCorruptError if the live database fails its integrity check."""
