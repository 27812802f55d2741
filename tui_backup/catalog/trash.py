"""Trash items in the catalog (layer 1).

A row goes in as "moving" before the item is renamed into the trash, and becomes
"trashed" after the rename, so a process killed at any moment leaves the item findable:
`service.trash.reconcile` settles the rows left "moving".
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from tui_backup.catalog._db import Catalog
from tui_backup.errors import NotFoundError, UsageError

MOVING = "moving"
TRASHED = "trashed"
RESTORED = "restored"
PURGED = "purged"
STATES = (MOVING, TRASHED, RESTORED, PURGED)


@dataclass(frozen=True)
class TrashItem:
    id: str
    kind: str  # snapshot | policy | user | overwritten | …
    original: str  # where it was (a path, or a label such as "<config>#policy.name")
    stored: str  # where it is now: <trash root>/<id>/<name>
    size_bytes: int
    sha256: str | None  # files only
    deleted_at: str
    expires_at: str
    reason: str
    job_id: int | None
    state: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    "id kind original stored size_bytes sha256 deleted_at expires_at reason job_id state details_json"
).split()


def _from_row(row: sqlite3.Row) -> TrashItem:
    data = {k: row[k] for k in row.keys()}
    data["details"] = json.loads(data.pop("details_json") or "{}")
    return TrashItem(**data)


def add_item(catalog: Catalog, item: TrashItem) -> None:
    values = asdict(item)
    values["details_json"] = json.dumps(values.pop("details"), sort_keys=True)
    with catalog.transaction() as conn:
        conn.execute(
            f"INSERT INTO trash_items ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})",
            [values[c] for c in _COLUMNS],
        )


def set_state(
    catalog: Catalog, item_id: str, state: str, details: dict[str, Any] | None = None
) -> int:
    """Change an item's state (and details when given); the number of rows changed."""
    with catalog.transaction() as conn:
        if details is None:
            cur = conn.execute("UPDATE trash_items SET state = ? WHERE id = ?", (state, item_id))
        else:
            cur = conn.execute(
                "UPDATE trash_items SET state = ?, details_json = ? WHERE id = ?",
                (state, json.dumps(details, sort_keys=True), item_id),
            )
        return cur.rowcount


def delete_row(catalog: Catalog, item_id: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM trash_items WHERE id = ?", (item_id,))


def items_in_state(catalog: Catalog, *states: str, kind: str | None = None) -> list[TrashItem]:
    """Newest first."""
    marks = ", ".join("?" for _ in states)
    sql = f"SELECT * FROM trash_items WHERE state IN ({marks})"
    args: list[Any] = list(states)
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    rows = catalog.conn.execute(sql + " ORDER BY deleted_at DESC, id DESC", args).fetchall()
    return [_from_row(r) for r in rows]


def expired_items(catalog: Catalog, now: str) -> list[TrashItem]:
    """Trashed items whose recovery window has ended, oldest first."""
    rows = catalog.conn.execute(
        "SELECT * FROM trash_items WHERE state = ? AND expires_at <= ? ORDER BY deleted_at, id",
        (TRASHED, now),
    ).fetchall()
    return [_from_row(r) for r in rows]


def get_item(catalog: Catalog, item_id: str) -> TrashItem:
    """Find an item by id or a unique id prefix (any state)."""
    rows = catalog.conn.execute(
        "SELECT * FROM trash_items WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id",
        (item_id, item_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"),
    ).fetchall()
    exact = [r for r in rows if r["id"] == item_id]
    if exact:
        return _from_row(exact[0])
    if not rows or not item_id:  # "" is no prefix: it would pick the only item
        raise NotFoundError(f"no trash item {item_id!r}", "list them with `tui-backup trash list`")
    if len(rows) > 1:
        raise UsageError(
            f"{item_id!r} matches {len(rows)} trash items",
            "give more of the id (see `tui-backup trash list`)",
        )
    return _from_row(rows[0])
