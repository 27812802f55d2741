"""The scan's fast paths at a size where they matter: manifest rows read in batches (more
changed files than one batch), mode-only changes mixed with content changes, deletions and
renames among many unchanged files, and a files root given with a trailing slash."""

from __future__ import annotations

import os
from pathlib import Path

from tui_backup.catalog import Catalog
from tui_backup.service import ProfileService
from tui_backup.service.changes import load_manifest, scan_paths


def _tree(root: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        d = root / f"d{i % 7}"
        d.mkdir(exist_ok=True)
        p = d / f"f{i:05d}.txt"
        p.write_text(f"file {i}\n")
        paths.append(p)
    return paths


def _catalog(svc: ProfileService) -> Catalog:
    return svc.catalog


def test_many_changes_across_batches(svc: ProfileService, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    paths = _tree(root, 1_600)
    first = scan_paths(_catalog(svc), [root])
    assert first.first_scan and len(first.added) == 1_600
    content = paths[:1_100]  # more than two batches of manifest reads
    for p in content:
        p.write_text(p.read_text() + "changed\n")
    for p in paths[1_100:1_200]:
        p.chmod(0o600)
    for p in paths[1_200:1_300]:
        p.unlink()
    for p in paths[1_300:1_320]:
        p.rename(p.with_name(p.name + ".moved"))
    c = scan_paths(_catalog(svc), [Path(str(root) + os.sep)])  # trailing slash: the same tree
    assert not c.first_scan and not c.errors and not c.added
    by_reason: dict[tuple[str, ...], list[str]] = {}
    for m in c.modified:
        by_reason.setdefault(m.reasons, []).append(m.path)
    assert sorted(by_reason[("content",)]) == sorted(str(p) for p in content)
    assert sorted(by_reason[("mode",)]) == sorted(str(p) for p in paths[1_100:1_200])
    assert [m.path for m in c.modified] == sorted(m.path for m in c.modified)  # path order, as before
    assert sorted(f.path for f in c.deleted) == sorted(str(p) for p in paths[1_200:1_300])
    assert sorted((r.old, r.new) for r in c.renamed) == sorted(
        (str(p), str(p.with_name(p.name + ".moved"))) for p in paths[1_300:1_320]
    )
    assert c.hashed == 1_100 + 20
    manifest = load_manifest(_catalog(svc))
    assert len([p for p in manifest if p.startswith(str(root) + os.sep)]) == 1_600 - 100
    again = scan_paths(_catalog(svc), [root])
    assert not again.changed and again.hashed == 0 and again.scanned == 1_500


def test_rows_outside_the_roots_are_untouched(svc: ProfileService, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "ab"  # "ab" shares a's prefix but is not under it
    a.mkdir()
    b.mkdir()
    _tree(a, 30)
    _tree(b, 30)
    scan_paths(_catalog(svc), [a, b])
    c = scan_paths(_catalog(svc), [a])  # b not scanned this time: its rows are not "deleted"
    assert not c.changed and c.scanned == 30
    assert len([p for p in load_manifest(_catalog(svc)) if p.startswith(str(b) + os.sep)]) == 30
