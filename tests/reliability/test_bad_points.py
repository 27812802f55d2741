"""Bad input: hostile archives, restore point directories and lying metadata.json.

A real backup of the `svc` profile is written to a real local destination (a directory
point and a `.tar.zst` archive point); each case copies that point under a newer name and
plants one hostile thing in it. The restore (in place and with --to) must be refused before
anything is written: the live files, config file and database, the --to directory and a
directory outside the target are byte-for-byte as before. `check_destination` (what
`backup verify` runs) must report every lying metadata.json.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

from tests.helpers import add_destination, open_service
from tests.reliability.conftest import CaseRecorder
from tui_backup.errors import TuiBackupError
from tui_backup.service import ProfileService

AREA = "Bad input"
REFUSED = "the restore is refused before anything is written: the live tree, the database, the --to directory and everything outside the target are unchanged byte for byte"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _state(*roots: Path) -> dict[str, str]:
    """Every entry under the roots (or the root itself): content hash, link target or "dir", with its mode."""
    out: dict[str, str] = {}
    for root in roots:
        if not os.path.lexists(root):
            out[str(root)] = "absent"
            continue
        entries = [root, *sorted(root.rglob("*"))] if root.is_dir() and not root.is_symlink() else [root]
        for p in entries:
            st = p.lstat()
            what = "link:" + os.readlink(p) if p.is_symlink() else "dir" if p.is_dir() else _sha(p.read_bytes())
            out[str(p)] = f"{what} {st.st_mode:o}"
    return out


class World:
    """The profile, its destination with one real point, and everything a restore must not touch."""

    def __init__(self, svc: ProfileService, config: Path, app_dir: Path, tmp: Path, dest: str, dest_dir: Path) -> None:
        self.svc = svc
        self.config = config
        self.app_dir = app_dir
        self.tmp = tmp
        self.dest = dest
        self.root = dest_dir / "app"
        self.outside = tmp / "outside"
        self.outside.mkdir()
        (self.outside / "secret").write_bytes(b"outside the target\n")
        self.to = tmp / "to"
        self.serial = 0

    def real_point(self) -> Path:
        return next(p for p in self.root.iterdir() if not p.name.startswith("."))

    def new_name(self, suffix: str) -> str:
        self.serial += 1
        return f"2099010{self.serial % 10}T{self.serial:06d}Z-full{suffix}"

    def snapshot(self) -> dict[str, str]:
        return {**_state(self.app_dir, self.outside, self.to), "tmp": " ".join(sorted(os.listdir(self.tmp)))}

    def assert_refused(self, point: str, *, why: str | None = None, case: str = "") -> None:
        """Both kinds of restore fail with a clear error and change nothing."""
        before = self.snapshot()
        for to in (None, self.to):
            with pytest.raises(TuiBackupError) as err:
                self.svc.restore_backup(self.dest, point, to=to)
            assert "\n" not in err.value.message and err.value.message, err.value
            if why is not None:
                assert why in err.value.message, err.value.message
            assert self.snapshot() == before, f"{case}: restore of {point} (to={to}) changed something"


def _world(request: pytest.FixtureRequest, archive: bool) -> Iterator[World]:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    config: Path = request.getfixturevalue("profile_config")
    dest_dir = tmp_path / "dest"
    dest_dir.mkdir()
    add_destination(config, "usb", path=dest_dir, archive=archive)
    with open_service(config) as svc:
        finished = svc.run_backup("usb", wait=True)
        assert finished.ok, finished
        yield World(svc, config, request.getfixturevalue("app_dir"), tmp_path, "usb", dest_dir)


@pytest.fixture(params=[False, True], ids=["directory", "archive"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    yield from _world(request, request.param)


@pytest.fixture
def archive_world(request: pytest.FixtureRequest) -> Iterator[World]:
    yield from _world(request, True)


@pytest.fixture
def directory_world(request: pytest.FixtureRequest) -> Iterator[World]:
    yield from _world(request, False)


# ---- archives ----


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    out: list[tuple[tarfile.TarInfo, bytes | None]] = []
    with open(archive, "rb") as raw, tarfile.open(fileobj=zstandard.ZstdDecompressor().stream_reader(raw), mode="r|") as tar:
        for m in tar:
            f = tar.extractfile(m) if m.isfile() else None
            out.append((m, f.read() if f is not None else None))
    return out


def _write_archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with open(path, "wb") as raw:
        zw = zstandard.ZstdCompressor().stream_writer(raw, closefd=False)
        with zw, tarfile.open(fileobj=zw, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for m, data in members:
                tar.addfile(m, io.BytesIO(data) if data is not None else None)


def _info(name: str, type_: bytes = tarfile.REGTYPE, *, data: bytes = b"", link: str = "") -> tuple[tarfile.TarInfo, bytes | None]:
    m = tarfile.TarInfo(name)
    m.type = type_
    m.mode = 0o644 if type_ != tarfile.DIRTYPE else 0o755
    m.linkname = link
    if type_ == tarfile.REGTYPE:
        m.size = len(data)
        return m, data
    return m, None


def _archive_cases(outside: Path) -> dict[str, list[tuple[tarfile.TarInfo, bytes | None]]]:
    """Hostile members appended to a real archive (its metadata.json stays first)."""
    evil = b"evil\n"
    return {
        "absolute path": [_info(str(outside / "evil"), data=evil)],
        "absolute path under the layout": [_info("/files/files/evil", data=evil)],
        "'..' component": [_info("files/files/../../../outside/evil", data=evil)],
        "'..' at the start": [_info("../outside/evil", data=evil)],
        "symlink to an absolute path": [_info("files/files/evil", tarfile.SYMTYPE, link=str(outside))],
        "symlink up out of the tree": [_info("files/files/up", tarfile.SYMTYPE, link="../../../..")],
        "symlink then a file through it": [
            _info("files/files/d", tarfile.SYMTYPE, link=str(outside)),
            _info("files/files/d/evil", data=evil),
        ],
        "chain of links that each look inside": [
            _info("files/files/a", tarfile.SYMTYPE, link=".."),
            _info("files/files/a/b", tarfile.SYMTYPE, link=".."),
            _info("files/files/a/b/c", tarfile.SYMTYPE, link=".."),
            _info("files/files/a/b/c/evil", data=evil),
        ],
        "file below a link to a directory inside": [
            _info("files/files/in", tarfile.SYMTYPE, link="."),
            _info("files/files/in/evil", data=evil),
        ],
        "hard link to an absolute path": [_info("files/files/h", tarfile.LNKTYPE, link=str(outside / "secret"))],
        "hard link to a '..' path": [_info("files/files/h", tarfile.LNKTYPE, link="../../outside/secret")],
        "fifo": [_info("files/files/fifo", tarfile.FIFOTYPE)],
        "character device": [_info("files/files/null", tarfile.CHRTYPE)],
    }


def test_hostile_archive_members_are_refused(archive_world: World, cases: CaseRecorder) -> None:
    world = archive_world
    row = cases(AREA, "archive point: absolute paths, '..', links and special files", REFUSED)
    real = _members(world.real_point())
    assert real[0][0].name == "metadata.json"
    for name, hostile in _archive_cases(world.outside).items():
        point = world.new_name(".tar.zst")
        _write_archive(world.root / point, [*real, *hostile])
        world.assert_refused(point, case=name)
        (world.root / point).unlink()
        row.tried += 1


# ---- restore point directories ----


def _copy_point(world: World) -> tuple[str, Path, dict[str, Any]]:
    """A copy of the real point under a new name (directory form, also for the archive destination)."""
    real = world.real_point()
    if real.is_dir():
        name = world.new_name("")
        dst = world.root / name
        shutil.copytree(real, dst, symlinks=True)
    else:
        name = world.new_name(".tar.zst")
        dst = world.tmp / "unpacked" / name
        for m, data in _members(real):
            p = dst / m.name
            if m.isdir():
                p.mkdir(parents=True, exist_ok=True)
            elif data is not None:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
    return name, dst, json.loads((dst / "metadata.json").read_text())


def _finish(world: World, name: str, tree: Path, meta: dict[str, Any] | None = None) -> None:
    """Write metadata.json back; for the archive destination pack the tree (metadata first)."""
    if meta is not None:
        (tree / "metadata.json").write_text(json.dumps(meta))
    if tree.parent == world.root:
        return
    members: list[tuple[tarfile.TarInfo, bytes | None]] = []
    for p in [tree / "metadata.json", *sorted(q for q in tree.rglob("*") if q.name != "metadata.json" or q.parent != tree)]:
        rel = p.relative_to(tree).as_posix()
        if p.is_symlink():
            members.append(_info(rel, tarfile.SYMTYPE, link=os.readlink(p)))
        elif p.is_dir():
            members.append(_info(rel, tarfile.DIRTYPE))
        else:
            members.append(_info(rel, data=p.read_bytes()))
    _write_archive(world.root / name, members)
    shutil.rmtree(tree)


def _remove(world: World, name: str) -> None:
    p = world.root / name
    shutil.rmtree(p) if p.is_dir() else p.unlink()


def _artifact(meta: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(a for a in meta["artifacts"] if a["path"].endswith(suffix))


Tamper = Callable[[World, Path, dict[str, Any]], str | None]  # edits the tree/meta; returns the expected reason


def _wrong_size(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    _artifact(meta, "a.txt")["size"] += 1
    return "files/files/a.txt"


def _wrong_sha(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    _artifact(meta, "a.txt")["sha256"] = "0" * 64
    return "files/files/a.txt"


def _wrong_db_sha(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    _artifact(meta, ".zst")["sha256"] = "f" * 64
    return "database/"


def _changed_content(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    (tree / "files/files/a.txt").write_text("HELLO\n")  # same size, other bytes
    return "files/files/a.txt"


def _missing(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    (tree / "files/files/a.txt").unlink()
    return "files/files/a.txt"


def _missing_config(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    (tree / "config/app.conf").unlink()
    return "config/app.conf"


def _extra_file(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    (tree / "files/files/extra.txt").write_text("not listed\n")
    return "files/files/extra.txt"


def _extra_link_outside(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    os.symlink(str(w.outside), tree / "files/files/evil")
    return "files/files/evil"


def _listed_link_changed(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    os.symlink(str(w.outside / "secret"), tree / "files/files/link")
    meta.setdefault("links", []).append({"path": "files/files/link", "target": "a.txt"})
    return "files/files/link"


def _absolute_artifact(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    data = (w.outside / "secret").read_bytes()
    meta["artifacts"].append({"path": str(w.outside / "secret"), "size": len(data), "sha256": _sha(data)})
    return "unsafe path"


def _dotdot_artifact(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    data = (w.outside / "secret").read_bytes()
    for up in range(1, 6):  # whichever depth the staging directory is at, one of them resolves
        meta["artifacts"].append({"path": "files/" + "../" * up + "outside/secret", "size": len(data), "sha256": _sha(data)})
    return "unsafe path"


def _source_elsewhere(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    victim = w.outside / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine\n")
    meta["sources"]["files/files"] = str(victim)
    return None  # refused, or restored to the profile's own files directory only (checked below)


def _not_an_object(w: World, tree: Path, meta: dict[str, Any]) -> str | None:
    (tree / "metadata.json").write_text("[1, 2")
    return "metadata.json"


TAMPERS: dict[str, tuple[Tamper, bool]] = {  # name -> (tamper, check_destination must report it)
    "metadata.json: wrong size": (_wrong_size, True),
    "metadata.json: wrong SHA-256": (_wrong_sha, True),
    "metadata.json: wrong SHA-256 of the database": (_wrong_db_sha, True),
    "artifact changed (same size)": (_changed_content, True),
    "listed artifact missing": (_missing, True),
    "listed config file missing": (_missing_config, True),
    "unlisted extra file": (_extra_file, True),
    "unlisted symlink to outside the target": (_extra_link_outside, True),
    "symlink target differs from metadata.json": (_listed_link_changed, True),
    "artifact with an absolute path": (_absolute_artifact, True),
    "artifact with '..' components": (_dotdot_artifact, True),
    "metadata.json maps a source outside the profile": (_source_elsewhere, False),
    "metadata.json unreadable": (_not_an_object, True),
}


@pytest.mark.parametrize("tamper", list(TAMPERS), ids=list(TAMPERS))
def test_lying_point_is_reported_and_refused(world: World, tamper: str, cases: CaseRecorder) -> None:
    kind = "archive" if world.real_point().is_file() else "directory"
    row = cases(AREA, f"{kind} point: metadata.json lies or the point holds what it does not list",
                "`backup verify` reports it and " + REFUSED)
    fn, verify_reports = TAMPERS[tamper]
    name, tree, meta = _copy_point(world)
    why = fn(world, tree, meta)
    _finish(world, name, tree, None if tamper == "metadata.json unreadable" else meta)
    if tamper == "metadata.json maps a source outside the profile":
        victim = _state(world.outside)
        with pytest.raises(TuiBackupError, match="not a source of profile"):
            world.svc.restore_backup(world.dest, name)
        assert _state(world.outside) == victim, "an in-place restore wrote outside the profile's sources"
        row.tried += 1
        return
    world.assert_refused(name, why=why)
    if verify_reports:
        finished = world.svc.check_destination(world.dest)
        assert not finished.ok, f"verify did not report: {tamper}"
        assert name in (finished.error_message or ""), finished.error_message
    _remove(world, name)
    row.tried += 1


def test_hard_link_to_outside_is_never_written_through(directory_world: World, cases: CaseRecorder) -> None:
    """A directory point whose file is a hard link to a file outside (same content, so the
    checksums agree): the restore copies it; the outside file is never written or linked."""
    world = directory_world
    row = cases(AREA, "directory point: a file hard-linked to a file outside the target",
                "the outside file is never written or linked into the live tree")
    name, tree, meta = _copy_point(world)
    target = world.outside / "linked.txt"
    target.write_bytes((tree / "files/files/a.txt").read_bytes())
    (tree / "files/files/a.txt").unlink()
    os.link(target, tree / "files/files/a.txt")
    before = _state(world.outside)
    world.svc.restore_backup(world.dest, name)
    (world.app_dir / "files" / "a.txt").write_text("changed after the restore\n")
    assert _state(world.outside) == before
    assert os.stat(world.app_dir / "files" / "a.txt").st_ino != os.stat(target).st_ino
    row.tried += 1


# ---- snapshots (layer 3) ----


def _db_digest(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return _sha("\n".join(conn.iterdump()).encode())
    finally:
        conn.close()


SnapTamper = Callable[[Path, dict[str, Any]], None]


def _snap_lies() -> dict[str, SnapTamper]:
    def field(name: str, value: Callable[[Any], Any]) -> SnapTamper:
        def tamper(d: Path, meta: dict[str, Any]) -> None:
            meta[name] = value(meta[name])
            (d / "metadata.json").write_text(json.dumps(meta))
        return tamper

    def flip(d: Path, meta: dict[str, Any]) -> None:
        p = d / meta["artifact"]
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))

    def gone(d: Path, meta: dict[str, Any]) -> None:
        (d / meta["artifact"]).unlink()

    def garbage(d: Path, meta: dict[str, Any]) -> None:
        (d / "metadata.json").write_text("{not json")

    return {
        "metadata.json: wrong SHA-256": field("sha256", lambda v: "0" * 64),
        "metadata.json: wrong size": field("size_bytes", lambda v: v + 1),
        "metadata.json: wrong database size": field("db_size_bytes", lambda v: v * 2),
        "metadata.json: artifact with '..' components": field("artifact", lambda v: "../../outside/secret"),
        "metadata.json unreadable": garbage,
        "stored file changed": flip,
        "stored file missing": gone,
    }


def test_lying_snapshot_is_reported_and_refused(svc: ProfileService, app_dir: Path, tmp_path: Path, cases: CaseRecorder) -> None:
    row = cases(AREA, "snapshot: metadata.json lies, the stored file changed or is missing",
                "`snapshot verify` reports it and restores (in place and --to) are refused; the live database is unchanged")
    rec = svc.create_snapshot("to be tampered with")
    d = Path(rec.path)
    saved = {p.name: p.read_bytes() for p in d.iterdir()}
    live = app_dir / "app.db"
    to = tmp_path / "restored.db"
    for name, tamper in _snap_lies().items():
        meta = json.loads(saved["metadata.json"])
        tamper(d, meta)
        before = _db_digest(live)
        result = svc.verify_snapshot(rec.id)
        assert not result.ok, f"verify did not report: {name}"
        for target in (None, to):
            with pytest.raises(TuiBackupError) as err:
                svc.restore_snapshot(rec.id, to=target)
            assert err.value.message and "\n" not in err.value.message
            assert not to.exists()
        assert _db_digest(live) == before, name
        for p in d.iterdir():
            p.unlink()
        for n, data in saved.items():
            (d / n).write_bytes(data)
        row.tried += 1
    assert svc.verify_snapshot(rec.id).ok  # the untampered snapshot is fine: the checks, not the set-up, refused


def test_orphan_snapshot_with_lying_metadata_is_reported(svc: ProfileService, app_dir: Path, cases: CaseRecorder) -> None:
    """A snapshot directory with no catalog row is adopted from its metadata.json: a lie there
    becomes a failed verify and a refused restore, never a restore of the wrong data."""
    row = cases(AREA, "snapshot: an orphan directory whose metadata.json lies",
                "adopted only as what it claims; `snapshot verify` reports it and the restore is refused")
    rec = svc.create_snapshot("the original")
    src = Path(rec.path)
    orphan_id = "20990101-000000-beef"
    dst = src.parent / orphan_id
    shutil.copytree(src, dst)
    meta = json.loads((dst / "metadata.json").read_text())
    meta["id"] = orphan_id
    meta["sha256"] = "1" * 64
    (dst / "metadata.json").write_text(json.dumps(meta))
    before = _db_digest(app_dir / "app.db")
    assert orphan_id in {r.id for r in svc.list_snapshots()}
    assert not svc.verify_snapshot(orphan_id).ok
    with pytest.raises(TuiBackupError):
        svc.restore_snapshot(orphan_id)
    assert _db_digest(app_dir / "app.db") == before
    row.tried += 1
