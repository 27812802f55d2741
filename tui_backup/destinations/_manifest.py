"""A backup's manifest (the `artifacts` of its metadata.json): hashing and checking.

Shared by service/backups.py (which writes it) and the destinations (which verify a copy
against it, and restores, which verify a fetched tree).
"""

from __future__ import annotations

import hashlib
import json
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
