"""Fixtures for the snapshot tests: real writer/reader processes, services with other settings."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.snapshots import dbproc
from tui_backup.service import ProfileService

DBPROC = Path(dbproc.__file__)


class DbProcess:
    """A real separate process writing to (or reading from) a database; see dbproc.py."""

    def __init__(self, mode: str, db: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(DBPROC), mode, str(db), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = _readline(self.proc, timeout=20)
        if ready.strip() != "ready":
            self.proc.kill()
            raise AssertionError(f"{mode} process did not start: {ready!r} {self.proc.stderr.read() if self.proc.stderr else ''}")

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        return dict(json.loads(out.strip().splitlines()[-1]))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    t = threading.Thread(target=lambda: box.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    t.start()
    t.join(timeout)
    return box[0] if box else ""


@pytest.fixture
def db_process() -> Iterator[Any]:
    """Start writer/reader processes; every one still running at the end is killed."""
    started: list[DbProcess] = []

    def start(mode: str, db: Path, *args: str) -> DbProcess:
        p = DbProcess(mode, db, *args)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


def with_settings(svc: ProfileService, **snapshots: Any) -> ProfileService:
    """Another service on the same profile with changed [snapshots] settings."""
    cfg = dataclasses.replace(svc.config, snapshots=dataclasses.replace(svc.config.snapshots, **snapshots))
    return ProfileService(cfg)


@pytest.fixture
def app_db(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    dbproc.prepare(str(path), rows=20_000)  # ~5 MB: each copy takes a while
    return path


def logical_dump(path: Path) -> str:
    """The database's content as SQL (schema and rows): equal dumps = equal databases."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def count_rows(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".tui-backup-tmp-")) if directory.is_dir() else []


CHILD_SNAPSHOT = (
    "import sys\n"
    "from tui_backup.service import ProfileService\n"
    "svc = ProfileService.open(config=sys.argv[1])\n"
    "print('start', flush=True)\n"
    "print(svc.create_snapshot('from a child process').id, flush=True)\n"
)


def child_snapshot(config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`snapshot create` in a separate process (the service, as the CLI would call it)."""
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_SNAPSHOT, str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
