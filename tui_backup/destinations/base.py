"""The destination protocol (layer 4): one protocol, three implementations.

CONTRACT for issue 3 — local.py, rsync.py and restic.py implement `Destination`;
service/backups.py (running a backup) and service/backup_restore.py (restoring from a
destination) use only this protocol, so they behave the same for every destination.

## What a backup holds: the backup layout

Whatever the destination, a backup's content is, relative to its root:

    metadata.json                    profile, policy, type, time, host, tool version;
                                     every artifact: path (relative), size, sha256;
                                     the database's per-table row counts; the sources map
    database/<name>.db.zst           the layer-3 snapshot artifact (fresh, verified)
    database/metadata.json           that snapshot's own metadata.json
    files/<label>/...                each [source] files directory (label = unique basename)
    config/<label>                   each [source] config file (label = unique basename)

`BackupContent` (below) describes those parts *where they are now* (the snapshot in the
snapshots dir, the live files directories, the live config files, a metadata.json written
to a temp dir) so a destination can send them without staging copies first. `fetch` does
the reverse: it brings a restore point (or the chosen paths of it) into a local staging
directory *in this same layout*, whatever the destination stores internally.

## Config

A destination is a `[[destination]]` table: `name`, `type` ("local" | "rsync" |
"restic") and its type's own keys. Each implementation module exposes
`KEYS: tuple[config.Key, ...]` (its keys, types, defaults, one-line help: validation, the
`init` template and the README reference come from these) and
`from_config(name: str, table: dict[str, Any], ctx: DestinationConfigContext) -> Destination`
raising `ConfigError` naming the file, key and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from tui_backup.jobs.runner import JobContext
    from tui_backup.service.volumes import Volume

BackupType = Literal["full", "database", "files", "config"]
BACKUP_TYPES: tuple[BackupType, ...] = ("full", "database", "files", "config")
METADATA_NAME = "metadata.json"
TOOL_TAG = "tui-backup"
DEST_TRASH_DIR = ".tui-backup-trash"  # restore points removed by retention wait here (layer 1)
TRASHED_TAG = "tui-backup-trashed"  # restic: `tui-backup-trashed=<expires stamp>` on a trashed snapshot


@dataclass(frozen=True)
class ContentPart:
    """One part of a backup: `source` (a file or directory on this machine) is stored at
    `path` (relative to the backup's root, e.g. "files/library")."""

    path: str
    source: Path
    is_dir: bool


@dataclass(frozen=True)
class BackupContent:
    """What one backup sends. `parts` always includes "metadata.json" (a file written to a
    private temp dir) and, for full/database, "database/<name>.db.zst" and
    "database/metadata.json" (from the fresh snapshot)."""

    profile: str
    policy: str  # the policy's name, or "manual" for `backup run DEST`
    type: BackupType
    created_at: str  # UTC, the catalog's format: 2026-11-21T22:48:00.000000Z
    parts: tuple[ContentPart, ...]
    metadata: dict[str, Any]  # exactly what metadata.json holds
    # rel path -> (size, mtime_ns) of the source file when it was hashed (see _source_check)
    source_stamps: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def stamp(self) -> str:
        """A sortable, filesystem-safe timestamp for names: 20261121T224800Z."""
        return self.created_at[:19].replace("-", "").replace(":", "") + "Z"


@dataclass(frozen=True)
class RestorePoint:
    """One backup at a destination."""

    id: str  # the destination's own id: a directory or archive name, a restic snapshot id
    destination: str  # the destination's name
    created_at: str  # UTC, the catalog's format
    type: str  # full | database | files | config | "foreign" (made by another tool)
    size_bytes: int | None = None
    host: str | None = None
    foreign: bool = False  # made by plain restic (or another tool): restorable, no metadata.json
    complete: bool = True  # an interrupted run's leftovers are never offered for restore
    location: str = ""  # for display: a path, or repository + short id
    tags: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BackupOutcome:
    point: RestorePoint
    bytes_sent: int  # bytes actually written/transferred
    bytes_linked: int = 0  # rsync: bytes hard-linked to the previous backup (space saved)
    files: int = 0


@dataclass(frozen=True)
class DestinationConfigContext:
    """Where a [[destination]] table came from, for error messages and relative paths."""

    file: str  # the config file
    base: Path  # its directory (relative paths are relative to it)
    where: str  # e.g. "destination[1]" (key names in messages are "{where}.{key}")
    line: int | None = None  # the table's line in the file
    profile: str = ""  # the profile's name (local destinations keep DEST/<profile>/...)


class Destination(Protocol):
    name: str
    type: str  # "local" | "rsync" | "restic"

    def describe(self) -> str:
        """Where it writes, for humans, with no secret in it."""

    def volume(self) -> Volume | None:
        """The local directory layer 0 must guard before use (None when remote)."""

    async def backup(self, ctx: JobContext, content: BackupContent) -> BackupOutcome:
        """Send `content`. Report progress through ctx; honour cancellation (a cancelled or
        failed run leaves no restore point that looks complete); raise JobError with a
        classified ErrorKind on failure."""

    async def list_points(self, ctx: JobContext | None) -> list[RestorePoint]:
        """Every restore point there, newest first (foreign ones included, marked)."""

    async def fetch(
        self, ctx: JobContext, point_id: str, staging: Path, paths: tuple[str, ...] | None = None
    ) -> Path:
        """Bring restore point `point_id` (or only `paths`, layout-relative, e.g.
        "files/library/a.jpg") into the empty directory `staging`, in the backup layout;
        return the root of the fetched tree. Foreign restic snapshots come back as restic
        restored them (under "foreign/"), with no metadata.json."""

    # ---- retention through the trash (layer 1; service/trash_points.py drives these) ----
    #
    # A restore point retention drops is not deleted: local and rsync MOVE it (one rename,
    # same filesystem) into `DEST_TRASH_DIR/<trash item id>/<point id>` inside the
    # destination's root directory; restic TAGS it (`TRASHED_TAG=<expires>`) and hides it
    # from `list_points`. A `ref` (from `trash_ref`) names the trashed point for the calls
    # below; the service keeps it in the trash item's details.

    def trash_ref(self, point: RestorePoint, item_id: str) -> str:
        """The ref the point will have in the destination's trash (known before it moves)."""

    def trash_location(self, ref: str) -> str:
        """Where a trashed point is, for display (no secret in it)."""

    async def trash_points(self, ctx: JobContext, moves: Sequence[tuple[RestorePoint, str]], *,
                           expires_at: str) -> None:
        """Move these restore points (with their refs) into the destination's trash; the
        newest complete point is refused (checked before anything moves). Each leaves the
        listing in one step, so an interruption never leaves half a point that looks complete."""

    async def trashed_refs(self, ctx: JobContext | None) -> set[str]:
        """The refs of every point in the destination's trash (to settle interrupted moves)."""

    async def restore_trashed(self, ctx: JobContext, ref: str) -> str:
        """Put a trashed point back (listed again); returns its restore point id (restic: a
        new snapshot id, as re-tagging rewrites the snapshot). A point of that id already
        there is refused."""

    async def purge_trashed(self, ctx: JobContext, refs: Sequence[str]) -> None:
        """Delete trashed points for good (restic: `forget` them, then `prune`). Refs no
        longer there are skipped."""

    async def init(self, ctx: JobContext) -> None:
        """Prepare the destination (restic: `restic init`); a no-op where nothing is needed."""

    async def check(self, ctx: JobContext, *, read_data_subset: str | None = None) -> None:
        """Check the destination's integrity (restic `check`; local/rsync: metadata checksums)."""
