"""Volume marker records: which marker id each destination directory was set up with."""

from __future__ import annotations

from dataclasses import dataclass

from tui_backup.catalog._db import Catalog, utc_now


@dataclass(frozen=True)
class VolumeRecord:
    path: str
    name: str
    marker_id: str
    device: int | None
    created_at: str
    last_seen_at: str | None


def get_volume(catalog: Catalog, path: str) -> VolumeRecord | None:
    row = catalog.conn.execute("SELECT * FROM volumes WHERE path = ?", (path,)).fetchone()
    return VolumeRecord(**{k: row[k] for k in row.keys()}) if row else None


def record_volume(catalog: Catalog, path: str, name: str, marker_id: str, device: int | None) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO volumes (path, name, marker_id, device, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET name = excluded.name, marker_id = excluded.marker_id,"
            " device = excluded.device, last_seen_at = excluded.last_seen_at",
            (path, name, marker_id, device, utc_now(), utc_now()),
        )


def touch_volume(catalog: Catalog, path: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("UPDATE volumes SET last_seen_at = ? WHERE path = ?", (utc_now(), path))
