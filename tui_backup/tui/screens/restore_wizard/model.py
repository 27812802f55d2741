"""The wizard's data: the restore points it offers (snapshots and every destination's),
the choices made so far, and the pure filtering and tree-building it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.service.backup_restore import RestoreScope
    from tui_backup.service.point_contents import PointContents
    from tui_backup.service.profile import ProfileService

SNAPSHOTS = "snapshots"  # the `source` of a layer-3 snapshot (destinations use their name)
ScopeKind = Literal["everything", "database", "files", "paths"]
SCOPE_LABELS: dict[str, str] = {
    "everything": "everything it holds (database, files, config files)",
    "database": "the database only",
    "files": "all files (the [source] files directories)",
    "paths": "chosen paths… (pick them in the point's tree)",
}
# The time filter, cycled with a key: (label, maximum age; None = any).
TIME_FILTERS: tuple[tuple[str, timedelta | None], ...] = (
    ("any time", None),
    ("last 24 h", timedelta(hours=24)),
    ("last 7 days", timedelta(days=7)),
    ("last 30 days", timedelta(days=30)),
)


@dataclass(frozen=True)
class Candidate:
    """One restore point the wizard offers: a snapshot or a point at a destination."""

    source: str  # SNAPSHOTS or the destination's name
    id: str
    created_at: str  # UTC, the catalog's format
    type: str  # snapshot kind (manual, scheduled, safety) or backup type (full, files, ...)
    size_bytes: int | None = None
    note: str = ""
    foreign: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}\t{self.id}"

    @property
    def is_snapshot(self) -> bool:
        return self.source == SNAPSHOTS

    def scopes(self) -> list[ScopeKind]:
        """What can be restored from it."""
        if self.is_snapshot:
            return ["database"]
        if self.foreign:
            return ["everything"]
        kinds: list[ScopeKind] = ["everything"]
        if self.type in ("full", "database"):
            kinds.append("database")
        if self.type in ("full", "files"):
            kinds.append("files")
        if self.type in ("full", "files", "config"):
            kinds.append("paths")
        return kinds


@dataclass
class Choices:
    """What the user chose so far."""

    candidate: Candidate | None = None
    scope: ScopeKind = "everything"
    paths: tuple[str, ...] = ()
    to: Path | None = None  # None: in place

    @property
    def in_place(self) -> bool:
        return self.to is None

    def restore_scope(self) -> RestoreScope:
        from tui_backup.service.backup_restore import RestoreScope

        if self.scope == "database":
            return RestoreScope(database=True)
        if self.scope == "files":
            return RestoreScope(files=True)
        if self.scope == "paths":
            return RestoreScope(paths=self.paths)
        return RestoreScope()

    def scope_text(self) -> str:
        if self.scope == "paths":
            shown = ", ".join(self.paths[:3]) + (f" (+{len(self.paths) - 3} more)" if len(self.paths) > 3 else "")
            return f"{len(self.paths)} chosen path{'s' if len(self.paths) != 1 else ''}: {shown}"
        return SCOPE_LABELS[self.scope].split(" (")[0]


@dataclass(frozen=True)
class Offer:
    """Every candidate, newest first, and what could not be listed (a destination offline)."""

    candidates: list[Candidate]
    problems: list[str] = field(default_factory=list)


def load_candidates(svc: ProfileService) -> Offer:
    """Snapshots and every destination's complete restore points (blocking: a thread)."""
    out: list[Candidate] = []
    problems: list[str] = []
    try:
        out += [Candidate(SNAPSHOTS, s.id, s.created_at, s.kind, s.size_bytes, s.note or "")
                for s in svc.list_snapshots()]
    except TuiBackupError as exc:
        problems.append(f"snapshots: {exc.message}")
    for d in svc.config.destinations:
        try:
            points = svc.list_restore_points(d.name)
        except TuiBackupError as exc:
            problems.append(f"{d.name}: {exc.message}")
            continue
        out += [Candidate(d.name, p.id, p.created_at, p.type, p.size_bytes, str(p.details.get("policy", "") or ""),
                          p.foreign) for p in points if p.complete]
    out.sort(key=lambda c: c.created_at, reverse=True)
    return Offer(out, problems)


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def matches(c: Candidate, text: str, max_age: timedelta | None, now: datetime) -> bool:
    """The search (every word in the source, id, type, note or time) and the time filter."""
    if max_age is not None:
        when = parse_time(c.created_at)
        if when is None or now - when > max_age:
            return False
    hay = f"{c.source} {c.id} {c.type} {c.note} {c.created_at}".lower()
    return all(word in hay for word in text.lower().split())


def tree_of(contents: PointContents) -> dict[str, object]:
    """The point's files as nested dicts: a directory maps names to children, a file maps
    to its size (an int)."""
    root: dict[str, object] = {}
    for f in contents.file_paths:
        node = root
        parts = f.path.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[parts[-1]] = f.size
    return root


def minimal(paths: set[str]) -> tuple[str, ...]:
    """The chosen paths without those inside another chosen one, sorted."""
    return tuple(sorted(p for p in paths if not any(p != o and p.startswith(o + "/") for o in paths)))
