"""What a restore point at a destination holds, for choosing paths to restore.

Read from the point's own metadata.json (every artifact's layout path, size and sha256),
fetched through the Destination protocol into a private staging dir and removed right
after: the same for local, rsync and restic, and nothing is restored. Foreign restic
snapshots carry no metadata.json: they list nothing (restore them whole, with a target dir).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_backup.destinations import destination_named
from tui_backup.destinations.base import METADATA_NAME
from tui_backup.errors import NotFoundError, SnapshotCorruptError, TuiBackupError
from tui_backup.fsutil import make_private_dir
from tui_backup.jobs.errors import ErrorKind, JobError
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service.staging import drop_staging, new_staging

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService


@dataclass(frozen=True)
class PointFile:
    path: str  # layout-relative: "files/library/a.jpg", "config/app.conf", "database/app.db.zst"
    size: int


@dataclass(frozen=True)
class PointContents:
    destination: str
    point: str
    foreign: bool  # made by another tool: no metadata.json, nothing listed
    files: list[PointFile] = field(default_factory=list)  # sorted by path

    @property
    def database(self) -> bool:
        return any(f.path.startswith("database/") and f.path.endswith(".zst") for f in self.files)

    @property
    def file_paths(self) -> list[PointFile]:
        """The files and config files (what "chosen paths" can pick from)."""
        return [f for f in self.files if f.path.startswith(("files/", "config/"))]


def _listed(meta: object) -> list[PointFile]:
    """metadata.json's artifacts (a list of {path, size, sha256} or a {path: {...}} map)."""
    if not isinstance(meta, dict):
        raise ValueError("not an object")
    raw = meta.get("artifacts", [])
    pairs = raw.items() if isinstance(raw, dict) else ((a.get("path", ""), a) for a in raw if isinstance(a, dict))
    out: dict[str, PointFile] = {}
    for path, a in pairs:
        size = a.get("size", a.get("size_bytes")) if isinstance(a, dict) else None
        if isinstance(path, str) and path.strip("/") and isinstance(size, int):
            out[path.strip("/")] = PointFile(path.strip("/"), size)
    return [out[k] for k in sorted(out)]


def list_point_paths(svc: ProfileService, destination: str, point_id: str) -> PointContents:
    """The files restore point `point_id` at `destination` holds (a read-only job without a
    catalog row, like listing the points)."""
    dest = destination_named(svc.config, destination)
    volume = dest.volume()
    if volume is not None:
        svc.guard.require_readable(volume)
    out: list[PointContents] = []
    error: list[TuiBackupError] = []

    async def body(ctx: JobContext) -> None:
        try:
            await _read(ctx)
        except TuiBackupError as exc:
            error.append(exc)  # raised again as it is: its message and hint are the user's
            raise

    async def _read(ctx: JobContext) -> None:
        points = {p.id: p for p in await dest.list_points(ctx)}
        point = points.get(point_id)
        if point is None or not point.complete:
            raise NotFoundError(f"no restore point {point_id!r} at {destination}",
                                f"list them: tui-backup backup list {destination}")
        if point.foreign:
            out.append(PointContents(destination, point_id, True))
            return
        # Why the snapshots dir: a private dir of ours, always local, never a source.
        staging = new_staging(svc, make_private_dir(svc.paths.snapshots_dir))
        try:
            root = await dest.fetch(ctx, point_id, staging, (METADATA_NAME,))
            try:
                files = _listed(json.loads((root / METADATA_NAME).read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise SnapshotCorruptError(f"{METADATA_NAME} of {point_id} is unreadable: {exc}",
                                           "pick another restore point") from None
            out.append(PointContents(destination, point_id, False, files))
        finally:
            drop_staging(svc, staging)

    runner = JobRunner(max_concurrent=svc.config.jobs.max_concurrent)
    finished = run_job_sync(runner, JobSpec("list", f"{destination}:{point_id}", body, uses_slot=False),
                            handle_signals=False)
    if error and not isinstance(error[0], JobError):
        raise error[0]
    if not finished.ok or not out:
        kind = ErrorKind(finished.error_kind) if finished.error_kind else ErrorKind.FAILED
        raise JobError(kind, finished.error_message or "listing the restore point failed", finished.hint or "")
    return out[0]
