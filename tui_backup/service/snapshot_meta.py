"""Does a snapshot's metadata.json agree with its catalog row?

The catalog row is what verify and restore check the stored file against; metadata.json
beside it is what travels with the snapshot (into backups, and back into the catalog when
an orphan is adopted). A metadata.json that says otherwise (another size or SHA-256,
another artifact) is damage: verify reports it and restores refuse the snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

from tui_backup.catalog.snapshots import SnapshotRecord

METADATA_NAME = "metadata.json"
_FIELDS = ("id", "artifact", "sha256", "size_bytes", "db_size_bytes")


def metadata_disagreement(rec: SnapshotRecord) -> str | None:
    """What metadata.json says differently from the catalog row (None: they agree, or the
    snapshot has no metadata.json to compare — snapshots recorded before it existed)."""
    path = Path(rec.path) / METADATA_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return f"its {METADATA_NAME} is unreadable ({exc})"
    if not isinstance(data, dict):
        return f"its {METADATA_NAME} is not an object"
    for name in _FIELDS:
        if name in data and data[name] != getattr(rec, name):
            return f"its {METADATA_NAME} records {name} {data[name]!r}, the catalog {getattr(rec, name)!r}"
    return None


__all__ = ["metadata_disagreement"]
