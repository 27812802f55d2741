"""The walk by GNU find (service/find_walk.py) against the os.scandir walk it replaces: the
same files and the same lstat on a tricky tree, the same FileChanges scan after scan, and
the fallback to the os.scandir walk when find is missing, not GNU find, or fails."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tui_backup.catalog import Catalog
from tui_backup.service import find_walk
from tui_backup.service.changes import FileChanges, _Walk, _walk, load_manifest, scan_paths


def _tricky_tree(root: Path) -> None:
    """Everything a walk can trip on."""
    (root / "d" / "deep" / "er").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.txt").write_text("hello\n")
    (root / "d" / "deep" / "er" / "b.bin").write_bytes(b"\x00" * 5000)
    os.symlink("..", root / "d" / "up")  # a directory loop
    os.symlink("self", root / "self")  # a link to itself
    os.symlink("/etc", root / "outside")  # a directory outside: never descended
    os.symlink("missing", root / "dangling")
    raw = os.fsencode(root) + b"/caf\xe9-\xff.txt"  # not UTF-8
    with open(raw, "wb") as f:
        f.write(b"latin-1 name")
    (root / "new\nline\\ and spaces.txt").write_text("odd name")
    (root / "ünïcode-名前.txt").write_text("utf-8 name")
    (root / "-starts-with-dash").write_text("an option?")
    special = root / "modes"
    special.write_text("suid, sgid, sticky")
    special.chmod(0o7755)
    (root / "none").write_text("no permissions")
    (root / "none").chmod(0)
    os.mkfifo(root / "fifo")  # not data: never listed
    os.link(root / "a.txt", root / "d" / "hardlink.txt")
    (root / "old.txt").write_text("before 1970")
    os.utime(root / "old.txt", ns=(0, -315_619_199_500_000_001))  # negative, odd nanoseconds
    (root / "epoch.txt").write_text("at 0")
    os.utime(root / "epoch.txt", ns=(0, 0))
    (root / "ns.txt").write_text("nanoseconds")
    os.utime(root / "ns.txt", ns=(0, 1_795_322_917_000_000_001))
    (root / ("long-" + "x" * 240)).write_text("a long name")


def _walked(root: Path, *, use_find: bool, as_text: bool = True) -> _Walk:
    walk = _Walk(as_text)
    _walk(str(root), walk, use_find=use_find)
    return walk


def test_find_and_scandir_walks_agree(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _tricky_tree(root)
    assert find_walk.walk(str(root), os.lstat(root)) is not None  # find really walked
    by_find = _walked(root, use_find=True)
    by_scandir = _walked(root, use_find=False)
    assert by_find.keys == by_scandir.keys and not by_find.errors and not by_find.unlisted
    assert len(by_find.keys) == 17  # 13 files, 4 symlinks; no fifo, no directory
    # the text find prints is the lstat the Python walk reads
    as_tuples = _walked(root, use_find=False, as_text=False).keys
    assert {p: find_walk.signature(*k) for p, k in as_tuples.items() if isinstance(k, tuple)} == by_find.keys
    assert {p: find_walk.parse_signature(s) for p, s in by_find.keys.items() if isinstance(s, str)} == as_tuples


def test_sql_builds_the_same_signature(tmp_path: Path) -> None:
    """The manifest side of the compare: SQLite's text equals Python's (and so find's)."""
    cases = [
        (0, 0, 1, stat.S_IFREG | 0o644),
        (5000, 1_795_322_917_477_405_462, 2198182, stat.S_IFREG | 0o4755),
        (1, -315_619_199_500_000_000, 7, stat.S_IFLNK | 0o777),
        (12, -1, 8, stat.S_IFREG | 0),
        (2**40, 999_999_999, 2**40, stat.S_IFREG | 0o7777),
        (3, -1_000_000_000, 9, stat.S_IFREG | 0o600),
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE file_manifest (size INTEGER, mtime_ns INTEGER, inode INTEGER, mode INTEGER)")
    conn.executemany("INSERT INTO file_manifest VALUES (?, ?, ?, ?)", cases)
    got = [r[0] for r in conn.execute(f"SELECT {find_walk.SQL_SIGNATURE} FROM file_manifest ORDER BY rowid")]
    assert got == [find_walk.signature(*c) for c in cases]
    assert [find_walk.parse_signature(s) for s in got] == [(c[0], c[1], c[2], c[3]) for c in cases]


@contextmanager
def _path_env(monkeypatch: pytest.MonkeyPatch, path: str | None) -> Iterator[None]:
    with monkeypatch.context() as m:
        if path is not None:
            m.setenv("PATH", path)
        yield


def _same(a: FileChanges, b: FileChanges) -> None:
    assert a.to_json() == b.to_json()
    assert a == b  # FileStates too: inode, mode, sha256


def test_scans_agree_step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two manifests of one tree, one scanned with find, one as when find is missing: every
    scan reports exactly the same changes, and the manifests stay equal."""
    root = tmp_path / "tree"
    root.mkdir()
    _tricky_tree(root)
    single = tmp_path / "app.conf"  # a single-file root, as config files are
    single.write_text("key = value\n")
    no_find = tmp_path / "empty-path"
    no_find.mkdir()
    with_find = Catalog(tmp_path / "state-a" / "catalog.db")
    without = Catalog(tmp_path / "state-b" / "catalog.db")

    def both(roots: list[Path], skipped: tuple[str, ...] = ()) -> FileChanges:
        a = scan_paths(with_find, roots, skipped_roots=skipped)
        with _path_env(monkeypatch, str(no_find)):
            assert find_walk.gnu_find(os.environ.get("PATH")) is None
            b = scan_paths(without, roots, skipped_roots=skipped)
        _same(a, b)
        assert load_manifest(with_find) == load_manifest(without)
        return a

    first = both([root, single])
    assert first.first_scan and len(first.added) == 18 and not first.errors
    assert not both([root, single]).changed
    # every kind of change at once
    os.rename(root / "a.txt", root / "d" / "moved.txt")  # renamed (hard link elsewhere stays)
    (root / "d" / "deep" / "er" / "b.bin").write_bytes(b"\x01" * 5000)  # same size, new content
    (root / "modes").chmod(0o755)  # permission only
    os.unlink(root / "outside")
    os.symlink("/usr", root / "outside")  # retargeted link
    os.unlink(root / "epoch.txt")
    (root / "copy-of-ns.txt").write_text("nanoseconds")  # same content as ns.txt: not a rename
    with open(os.fsencode(root) + b"/new-\xfe", "wb") as f:
        f.write(b"another raw name")
    single.write_text("key = other\n")
    c = both([root, single])
    assert c.renamed and c.modified and c.deleted and c.added
    assert not both([root, single]).changed
    # a root left out, and a skipped root: their rows are kept by both
    os.unlink(root / "ns.txt")
    kept = both([single], (str(root),))
    assert not kept.deleted
    assert both([root, single]).deleted  # ns.txt, now that the root is back


def _fake_find(directory: Path, script: str) -> str:
    directory.mkdir()
    exe = directory / "find"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)
    return str(directory)


def test_fallback_when_find_is_not_gnu_or_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _tricky_tree(root)
    expected = _walked(root, use_find=False)
    busybox = _fake_find(tmp_path / "busybox", 'echo "find (BusyBox) 1.36"; exit 0\n')
    failing = _fake_find(
        tmp_path / "failing",
        'case "$1" in --version) echo "find (GNU findutils) 4.9.0";; '
        "*) echo \"find: 'x': Permission denied\" >&2; exit 1;; esac\n",
    )
    noisy = _fake_find(  # exit 0 but a warning: the walk may have missed something
        tmp_path / "noisy",
        'case "$1" in --version) echo "find (GNU findutils) 4.9.0";; *) echo "find: warning" >&2;; esac\n',
    )
    garbage = _fake_find(
        tmp_path / "garbage",
        'case "$1" in --version) echo "find (GNU findutils) 4.9.0";; *) printf "x\\0f644/1/2/3.5\\0";; esac\n',
    )
    assert find_walk.gnu_find(busybox) is None
    assert find_walk.gnu_find(str(tmp_path / "nowhere")) is None
    for path in (busybox, failing, noisy, garbage, str(tmp_path / "nowhere")):
        with _path_env(monkeypatch, path):
            assert find_walk.walk(str(root), os.lstat(root)) is None
            assert _walked(root, use_find=True).keys == expected.keys, path
    with _path_env(monkeypatch, failing):  # a whole scan, through the fallback
        c = scan_paths(Catalog(tmp_path / "state" / "catalog.db"), [root])
        assert c.first_scan and len(c.added) == len(expected.keys) and not c.errors


def test_relative_or_non_directory_root_is_not_given_to_find(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "f").write_text("x")
    assert find_walk.walk("tree", os.lstat(root)) is None  # relative: could read as an option
    assert find_walk.walk(str(root / "f"), os.lstat(root / "f")) is None
    assert find_walk.walk(str(root), os.lstat(root)) == {str(root / "f"): find_walk.signature(
        *(lambda s: (s.st_size, s.st_mtime_ns, s.st_ino, s.st_mode))(os.lstat(root / "f"))
    )}  # fmt: skip
