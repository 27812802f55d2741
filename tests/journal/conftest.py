"""Fixtures for the journal tests: a profile with a journal of a few entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from tui_backup.service import ProfileService, journal


@pytest.fixture
def filled(svc: ProfileService) -> ProfileService:
    """`svc` with 10 entries: seq 1..10, targets t1..t10, alternating actions."""
    for i in range(1, 11):
        journal.record(svc, "snapshot.create" if i % 2 else "backup.run", f"t{i}", {"n": i})
    return svc


@pytest.fixture
def raw(svc: ProfileService) -> Iterator[sqlite3.Connection]:
    """A direct sqlite3 connection to the catalog: the tamperer's tool."""
    conn = sqlite3.connect(svc.paths.catalog, isolation_level=None)
    yield conn
    conn.close()
