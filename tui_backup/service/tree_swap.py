"""Swapping restored files into place by renames, and putting everything back.

A restore swaps *units*: a whole files source directory, one config file, or one path
chosen with `--path`. For each unit the live entry (if any) is renamed into a safety area
and the staged entry (if any) renamed into its place. Both are on the live entry's
filesystem, so every step is a rename: nothing is copied while the live tree is half
changed, and undoing is renaming back in reverse order — exact, down to inodes, modes and
times. Once the restore has succeeded, what each unit replaced is moved from the safety
area into the trash (service/safety_trash.py), so it waits out the recovery window there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tui_backup.fsutil import fsync_dir, make_private_dir

SAFETY_PREFIX = ".tui-backup-safety-"
# In each safety area: one JSON line per unit ({"rel", "live"}) written before its renames, so
# the next run can finish what a SIGKILLed restore left there (safety_trash.recover_safety_areas).
UNITS_RECORD = ".units.jsonl"
STAGING_PREFIX = ".tui-backup-staging-"
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Unit:
    """One thing to swap: `rel` (layout path, e.g. "files/library/a.jpg") restored at `live`.

    `root` is the live files source directory (or config file) it belongs to: the safety
    area and any second staging copy go next to it, on its filesystem."""

    rel: str
    live: Path
    root: Path


@dataclass
class _Done:
    unit: Unit
    staged: Path
    safety: Path
    moved_out: bool = False
    moved_in: bool = False
    created: list[Path] = field(default_factory=list)


def safety_area(root: Path, job_id: int) -> Path:
    return root.parent / f"{SAFETY_PREFIX}{job_id}"


def _device(path: Path) -> int:
    """The filesystem of `path`, or of its nearest existing ancestor."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p.stat().st_dev


def same_filesystem(a: Path, b: Path) -> bool:
    return _device(a) == _device(b)


def _makedirs(path: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700)
        created.append(d)


class TreeSwap:
    """Swap units in; `roll_back()` undoes every step taken so far, in reverse."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done: list[_Done] = []
        self.safety_areas: list[Path] = []

    def swap(self, unit: Unit, staged: Path) -> None:
        area = safety_area(unit.root, self.job_id)
        step = _Done(unit, staged, area / unit.rel)
        self.done.append(step)
        if os.path.lexists(unit.live):
            if area not in self.safety_areas:
                make_private_dir(area)
                self.safety_areas.append(area)
            _makedirs(step.safety.parent, step.created)
            record_unit(area, unit)
            os.rename(unit.live, step.safety)
            step.moved_out = True
        if os.path.lexists(staged):
            _makedirs(unit.live.parent, step.created)
            os.rename(staged, unit.live)
            step.moved_in = True
        fsync_dir(unit.live.parent)

    def replaced(self) -> list[tuple[Unit, Path]]:
        """(unit, where its old live entry is now) for every unit that replaced something."""
        return [(step.unit, step.safety) for step in self.done if step.moved_out]

    def roll_back(self) -> None:
        """Rename everything back; raises the first error after trying every step."""
        first: BaseException | None = None
        for step in reversed(self.done):
            try:
                if step.moved_in:
                    _makedirs(step.staged.parent, [])
                    os.rename(step.unit.live, step.staged)
                    step.moved_in = False
                if step.moved_out:
                    os.rename(step.safety, step.unit.live)
                    step.moved_out = False
                for d in reversed(step.created):
                    with contextlib.suppress(OSError):
                        d.rmdir()
            except OSError as exc:
                first = first or exc
        for area in self.safety_areas:
            if first is None:  # else the record lets the next run finish what is left
                drop_record(area)
            _remove_empty_dirs(area)
        if first is not None:
            raise first


def record_unit(area: Path, unit: Unit) -> None:
    """Note (durably) that `unit`'s live entry is about to move to `area / unit.rel`."""
    fd = os.open(area / UNITS_RECORD, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps({"rel": unit.rel, "live": str(unit.live)}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_record(area: Path) -> list[tuple[str, Path]]:
    """(rel, live path) of every unit a restore started to swap through `area`."""
    try:
        lines = (area / UNITS_RECORD).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out: list[tuple[str, Path]] = []
    for line in lines:
        with contextlib.suppress(ValueError, KeyError, TypeError):  # a torn last line: its rename never ran
            entry = json.loads(line)
            out.append((str(entry["rel"]), Path(entry["live"])))
    return out


def drop_record(area: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (area / UNITS_RECORD).unlink()


def remove_empty_dirs(top: Path) -> None:
    """Remove `top` and the directories under it that are (or become) empty."""
    _remove_empty_dirs(top)


def _remove_empty_dirs(top: Path) -> None:
    for dirpath, _dirs, _files in os.walk(top, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


# ---- comparing and hashing trees ----


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def walk_entries(top: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every file and symlink under `top` (or `top` itself)."""
    if not os.path.lexists(top):
        return
    if not top.is_dir() or top.is_symlink():
        yield "", top
        return
    for dirpath, dirs, files in os.walk(top):
        base = Path(dirpath)
        for name in sorted(files + [d for d in dirs if (base / d).is_symlink()]):
            p = base / name
            yield p.relative_to(top).as_posix(), p


def differs(a: Path, b: Path) -> bool:
    """Size, then type/target, then mtime: equal size and mtime means equal; else hashes."""
    sa, sb = a.lstat(), b.lstat()
    if stat.S_ISLNK(sa.st_mode) or stat.S_ISLNK(sb.st_mode):
        return not (stat.S_ISLNK(sa.st_mode) and stat.S_ISLNK(sb.st_mode)) or os.readlink(a) != os.readlink(b)
    if sa.st_size != sb.st_size:
        return True
    if sa.st_mtime_ns == sb.st_mtime_ns:
        return False
    return sha256_file(a) != sha256_file(b)


def copy_entry(src: Path, dst: Path) -> None:
    """A second staging copy on another filesystem (times and modes kept)."""
    dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True)
    else:
        shutil.copy2(src, dst, follow_symlinks=False)
