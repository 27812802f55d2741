"""Did a source file change or vanish between the manifest and the end of the copy?

The manifest (metadata.json) is hashed before anything is sent. A destination that copies
the live files afterwards (rsync, restic) would keep a restore point whose metadata lies about
a file that changed or vanished meanwhile. `changed_sources(content)` finds them cheaply: the
file is gone, or its size or mtime differs from the stat taken when it was hashed
(`BackupContent.source_stamps`; an exact compare, so a file dated in the future is not
"changed"), and the destination drops the point instead of committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui_backup.destinations.base import METADATA_NAME, BackupContent
from tui_backup.jobs.errors import ErrorKind, JobError


def _source_of(content: BackupContent, rel: str) -> Path | None:
    for part in content.parts:
        if part.path == rel:
            return part.source
        if part.is_dir and rel.startswith(part.path + "/"):
            return part.source / rel[len(part.path) + 1:]
    return None


def changed_sources(content: BackupContent) -> list[str]:
    """The manifest's artifacts whose source file is gone or whose size or mtime is not the
    one it had when it was hashed (only the size, for content built without stamps)."""
    changed: list[str] = []
    for a in content.metadata.get("artifacts", []):
        rel = a.get("path") if isinstance(a, dict) else None
        if not isinstance(rel, str) or rel == METADATA_NAME or rel.startswith("database/"):
            continue  # the snapshot's artifacts are the tool's own, not live files
        source = _source_of(content, rel)
        if source is None:
            continue
        try:
            st = os.stat(source)
        except OSError:
            changed.append(rel)
            continue
        stamp = content.source_stamps.get(rel)
        if st.st_size != a.get("size") or (stamp is not None and stamp != (st.st_size, st.st_mtime_ns)):
            changed.append(rel)
    return changed


def raise_if_sources_changed(content: BackupContent) -> None:
    changed = changed_sources(content)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise JobError(
            ErrorKind.FAILED,
            f"{len(changed)} source file(s) changed or vanished while the backup ran: {shown}",
            "run it again (nothing was kept whose checksums would not match); a file the "
            "application rewrites all the time (a log, a cache) is better kept outside the backed-up directories",
            paths=tuple(changed),
        )
