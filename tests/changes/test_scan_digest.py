"""The listing digest: after a clean scan, an unchanged tree is one compare of GNU find's
listing (no manifest row read, no file hashed); any change in the listing — content,
mode, a new or removed file, another set of roots — goes through the full comparison."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui_backup.service import ProfileService, changes
from tui_backup.service.changes import scan_files


def _digest_rows(svc: ProfileService) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in svc.catalog.conn.execute("SELECT digest, files FROM scan_digest")]


def _no_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the unchanged tree was walked in full")

    monkeypatch.setattr(changes, "_walk_prepared", refuse)


def test_unchanged_tree_is_one_digest_compare(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    files = svc.config.source.files[0]
    (files / "sub").mkdir()
    (files / "sub" / "b.bin").write_bytes(b"b" * 100)
    first = scan_files(svc)
    assert first.first_scan and [n for _, n in _digest_rows(svc)] == [first.scanned]
    with monkeypatch.context() as m:
        _no_full_walk(m)
        again = scan_files(svc)
    assert not again.changed and again.scanned == first.scanned and again.hashed == 0


@pytest.mark.parametrize("change", ["content", "mode", "added", "deleted"])
def test_any_change_goes_through_the_full_comparison(svc: ProfileService, change: str) -> None:
    files = svc.config.source.files[0]
    target = files / "a.txt"
    scan_files(svc)
    before = _digest_rows(svc)
    if change == "content":
        target.write_text("other content\n")
    elif change == "mode":
        os.chmod(target, 0o600 if (target.stat().st_mode & 0o777) != 0o600 else 0o644)
    elif change == "added":
        (files / "new.txt").write_text("new\n")
    else:
        target.unlink()
    c = scan_files(svc)
    assert c.changed
    after = _digest_rows(svc)
    assert after and after != before  # the new state is vouched for by a new digest
    assert not scan_files(svc).changed


def test_another_set_of_roots_has_its_own_digest(svc: ProfileService, tmp_path: Path) -> None:
    scan_files(svc)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("x\n")
    c = changes.scan_paths(svc.catalog, [*svc.config.source.files, other])
    assert [f.path for f in c.added] == [str(other / "x.txt")]
    assert len(_digest_rows(svc)) == 2


def test_an_unclean_scan_drops_the_digest(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that vanishes between the listing and its hashing: the manifest no longer
    matches the listing, so no digest may vouch for it."""
    files = svc.config.source.files[0]
    scan_files(svc)
    assert _digest_rows(svc)
    (files / "a.txt").write_text("changed, then gone\n")

    def vanish(path: str, mode: int) -> None:
        os.unlink(path)
        return None

    with monkeypatch.context() as m:
        m.setattr(changes, "_hash_mode", vanish)
        c = scan_files(svc)
    assert [f.path for f in c.deleted] == [str(files / "a.txt")]
    assert not _digest_rows(svc)
    assert not scan_files(svc).changed and _digest_rows(svc)  # the next clean scan vouches again
