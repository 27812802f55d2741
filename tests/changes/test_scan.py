"""File change detection against the manifest: add, modify, delete, rename, permission-only
changes, files vanishing mid-scan (a real churning process), non-UTF-8 names, symlink loops,
an offline files source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tui_backup.service import ProfileService
from tui_backup.service.changes import (
    FileChanges,
    FileState,
    _hash,
    iter_changes,
    load_manifest,
    scan_files,
)


def _files(svc: ProfileService) -> Path:
    return svc.config.source.files[0]


def _paths(items: tuple[FileState, ...]) -> list[str]:
    return sorted(i.path for i in items)


def _nothing(c: FileChanges) -> bool:
    return not c.changed and not c.errors


def test_first_scan_then_unchanged(svc: ProfileService) -> None:
    files = _files(svc)
    (files / "sub").mkdir()
    (files / "sub" / "b.bin").write_bytes(b"\x00" * 5000)
    first = scan_files(svc)
    assert first.first_scan
    assert _paths(first.added) == sorted([str(files / "a.txt"), str(files / "sub" / "b.bin"), str(svc.config.source.config_files[0])])
    assert first.hashed == 3
    again = scan_files(svc)
    assert _nothing(again) and again.hashed == 0 and again.scanned == 3 and not again.first_scan


def test_added_modified_deleted(svc: ProfileService) -> None:
    files = _files(svc)
    (files / "gone.txt").write_text("bye")
    scan_files(svc)
    (files / "new.txt").write_text("new")
    (files / "a.txt").write_text("hello, changed\n")
    (files / "gone.txt").unlink()
    c = scan_files(svc)
    assert _paths(c.added) == [str(files / "new.txt")]
    assert [(m.path, m.reasons) for m in c.modified] == [(str(files / "a.txt"), ("content",))]
    assert c.modified[0].before.sha256 != c.modified[0].after.sha256
    assert _paths(c.deleted) == [str(files / "gone.txt")]
    assert not c.renamed
    assert {a for a, _, _ in iter_changes(c)} == {"file.added", "file.modified", "file.deleted"}
    manifest = load_manifest(svc.catalog)
    assert str(files / "gone.txt") not in manifest and str(files / "new.txt") in manifest
    assert _nothing(scan_files(svc))


def test_touch_without_new_content_is_not_a_change(svc: ProfileService) -> None:
    scan_files(svc)
    a = _files(svc) / "a.txt"
    os.utime(a, ns=(time.time_ns(), time.time_ns() + 10**9))
    c = scan_files(svc)
    assert _nothing(c) and c.hashed == 1
    assert _nothing(scan_files(svc))  # the new mtime was recorded


def test_renamed_by_move_and_by_copy(svc: ProfileService) -> None:
    files = _files(svc)
    (files / "doc.txt").write_text("a document\n")
    (files / "dup1.txt").write_text("same\n")
    scan_files(svc)
    (files / "moved").mkdir()
    os.rename(files / "doc.txt", files / "moved" / "doc.txt")
    shutil.copy(files / "dup1.txt", files / "dup2.txt")  # new inode, same content
    (files / "dup1.txt").unlink()
    c = scan_files(svc)
    pairs = sorted((r.old, r.new) for r in c.renamed)
    assert pairs == [
        (str(files / "doc.txt"), str(files / "moved" / "doc.txt")),
        (str(files / "dup1.txt"), str(files / "dup2.txt")),
    ]
    assert not c.added and not c.deleted and not c.modified
    assert _nothing(scan_files(svc))


def test_permission_only_change(svc: ProfileService) -> None:
    a = _files(svc) / "a.txt"
    scan_files(svc)
    a.chmod(0o600)
    c = scan_files(svc)
    assert [(m.path, m.reasons) for m in c.modified] == [(str(a), ("mode",))]
    assert c.hashed == 0  # metadata only: nothing was read
    assert c.modified[0].after.to_json()["mode"] == "0600"
    a.chmod(0o640)
    a.write_text("different\n")
    assert scan_files(svc).modified[0].reasons == ("content", "mode")


def test_non_utf8_names(svc: ProfileService) -> None:
    files = os.fsencode(_files(svc))
    raw = files + b"/caf\xe9-\xff.txt"
    with open(raw, "wb") as f:
        f.write(b"latin-1 name")
    c = scan_files(svc)
    name = os.fsdecode(raw)
    assert name in _paths(c.added)
    # stored losslessly (as a BLOB) and found again
    row = svc.catalog.conn.execute("SELECT path FROM file_manifest WHERE typeof(path) = 'blob'").fetchone()
    assert bytes(row[0]) == raw
    assert _nothing(scan_files(svc))
    os.rename(raw, files + b"/renamed-\xfe")
    c = scan_files(svc)
    assert [(r.old, r.new) for r in c.renamed] == [(name, os.fsdecode(files + b"/renamed-\xfe"))]
    assert "\\xfe" in c.renamed[0].to_json()["to"]  # printable in JSON
    os.unlink(files + b"/renamed-\xfe")
    assert _paths(scan_files(svc).deleted) == [os.fsdecode(files + b"/renamed-\xfe")]


def test_symlink_loops_are_not_followed(svc: ProfileService) -> None:
    files = _files(svc)
    (files / "d").mkdir()
    os.symlink("..", files / "d" / "up")  # a directory loop
    os.symlink("self", files / "self")  # a link to itself
    os.symlink("/etc", files / "outside")
    c = scan_files(svc)
    added = _paths(c.added)
    assert str(files / "d" / "up") in added and str(files / "self") in added
    assert not any("/etc/" in p or "up/" in p for p in added)  # never descended
    os.unlink(files / "outside")
    os.symlink("/usr", files / "outside")  # a retargeted link is a modified one
    c = scan_files(svc)
    assert [m.path for m in c.modified] == [str(files / "outside")]


def test_offline_source_is_not_everything_deleted(svc: ProfileService, tmp_path: Path) -> None:
    files = _files(svc)
    scan_files(svc)
    os.rename(files, tmp_path / "elsewhere")  # the drive is unplugged
    try:
        c = scan_files(svc)
        assert not c.deleted and c.skipped_roots == (str(files),)
    finally:
        os.rename(tmp_path / "elsewhere", files)
    assert _nothing(scan_files(svc))


def test_vanished_file_between_stat_and_hash(svc: ProfileService) -> None:
    p = _files(svc) / "brief.txt"
    p.write_text("x")
    st = os.lstat(p)
    p.unlink()
    assert _hash(str(p), st) is None


CHURN = """
import os, sys, time
d = sys.argv[1]
print("ready", flush=True)
i = 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    p = os.path.join(d, f"t{i % 50}")
    try:
        if os.path.exists(p):
            os.unlink(p)
        else:
            with open(p, "wb") as f:
                f.write(os.urandom(100))
        if i % 7 == 0:
            os.makedirs(os.path.join(d, f"dir{i % 5}", "x"), exist_ok=True)
        if i % 11 == 0:
            import shutil
            shutil.rmtree(os.path.join(d, f"dir{(i + 2) % 5}"), ignore_errors=True)
    except OSError:
        pass
    i += 1
"""


def test_files_vanishing_mid_scan(svc: ProfileService) -> None:
    """A real process creates and deletes files while scans run: no scan fails, and once it
    stops, the manifest matches the disk exactly."""
    churn_dir = _files(svc) / "churn"
    churn_dir.mkdir()
    for i in range(300):
        (churn_dir / f"stable{i}").write_bytes(os.urandom(2000))
    proc = subprocess.Popen([sys.executable, "-c", CHURN, str(churn_dir), "2.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        scans = 0
        while proc.poll() is None:
            c = scan_files(svc)
            assert not c.errors, c.errors
            scans += 1
        assert scans >= 2
    finally:
        proc.kill()
        proc.wait()
    scan_files(svc)
    on_disk = {os.path.join(d, f) for d, _, fs in os.walk(_files(svc)) for f in fs}
    manifest = {p for p in load_manifest(svc.catalog) if p.startswith(str(_files(svc)))}
    assert manifest == on_disk
    assert _nothing(scan_files(svc))
