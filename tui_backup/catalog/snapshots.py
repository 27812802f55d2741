"""Snapshot rows in the catalog."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from tui_backup.catalog._db import Catalog
from tui_backup.errors import NotFoundError, UsageError


@dataclass(frozen=True)
class SnapshotRecord:
    id: str
    created_at: str
    source_kind: str  # sqlite | postgresql
    source: str  # the database, secrets removed
    path: str  # the snapshot's directory
    artifact: str  # file name of the compressed copy inside `path`
    size_bytes: int  # stored (compressed) size
    db_size_bytes: int  # size of the database copy before compression
    sha256: str  # of the stored artifact
    duration_s: float
    note: str = ""
    kind: str = "manual"  # manual | safety | scheduled
    page_size: int | None = None
    page_count: int | None = None
    tables: dict[str, int] = field(default_factory=dict)  # table -> row count
    row_count: int = 0
    engine_version: str = ""  # SQLite or pg_dump version
    verified_at: str | None = None
    verify_status: str | None = None  # ok | corrupt | None (never verified)
    verify_detail: str | None = None
    job_id: int | None = None
    # Not stored in the catalog: the warnings met while creating it (on the record create returns).
    warnings: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return self.verify_status == "ok"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    "id created_at source_kind source path artifact size_bytes db_size_bytes sha256 duration_s note kind "
    "page_size page_count tables_json row_count engine_version verified_at verify_status verify_detail job_id"
).split()


def _from_row(row: sqlite3.Row) -> SnapshotRecord:
    data = {k: row[k] for k in row.keys()}
    data["tables"] = json.loads(data.pop("tables_json") or "{}")
    return SnapshotRecord(**data)


def add_snapshot(catalog: Catalog, rec: SnapshotRecord) -> None:
    values = asdict(rec)
    values["tables_json"] = json.dumps(values.pop("tables"), sort_keys=True)
    with catalog.transaction() as conn:
        conn.execute(
            f"INSERT INTO snapshots ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})",
            [values[c] for c in _COLUMNS],
        )


def list_snapshots(catalog: Catalog) -> list[SnapshotRecord]:
    """Newest first."""
    rows = catalog.conn.execute("SELECT * FROM snapshots ORDER BY created_at DESC, id DESC").fetchall()
    return [_from_row(r) for r in rows]


def get_snapshot(catalog: Catalog, snapshot_id: str) -> SnapshotRecord:
    """Find a snapshot by id, unique id prefix, or `latest`."""
    if snapshot_id == "latest":
        rows = catalog.conn.execute("SELECT * FROM snapshots ORDER BY created_at DESC, id DESC LIMIT 1").fetchall()
    else:
        rows = catalog.conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchall()
        if not rows and snapshot_id:  # "" is no prefix: it would pick the only snapshot
            pattern = snapshot_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = catalog.conn.execute(
                "SELECT * FROM snapshots WHERE id LIKE ? ESCAPE '\\' ORDER BY created_at DESC", (pattern,)
            ).fetchall()
    if not rows:
        raise NotFoundError(f"no snapshot {snapshot_id!r}", "list snapshots with `tui-backup snapshot list`")
    if len(rows) > 1:
        raise UsageError(
            f"snapshot id {snapshot_id!r} is ambiguous ({len(rows)} match)", "type more of the id"
        )
    return _from_row(rows[0])


def set_verification(catalog: Catalog, snapshot_id: str, at: str, status: str, detail: str) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE snapshots SET verified_at = ?, verify_status = ?, verify_detail = ? WHERE id = ?",
            (at, status, detail, snapshot_id),
        )


def delete_snapshot_row(catalog: Catalog, snapshot_id: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM snapshots WHERE id = ?", (snapshot_id,))
