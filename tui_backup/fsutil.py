"""Filesystem helpers that keep the storage rules of DESIGN.md.

Artifacts are written to a temporary name in their final directory, fsynced and renamed
into place, so a crash never leaves a half-written file under a real name. Everything the
tool creates is private: files 0600, directories 0700.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_PREFIX = ".tui-backup-tmp-"


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700 directories."""
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=DIR_MODE)
        os.chmod(d, DIR_MODE)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(final: Path) -> Path:
    """A temporary name in the same directory as `final` (so the rename is atomic)."""
    import secrets  # here: it pulls in random, hmac and base64 at start-up otherwise

    return final.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{final.name}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX)


def pid_of_temp(name: str) -> int | None:
    """The pid that created a temporary file, read from its name."""
    rest = name[len(TEMP_PREFIX) :]
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove temporaries left by processes that are gone; return what was removed."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for entry in directory.iterdir():
        if not is_temp_name(entry.name):
            continue
        pid = pid_of_temp(entry.name)
        if pid is not None and pid != os.getpid() and pid_alive(pid):
            continue
        if pid == os.getpid():
            continue
        with contextlib.suppress(FileNotFoundError):
            if entry.is_dir() and not entry.is_symlink():
                import shutil

                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def open_private(path: Path, mode: str = "wb") -> int:
    """Open a new file 0600 for writing, refusing to follow a symlink at its name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags, FILE_MODE)


@contextlib.contextmanager
def atomic_writer(final: Path) -> Iterator[tuple[Path, int]]:
    """Yield (temp path, fd); on clean exit fsync and rename over `final`.

    On an exception the temporary is removed and `final` is untouched.
    """
    tmp = temp_path_for(final)
    fd = open_private(tmp)
    try:
        yield tmp, fd
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(final: Path, data: bytes) -> None:
    with atomic_writer(final) as (_tmp, fd):
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]


def atomic_write_text(final: Path, text: str) -> None:
    atomic_write_bytes(final, text.encode("utf-8"))


def commit_temp(tmp: Path, final: Path) -> None:
    """fsync an already-written temporary and rename it into place."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    fsync_dir(final.parent)
