"""A destination's trash directory on a local filesystem (local copies, rsync to a local path).

A restore point removed by retention waits in `<root>/.tui-backup-trash/<item id>/<point id>`
(moved there in one rename: same filesystem). Its `ref` is `<item id>/<point id>`.
A purge renames `<item id>` to `.purging-<item id>` (gone from the trash in one step),
then deletes it; leftovers of an interrupted purge are removed by the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from tui_backup.fsutil import fsync_dir
from tui_backup.jobs.errors import ErrorKind, JobError

PURGING = ".purging-"  # a trash item on its way out (a purge): never listed


def check_ref(ref: str) -> None:
    """A ref is `<item>/<point>`: two plain names (never '..', never hidden, never absolute)."""
    item, _, pid = ref.partition("/")
    for part in (item, pid):
        if not part or part.startswith(".") or "/" in part or "\0" in part or "\n" in part:
            raise JobError(ErrorKind.FAILED, f"bad trash reference {ref!r}", "this is a bug")


def trashed_refs_in(trash_dir: Path) -> set[str]:
    """`<item>/<point>` for every point in the trash dir."""
    refs: set[str] = set()
    if not trash_dir.is_dir():
        return refs
    for holder in trash_dir.iterdir():
        if holder.name.startswith(".") or holder.is_symlink() or not holder.is_dir():
            continue  # .purging-*, temporaries
        refs.update(f"{holder.name}/{p.name}" for p in holder.iterdir())
    return refs


def purge_trashed_in(trash_dir: Path, refs: list[str]) -> None:
    for ref in refs:
        check_ref(ref)
    if not trash_dir.is_dir():
        return
    for leftover in trash_dir.glob(PURGING + "*"):
        _remove(leftover)
    for ref in refs:
        holder = trash_dir / ref.split("/", 1)[0]
        if not os.path.lexists(holder):
            continue
        doomed = trash_dir / (PURGING + holder.name)
        os.rename(holder, doomed)
        fsync_dir(trash_dir)
        _remove(doomed)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
