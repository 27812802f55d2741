"""Where a snapshot's scratch copy goes: a RAM file system (tmpfs) when it has room.

The scratch copy (the one-step online copy, before it is checked and compressed) is a
private temporary that is read twice and then deleted: on a disk file system writing it
costs as much kernel time as the copy itself (ext4 block allocation, dirty pages, writeback
of pages about to be deleted). On tmpfs it costs a memcpy, and the integrity check and the
compressor read the very same pages. Its location does not matter for safety — the stored
snapshot is still written to a temporary name in the snapshots dir, fsynced and renamed.

Rules:
- only a private directory we own (``<base>/tui-backup-<uid>``, 0700, not a symlink) in
  ``$TUI_BACKUP_SCRATCH_DIR``, else ``$XDG_RUNTIME_DIR``, else ``/dev/shm``; the last two
  only when they are tmpfs. ``TUI_BACKUP_SCRATCH_DIR=none`` turns this off.
- never fill it: it must have room for the estimated copy plus a margin, and (tmpfs
  pages are RAM) so must the machine's available memory; otherwise the snapshots dir.
- files are fsutil temporaries (pid in the name, 0600): a killed run's leftover is removed
  by the next run (`remove_stale_scratch`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from tui_backup.fsutil import DIR_MODE, remove_stale_temporaries

SCRATCH_ENV = "TUI_BACKUP_SCRATCH_DIR"
DISABLED = "none"
MIN_MARGIN = 64 * 1024 * 1024  # bytes left free on top of the copy, at least
MARGIN_FRACTION = 4  # ... or a quarter of the copy (the WAL may grow while it is copied)


def _mounts() -> list[tuple[str, str]]:
    """(mount point, fs type) of every mount, from /proc/self/mounts (Linux)."""
    try:
        text = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:  # octal escapes (\040 for a space) as the kernel writes them
            out.append((re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1]), parts[2]))
    return out


def fs_type(path: Path) -> str | None:
    """The type of the file system holding `path` (the longest matching mount point)."""
    real = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for point, kind in _mounts():
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), kind)
    return best[1] if best else None


def _available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _bases() -> list[tuple[Path, bool]]:
    """Candidate base directories, each with whether it must be tmpfs to be used."""
    chosen = os.environ.get(SCRATCH_ENV)
    if chosen is not None:
        return [] if chosen.strip().lower() in ("", DISABLED) else [(Path(chosen), False)]
    bases: list[tuple[Path, bool]] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        bases.append((Path(runtime), True))
    bases.append((Path("/dev/shm"), True))
    return bases


def _private_dir(base: Path, *, create: bool) -> Path | None:
    """``base/tui-backup-<uid>``: a 0700 directory we own, never a symlink someone planted
    (bases like /dev/shm are writable by everyone)."""
    path = base / f"tui-backup-{os.getuid()}"
    if create:
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=DIR_MODE)
    try:
        st = path.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        return None
    return path


def has_room(base: Path, need: int, *, tmpfs: bool) -> bool:
    """Room for `need` bytes plus the margin, on the file system and (tmpfs) in memory."""
    want = need + max(MIN_MARGIN, need // MARGIN_FRACTION)
    try:
        st = os.statvfs(base)
    except OSError:
        return False
    if st.f_bavail * st.f_frsize < want:
        return False
    if tmpfs:
        memory = _available_memory()
        if memory is not None and memory < want:
            return False
    return True


def scratch_dir(need: int | None, fallback: Path) -> Path:
    """The directory for a scratch copy of about `need` bytes (None: unknown -> `fallback`)."""
    if need is None:
        return fallback
    for base, must_be_tmpfs in _bases():
        if not base.is_dir():
            continue
        tmpfs = fs_type(base) == "tmpfs"
        if must_be_tmpfs and not tmpfs:
            continue
        if not has_room(base, need, tmpfs=tmpfs):
            continue
        try:
            private = _private_dir(base, create=True)
        except OSError:  # read-only, or not ours to write
            continue
        if private is not None and os.access(private, os.W_OK):
            return private
    return fallback


def remove_stale_scratch() -> list[Path]:
    """Remove scratch copies left by processes that are gone (e.g. a SIGKILLed snapshot)."""
    removed: list[Path] = []
    for base, _ in _bases():
        private = _private_dir(base, create=False)
        if private is not None:
            with contextlib.suppress(OSError):
                removed += remove_stale_temporaries(private)
    return removed
