"""Listing a directory tree with GNU find: every regular file and symlink under a root with
its lstat "signature" (type, permission bits, size, inode, mtime_ns as one string), the walk
of a change scan (service/changes.py).

Why: walking 100,000 files in Python costs ~3x `find` itself (a DirEntry.stat and a
stat_result per entry). GNU find does the walk and the lstat calls in C, in its own process
(on a second core while the scan reads its manifest), and prints per entry its path and a
signature in the exact text SQLite builds from a manifest row (`SQL_SIGNATURE`): an
unchanged file is then one string compare, with no number parsed on either side.

The answer is all or nothing: None whenever it might differ from what the os.scandir walk
would find, and the caller walks in Python instead. That is: find missing or not GNU find, a
relative root (it could be read as an option), anything on find's stderr or a non-zero exit
(a file vanishing mid-walk, an unreadable directory, a file-system loop — the Python walk
reports those its own way), a directory seen twice (a bind mount: the Python walk keeps the
first it meets, in its own order), or output not in the expected shape.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess

# path -> signature of every file and symlink: what the file manifest compares
Signatures = dict[str, str]

# "f644/SIZE/INODE/SECONDS.NNNNNNNNN0": %T@ of GNU find 4.x is the nanoseconds and a 0, its
# seconds floored (before 1970, -1.5 s is "-2.5000000000"). A directory prints "d/DEV/INODE"
# (to spot one seen twice). -P: symlinks never followed; -mindepth 1: the root itself was
# lstat'ed by the caller; other types (fifos, sockets, devices) print nothing.
_EXPRESSION = [
    "(", "-type", "d", "-printf", r"%P\0d/%D/%i\0", ")", "-o",
    "(", "-type", "f", "-o", "-type", "l", ")", "-printf", r"%P\0%y%m/%s/%i/%T@\0",
]  # fmt: skip
_LETTER = {stat.S_IFREG: "f", stat.S_IFLNK: "l"}
_KIND = {"f": stat.S_IFREG, "l": stat.S_IFLNK}

# The same text from a file_manifest row (SQLite's % truncates: floor the seconds by hand).
SQL_SIGNATURE = (
    "(CASE mode & 61440 WHEN 32768 THEN 'f' WHEN 40960 THEN 'l' ELSE '?' END)"
    " || printf('%o/%d/%d/%d.%09d0', mode & 4095, size, inode,"
    " (mtime_ns - (mtime_ns % 1000000000 + 1000000000) % 1000000000) / 1000000000,"
    " (mtime_ns % 1000000000 + 1000000000) % 1000000000)"
)


def signature(size: int, mtime_ns: int, inode: int, mode: int) -> str:
    """What find prints for a file or symlink with this lstat."""
    sec, ns = divmod(mtime_ns, 1_000_000_000)
    return f"{_LETTER.get(stat.S_IFMT(mode), '?')}{stat.S_IMODE(mode):o}/{size}/{inode}/{sec}.{ns:09d}0"


def parse_signature(sig: str) -> tuple[int, int, int, int]:
    """(size, mtime_ns, inode, mode) of a signature (only files that changed get here)."""
    kind_mode, size, inode, mtime = sig.split("/")
    sec, ns = mtime.split(".")
    if len(ns) != 10:
        raise ValueError(f"unexpected %T@ format: {mtime!r}")
    return int(size), int(sec) * 1_000_000_000 + int(ns[:9]), int(inode), _KIND[kind_mode[0]] | int(kind_mode[1:], 8)


@functools.lru_cache(maxsize=4)
def gnu_find(search_path: str | None) -> str | None:
    """The path of GNU find on `search_path` (PATH), or None if find is missing or another find."""
    exe = shutil.which("find", path=search_path)
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, timeout=10, check=False, env=_env())
    except (OSError, subprocess.SubprocessError):
        return None
    first = out.stdout.split(b"\n", 1)[0]
    return exe if out.returncode == 0 and b"GNU findutils" in first else None


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "POSIXLY_CORRECT"}  # changes find's parsing
    env["LC_ALL"] = "C"  # plain '.' in %T@
    return env


def _parse(fields: list[str], prefix: str, found: Signatures, dirs: list[str]) -> None:
    """Add whole records of `fields` (path, signature) to `found`, and directories to `dirs`."""
    paths = fields[0::2]
    sigs = fields[1::2]
    if not all(s[-11:-10] == "." or s[0] == "d" for s in sigs[::16]):  # a property of find, not of a file
        raise ValueError("unexpected %T@ format")
    found.update(zip(map(prefix.__add__, paths), sigs, strict=True))
    for i in [i for i, s in enumerate(sigs) if s[0] == "d"]:
        dirs.append(sigs[i])
        del found[prefix + paths[i]]


def listing(root: str, root_st: os.stat_result) -> bytes | None:
    """GNU find's raw output for the directory `root` (lstat'ed as `root_st`); None: walk it
    in Python instead. Its bytes are also what the scan digests to spot an unchanged tree."""
    exe = gnu_find(os.environ.get("PATH"))
    if exe is None or not os.path.isabs(root) or not stat.S_ISDIR(root_st.st_mode):
        return None
    assert root.startswith("/")  # never an option or an expression to find
    try:
        # All read, then parsed: parsing while find runs measured no faster (the GIL is
        # then shared with the manifest's thread, which is busy at the same time).
        proc = subprocess.run(
            [exe, "-P", root, "-mindepth", "1", *_EXPRESSION],
            capture_output=True, check=False, env=_env(), stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:
        return None
    out = proc.stdout
    if proc.returncode != 0 or proc.stderr or (out and not out.endswith(b"\0")):
        return None
    return out


def walk(root: str, root_st: os.stat_result) -> Signatures | None:
    """Every regular file and symlink under the directory `root` (lstat'ed as `root_st`),
    keyed by `root` + os.sep + its relative path; None: walk it in Python instead."""
    out = listing(root, root_st)
    return None if out is None else parse(root, root_st, out)


def parse(root: str, root_st: os.stat_result, out: bytes) -> Signatures | None:
    """`walk`'s answer from find's output `out` (see `listing`); None if it is not the
    shape asked for."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    found: Signatures = {}
    dirs = [f"d/{root_st.st_dev}/{root_st.st_ino}"]
    carry: list[str] = []
    start, step = 0, 1 << 20  # bytes parsed at a time: bounds the memory of the split fields
    try:
        while start < len(out):
            end = out.rfind(b"\0", start, start + step) + 1 if start + step < len(out) else len(out)
            if end <= start:  # one field longer than a block: take it whole
                end = out.index(b"\0", start + step) + 1
            # Names are raw bytes, decoded as os does (surrogateescape); "\0" never sits
            # inside a multi-byte sequence, so decoding a block equals decoding each name.
            fields = carry + os.fsdecode(out[start:end]).split("\0")
            fields.pop()  # after the block's last separator: nothing
            whole = len(fields) - len(fields) % 2
            _parse(fields[:whole], prefix, found, dirs)
            carry = fields[whole:]
            start = end
    except (ValueError, IndexError):  # not the shape asked for: trust the Python walk
        return None
    if carry or len(set(dirs)) != len(dirs):
        return None
    return found
