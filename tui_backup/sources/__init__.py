"""Sources: what a profile protects (databases now; files in a later issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_backup.config import Config
    from tui_backup.sources.base import DatabaseEngine


def engine_for(config: Config) -> DatabaseEngine:
    """The database engine for a profile's [source] database."""
    db = config.source.database
    if db.kind == "sqlite":
        from tui_backup.sources.sqlite import SqliteDatabase

        assert db.path is not None
        return SqliteDatabase(db.path)
    from tui_backup.sources.postgres import PostgresDatabase

    return PostgresDatabase(db.url, password_file=config.source.password_file)
