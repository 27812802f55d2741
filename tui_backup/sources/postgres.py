"""PostgreSQL as a database source: pg_dump snapshots, pg_restore --list checks, pg_restore restores.

Snapshots are `pg_dump --format=custom --compress=0` archives. Uncompressed on purpose: the
snapshot service zstd-compresses every artifact anyway, and pg_dump's own zlib compression
is single-threaded, slower than zstd at the same ratio, and would leave zstd nothing to
gain (compressed data does not compress twice). The custom format keeps what matters:
pg_restore can list, check and selectively restore it.

Restores run `pg_restore --clean --if-exists --single-transaction`: the server applies the
whole snapshot in one transaction, so connected clients see the old or the new content,
never a mix, and a failure anywhere leaves the old content as it was.

The password never appears in an argv (see pgconn).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tui_backup.errors import (
    CancelledError,
    RestoreError,
    SnapshotCorruptError,
    SnapshotError,
    TuiBackupError,
)
from tui_backup.fsutil import FILE_MODE, open_private
from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback
from tui_backup.sources.base import DatabaseFacts
from tui_backup.sources.pgconn import (
    PgTarget,
    password_file_warnings,
    resolve_target,
    split_password,
)
from tui_backup.sources.pgscript import parse_script, table_key
from tui_backup.sources.pgtools import (
    ToolRun,
    explain,
    find_tool,
    first_error,
    run_tool,
    stream_tool,
)

ARCHIVE_MAGIC = b"PGDMP"
# Queries and schema listings are quick; a stuck server should not hang a dry run forever.
FACTS_TIMEOUT_S = 600.0
CHECK_TIMEOUT_S = 3600.0
# Objects the tool does not own in pg_dump's plain output: left out so listings compare equal.
_SCRIPT_OPTIONS = ["--no-owner", "--no-privileges"]

# Live facts in one read-only, repeatable-read transaction: the version and size, then an
# exact count(*) of every user table, built and quoted by the server (%I) and run by \gexec.
_LIVE_FACTS_SQL = r"""
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT jsonb_build_object(
  'version', current_setting('server_version'),
  'size', pg_database_size(current_database()))::text;
SELECT 'SELECT coalesce(jsonb_agg(x), ''[]'')::text FROM ('
       || string_agg(format('SELECT %L::text AS s, %L::text AS t, count(*) AS n FROM ONLY %I.%I',
                            n.nspname, c.relname, n.nspname, c.relname), ' UNION ALL ')
       || ') x'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
