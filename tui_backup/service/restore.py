"""Restoring a snapshot: checksum, integrity check, safety snapshot, swap, verify, rollback.

CONTRACT (implementation in progress).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.jobs.events import ProgressCallback

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService


@dataclass(frozen=True)
class TableChange:
    table: str
    rows_before: int | None  # None: the table does not exist now
    rows_after: int | None  # None: the table does not exist in the snapshot


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would change (the dry run). Nothing is changed to compute it."""

    snapshot: SnapshotRecord
    target: str  # the live database (display form) or the --to path
    in_place: bool
    tables: list[TableChange] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)  # in the snapshot, not live
    tables_removed: list[str] = field(default_factory=list)  # live, not in the snapshot
    schema_changes: list[str] = field(default_factory=list)  # one line per changed object
    size_before: int | None = None
    size_after: int | None = None
    target_exists: bool = True

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["snapshot"] = self.snapshot.id
        return d


@dataclass(frozen=True)
class RestoreResult:
    snapshot_id: str
    target: str
    in_place: bool
    safety_snapshot_id: str | None  # in place only
    duration_s: float
    rows_after: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_restore(svc: ProfileService, snapshot_id: str, *, to: Path | None) -> RestorePlan:
    raise NotImplementedError


def restore_snapshot(
    svc: ProfileService, snapshot_id: str, *, to: Path | None, force: bool, progress: ProgressCallback
) -> RestoreResult:
    """Raises SnapshotCorruptError (nothing touched), RestoreError(rolled_back=True/False), or
    UsageError when --to exists without force."""
    raise NotImplementedError
