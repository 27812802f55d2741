"""A backup's manifest (the `artifacts` of its metadata.json): hashing and checking.

Shared by service/backups.py (which writes it) and the destinations (which verify a copy
against it, and restores, which verify a fetched tree).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_backup.destinations.base import METADATA_NAME

CHUNK = 1024 * 1024


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> tuple[int, str]:
    """(size, sha256) of a file, read in chunks; `on_bytes` gets each chunk's length."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return size, h.hexdigest()


def artifacts_of(metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """path -> {size, sha256} for every artifact listed in a metadata.json."""
    out: dict[str, dict[str, Any]] = {}
    for a in metadata.get("artifacts", []):
        if isinstance(a, dict) and isinstance(a.get("path"), str):
            out[a["path"]] = a
    return out


def read_metadata(root: Path) -> dict[str, Any]:
    data = json.loads((root / METADATA_NAME).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("metadata.json is not an object")
    return data


def verify_tree(
    root: Path,
    metadata: dict[str, Any],
    *,
    paths: tuple[str, ...] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[str]:
    """Check every artifact under `root` (or only those under `paths`) against the
    manifest; return the problems (empty: all good)."""
    problems: list[str] = []
    for rel, a in artifacts_of(metadata).items():
        if paths is not None and not any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in paths):
            continue
        if unsafe_path(rel):
            problems.append(f"{rel}: unsafe path")
            continue
        p = root / rel
        if p.is_symlink() or not p.is_file():
            problems.append(f"{rel}: missing")
            continue
        size, digest = sha256_file(p, on_bytes)
        if size != a.get("size") or digest != a.get("sha256"):
            problems.append(f"{rel}: checksum mismatch")
        if on_file is not None:
            on_file(rel)
    return problems


LAYOUT_TOPS = ("files", "config", "database")


def unsafe_path(rel: str) -> bool:
    """A manifest path that could reach outside the tree it describes (absolute, `..`,
    `.` or empty components) or is outside the backup layout: a lying metadata.json."""
    parts = rel.split("/")
    return rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0] not in LAYOUT_TOPS


def links_of(metadata: dict[str, Any]) -> dict[str, str] | None:
    """path -> target of every symlink a metadata.json lists (None: it does not record links)."""
    raw = metadata.get("links")
    if not isinstance(raw, list):
        return None
    return {str(e.get("path")): str(e.get("target")) for e in raw if isinstance(e, dict)}


def unlisted_entries(root: Path, metadata: dict[str, Any]) -> list[str]:
    """What a backup tree holds beyond its manifest: files it does not list, symlinks it does
    not list or whose target differs, unsafe listed paths. Empty: the tree is what was backed up."""
    problems = [f"{rel}: unsafe path in {METADATA_NAME}" for rel in artifacts_of(metadata) if unsafe_path(rel)]
    listed = artifacts_of(metadata)
    links = links_of(metadata)
    for top in LAYOUT_TOPS:
        base = root / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in sorted(dirnames + filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(root).as_posix()
                if p.is_symlink():
                    if links is not None and links.get(rel) != os.readlink(p):
                        problems.append(f"{rel}: a symlink {METADATA_NAME} does not list")
                elif name in filenames and rel not in listed and rel != f"database/{METADATA_NAME}":
                    problems.append(f"{rel}: not listed in {METADATA_NAME}")
    return problems
