"""Layer 3: verified, compressed, checksummed snapshots of the database.

CONTRACT (implementation in progress): see the function docstrings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.jobs.events import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService


@dataclass(frozen=True)
class VerifyResult:
    snapshot_id: str
    ok: bool
    checksum_ok: bool
    integrity_ok: bool | None  # None when the checksum already failed
    detail: str  # "ok", or what is wrong

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PruneDecision:
    snapshot: SnapshotRecord
    keep: bool
    reason: str  # e.g. "newest 10", "newest verified", "beyond keep = 10"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.snapshot.id, "created_at": self.snapshot.created_at, "keep": self.keep, "reason": self.reason}


def create_snapshot(
    svc: ProfileService, *, note: str, kind: str, progress: ProgressCallback, cancel: CancelToken
) -> SnapshotRecord:
    """Guard volumes, clean stale temporaries, dump, verify, compress+hash, write metadata.json,
    rename into place, record in the catalog (as a job), then prune if configured."""
    raise NotImplementedError


def list_snapshots(svc: ProfileService) -> list[SnapshotRecord]:
    """Newest first; cleans stale temporaries and never lists a half-written snapshot."""
    raise NotImplementedError


def verify_snapshot(svc: ProfileService, snapshot_id: str, *, progress: ProgressCallback) -> VerifyResult:
    raise NotImplementedError


def verify_all(svc: ProfileService, *, progress: ProgressCallback) -> list[VerifyResult]:
    raise NotImplementedError


def delete_snapshot(svc: ProfileService, snapshot_id: str) -> SnapshotRecord:
    raise NotImplementedError


def prune_snapshots(svc: ProfileService, *, dry_run: bool) -> list[PruneDecision]:
    """Apply [snapshots] keep: the newest N stay; the newest verified one is never removed."""
    raise NotImplementedError