\gexec
"""


class PostgresDatabase:
    """A PostgreSQL database named by a `postgresql://` URL."""

    kind = "postgresql"
    artifact_suffix = ".pgdump"

    def __init__(self, url: str, password_file: Path | None = None) -> None:
        self._url = url
        self._password_file = password_file
        self._display, _ = split_password(url)

    # ---- protocol ----

    def describe(self) -> str:
        return self._display

    def warnings(self) -> list[str]:
        return password_file_warnings(self._password_file)

    def dump(self, out: Path, *, timeout: float, progress: ProgressCallback, cancel: CancelToken) -> None:
        """`pg_dump -Fc -Z0` into `out` (created 0600); a failed or stopped pg_dump raises."""
        cancel.raise_if_cancelled()
        target = self._target(SnapshotError)
        _prepare_private_file(out)
        current = {"table": ""}

        def on_line(line: str) -> None:
            # pg_dump --verbose: 'pg_dump: dumping contents of table "public.assets"'
            if "dumping contents of table" in line:
                current["table"] = line.rsplit(" ", 1)[-1].strip('"')

        def on_tick() -> None:
            try:
                size = out.stat().st_size
            except OSError:
                size = 0
            progress(Progress("copying", None, bytes_done=size, message=current["table"]))

        argv = [
            find_tool("pg_dump"), "--format=custom", "--compress=0", "--no-password", "--verbose",
            f"--file={out}", f"--dbname={target.url}",
        ]  # fmt: skip
        run = run_tool(argv, env=target.env(), timeout=timeout, cancel=cancel, on_stderr_line=on_line, on_tick=on_tick)
        if run.stopped == "cancelled":
            raise CancelledError("snapshot cancelled: pg_dump was stopped", "nothing was stored")
        if run.stopped == "timeout":
            raise SnapshotError(
                f"pg_dump did not finish within {timeout:.0f} s and was stopped",
                "raise [snapshots] timeout_seconds, or look for long-held locks on the database",
            )
        if run.returncode != 0:
            raise self._failure(SnapshotError, "pg_dump", run, target)
        with open(out, "rb") as f:
            if f.read(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
                raise SnapshotError("pg_dump exited 0 but wrote no archive", "run pg_dump by hand to see why")
        progress(Progress("copying", 1.0, bytes_done=out.stat().st_size))

    def check(self, copy: Path, *, full: bool) -> None:
        """`pg_restore --list`; `full` also renders every entry (schema and data) to /dev/null."""
        _check_magic(copy)
        run = self._offline_tool(["--list", "--file=/dev/null", "--", str(copy)])
        if run.returncode != 0:
            raise _corrupt(copy, "pg_restore --list", run)
        if full:
            run = self._offline_tool(["--file=/dev/null", "--", str(copy)])
            if run.returncode != 0:
                raise _corrupt(copy, "pg_restore", run)

    def facts(self, copy: Path | None = None) -> DatabaseFacts:
        if copy is not None:
            return self._copy_facts(copy)
        return self._live_facts()

    def load(self, copy: Path, *, timeout: float, progress: ProgressCallback) -> None:
        """Replace the database's content with `copy` in one transaction (old content on failure)."""
        target = self._target(RestoreError)
        total = max(1, _toc_entries(copy))
        done = {"n": 0}

        def on_line(line: str) -> None:
            # pg_restore --verbose names each step: "dropping TABLE x", "creating TABLE x", ...
            if line.startswith("pg_restore: ") and any(
                w in line for w in ("dropping ", "creating ", "processing data", "executing ")
            ):
                done["n"] += 1

        def on_tick() -> None:
            progress(Progress("restoring", min(0.99, done["n"] / (2 * total))))

        argv = [
            find_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
            "--no-owner", "--no-password", "--verbose", f"--dbname={target.url}", "--", str(copy),
        ]  # fmt: skip
        run = run_tool(argv, env=target.env(), timeout=timeout, on_stderr_line=on_line, on_tick=on_tick)
        if run.stopped == "timeout":
            raise RestoreError(
                f"pg_restore did not finish within {timeout:.0f} s and was stopped",
                "its transaction was not committed; look for sessions holding locks on the tables",
            )
        if run.returncode != 0:
            raise self._failure(RestoreError, "pg_restore", run, target)
        progress(Progress("restoring", 1.0))

    # ---- facts ----

    def _copy_facts(self, copy: Path) -> DatabaseFacts:
        """Exact per-table row counts and the schema, read from the archive in one pass."""
        _check_magic(copy)
        argv = [find_tool("pg_restore"), *_SCRIPT_OPTIONS, "--file=-", "--", str(copy)]
        parsed, run = stream_tool(argv, env=dict(os.environ, LC_ALL="C"), consume=parse_script, timeout=CHECK_TIMEOUT_S)
        if run.stopped:
            raise SnapshotError(f"reading {copy.name} took longer than {CHECK_TIMEOUT_S:.0f} s", "is the disk very slow?")
        if run.returncode != 0:
            raise _corrupt(copy, "pg_restore", run)
        version = parsed.dumped_by.split(" ", 1)[0]
        return DatabaseFacts(
            size_bytes=copy.stat().st_size,
            tables=dict(sorted(parsed.tables.items())),
            schema=parsed.schema,
            engine_version=f"pg_dump {version}" if version else "",
        )

    def _live_facts(self) -> DatabaseFacts:
        target = self._target(SnapshotError)
        argv = [
            find_tool("psql"), "-X", "-q", "-A", "-t", "--no-password", "-v", "ON_ERROR_STOP=1",
            "--single-transaction", f"--dbname={target.url}", "--file=-",
        ]  # fmt: skip
        env = dict(target.env(), PGCLIENTENCODING="UTF8")
        try:
            r = subprocess.run(
                argv, input=_LIVE_FACTS_SQL.encode(), capture_output=True, env=env, timeout=FACTS_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise SnapshotError(
                f"counting the rows of {target.where} took longer than {FACTS_TIMEOUT_S:.0f} s", "is the server overloaded?"
            ) from None
        stderr = r.stderr.decode("utf-8", "replace").splitlines()
        if r.returncode != 0:
            raise self._failure(SnapshotError, "psql", ToolRun(r.returncode, stderr), target)
        lines = [ln for ln in r.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
        try:
            meta = json.loads(lines[0])
            counts = json.loads(lines[1]) if len(lines) > 1 else []
        except (IndexError, ValueError):
            raise SnapshotError(f"unexpected answer from psql for {target.where}", "run psql by hand to check") from None
        tables = {table_key(c["s"], c["t"]): int(c["n"]) for c in counts}
        schema_argv = [
            find_tool("pg_dump"), "--schema-only", *_SCRIPT_OPTIONS, "--no-password", "--file=-",
            f"--dbname={target.url}",
        ]  # fmt: skip
        parsed, run = stream_tool(schema_argv, env=target.env(), consume=parse_script, timeout=FACTS_TIMEOUT_S)
        if run.returncode != 0:
            raise self._failure(SnapshotError, "pg_dump", run, target)
        return DatabaseFacts(
            size_bytes=int(meta["size"]),
            tables=dict(sorted(tables.items())),
            schema=parsed.schema,
            engine_version=f"PostgreSQL {meta['version']}",
        )

    # ---- helpers ----

    def _target(self, error: type[TuiBackupError]) -> PgTarget:
        try:
            return resolve_target(self._url, self._password_file)
        except TuiBackupError as exc:
            if isinstance(exc, error):
                raise
            raise error(exc.message, exc.hint) from None

    def _offline_tool(self, args: list[str]) -> ToolRun:
        """pg_restore on a file only (no server): --list and full renders."""
        argv = [find_tool("pg_restore"), *args]
        return run_tool(argv, env=dict(os.environ, LC_ALL="C"), timeout=CHECK_TIMEOUT_S)

    def _failure(self, error: type[TuiBackupError], tool: str, run: ToolRun, target: PgTarget) -> TuiBackupError:
        why = explain(tool, run.stderr, where=target.where, user=target.user, password_origin=target.password_origin)
        return error(target.redact(why.message), target.redact(why.hint))


def _prepare_private_file(out: Path) -> None:
    """pg_dump creates its file with the umask's mode: make it 0600 ourselves, first."""
    if out.exists():
        os.chmod(out, FILE_MODE)
        return
    os.close(open_private(out))


def _check_magic(copy: Path) -> None:
    try:
        with open(copy, "rb") as f:
            head = f.read(len(ARCHIVE_MAGIC))
    except OSError as exc:
        raise SnapshotCorruptError(f"cannot read {copy}: {exc.strerror}", "check the snapshots volume") from None
    if head != ARCHIVE_MAGIC:
        raise SnapshotCorruptError(
            f"{copy.name} is not a pg_dump custom-format archive", "this snapshot cannot be restored; use another one"
        )


def _corrupt(copy: Path, tool: str, run: ToolRun) -> SnapshotCorruptError:
    return SnapshotCorruptError(
        f"{tool} cannot read {copy.name}: {first_error(run.stderr)}",
        "this snapshot cannot be restored; use another one (or take a new snapshot)",
    )


def _toc_entries(copy: Path) -> int:
    """How many entries the archive has (for restore progress); 0 when it cannot be listed."""
    r = subprocess.run(
        [find_tool("pg_restore"), "--list", "--", str(copy)],
        stdin=subprocess.DEVNULL, capture_output=True, env=dict(os.environ, LC_ALL="C"), timeout=CHECK_TIMEOUT_S, check=False,
    )  # fmt: skip
    if r.returncode != 0:
        return 0
    return sum(1 for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith(b";"))

