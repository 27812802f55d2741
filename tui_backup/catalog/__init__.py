"""The catalog: the profile's SQLite state database (snapshots, jobs, and later layers)."""

from tui_backup.catalog._db import Catalog, CatalogError, utc_now
from tui_backup.catalog._migrations import LATEST_VERSION
from tui_backup.catalog.jobs import JobRecord
from tui_backup.catalog.snapshots import SnapshotRecord

__all__ = ["LATEST_VERSION", "Catalog", "CatalogError", "JobRecord", "SnapshotRecord", "utc_now"]
