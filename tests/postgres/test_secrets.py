"""The PostgreSQL password never reaches a child's argv, whichever way it is configured."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.postgres.conftest import SAMPLE_ROWS, PgDb, assert_no_leak
from tests.postgres.pgserver import APP_PASSWORD, APP_ROLE
from tui_backup.errors import CancelledError, SnapshotError
from tui_backup.jobs.events import CancelToken, no_progress
from tui_backup.sources import pgtools
from tui_backup.sources.postgres import PostgresDatabase

TOOLS = ("pg_dump", "pg_restore", "psql")


@pytest.fixture
def recording_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Shims for pg_dump, pg_restore and psql first on PATH: each records its argv, then runs the real tool."""
    shims, log = tmp_path / "shims", tmp_path / "argv.log"
    shims.mkdir()
    for tool in TOOLS:
        real = pgtools.find_tool(tool)
        script = shims / tool
        script.write_text(
            "#!/bin/sh\n"
            f'for a in "$0" "$@"; do printf "%s\\0" "$a"; done >> "{log}"\n'
            f'printf "PGPASSWORD=%s\\n" "${{PGPASSWORD:+set}}" >> "{log}"\n'
            f'exec "{real}" "$@"\n'
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    return log


def exercise(engine: PostgresDatabase, tmp_path: Path) -> None:
    """Everything the engine does that runs a tool."""
    out = tmp_path / "copy.pgdump"
    engine.dump(out, timeout=60, progress=no_progress, cancel=CancelToken())
    engine.check(out, full=True)
    assert engine.facts(out).tables == SAMPLE_ROWS
    assert engine.facts().tables == SAMPLE_ROWS
    engine.load(out, timeout=60, progress=no_progress)


def test_password_file_stays_out_of_every_argv(pg_engine: PostgresDatabase, recording_path: Path, tmp_path: Path) -> None:
    exercise(pg_engine, tmp_path)
    log = recording_path.read_bytes()
    for tool in TOOLS:  # the shims really ran
        assert f"/{tool}\0".encode() in log
    assert b"--dbname=postgresql://app_owner@127.0.0.1:" in log
    assert b"PGPASSWORD=set\n" in log  # the password travelled in the environment
    assert_no_leak(log, "a child's argv")


@pytest.mark.parametrize("style", ["userinfo", "query"])
def test_a_password_in_the_url_is_moved_out_of_it(
    pg_db: PgDb, recording_path: Path, tmp_path: Path, style: str
) -> None:
    secret = quote(APP_PASSWORD, safe="")
    server = pg_db.server
    if style == "userinfo":
        url = f"postgresql://{APP_ROLE}:{secret}@127.0.0.1:{server.port}/{pg_db.name}"
    else:
        url = f"postgresql://{APP_ROLE}@127.0.0.1:{server.port}/{pg_db.name}?password={secret}&sslmode=disable"
    engine = PostgresDatabase(url, password_file=None)
    assert_no_leak(engine.describe().encode(), "describe()")
    exercise(engine, tmp_path)
    log = recording_path.read_bytes()
    assert b"PGPASSWORD=set\n" in log
    assert_no_leak(log, "a child's argv")
    if style == "query":
        assert b"sslmode=disable" in log  # other parameters are kept

    missing = PostgresDatabase(url.replace(f"/{pg_db.name}", "/no_such_db"), password_file=None)
    with pytest.raises(SnapshotError) as info:
        missing.facts()
    assert_no_leak(f"{info.value.message} {info.value.hint}".encode(), "an error message")


def test_no_process_shows_the_password_while_pg_dump_runs(
    pg_db: PgDb, pg_engine: PostgresDatabase, table_locker: object, tmp_path: Path
) -> None:
    """Sample every process's command line while pg_dump waits on a lock, then cancel it."""
    cancel = CancelToken()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pg_engine.dump(tmp_path / "x.pgdump", timeout=60, progress=no_progress, cancel=cancel)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        seen_pg_dump = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen_pg_dump:
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    data = cmdline.read_bytes()
                except OSError:
                    continue
                assert_no_leak(data, f"{cmdline}")
                if b"pg_dump" in data and pg_db.name.encode() in data:
                    seen_pg_dump = True
            time.sleep(0.02)
        assert seen_pg_dump, "pg_dump was never seen running"
    finally:
        cancel.cancel()
        worker.join(30)
    assert len(errors) == 1 and isinstance(errors[0], CancelledError)
