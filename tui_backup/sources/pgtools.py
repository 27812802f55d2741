"""Running PostgreSQL's client programs: finding them, stopping them, explaining their failures."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import CancelToken

T = TypeVar("T")

DEBIAN_LIB = Path("/usr/lib/postgresql")
INSTALL_HINT = "install the PostgreSQL client programs: apt-get install postgresql-client"
STDERR_TAIL_LINES = 200
# Graceful stop: SIGINT lets pg_dump/pg_restore send the server a cancel request first.
STOP_SEQUENCE = ((signal.SIGINT, 3.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 10.0))


class PgToolMissingError(TuiBackupError):
    """pg_dump, pg_restore or psql is not installed."""


def find_tool(name: str) -> str:
    """PATH first; then the newest /usr/lib/postgresql/N/bin (Debian puts only wrappers on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    versions: list[tuple[int, Path]] = []
    for candidate in DEBIAN_LIB.glob(f"*/bin/{name}"):
        with contextlib.suppress(ValueError):
            versions.append((int(candidate.parent.parent.name), candidate))
    if versions:
        return str(max(versions)[1])
    raise PgToolMissingError(f"{name} is not installed (not on PATH nor in {DEBIAN_LIB}/*/bin)", INSTALL_HINT)


@dataclass
class ToolRun:
    returncode: int
    stderr: list[str]  # the last lines, decoded
    stopped: str | None = None  # "timeout" | "cancelled" when the tool was stopped


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGINT, then SIGTERM, then SIGKILL, each after a grace period."""
    for sig, grace in STOP_SEQUENCE:
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)


def run_tool(
    argv: list[str],
    *,
    env: dict[str, str],
    timeout: float | None,
    cancel: CancelToken | None = None,
    stdout: int | IO[bytes] = subprocess.DEVNULL,
    on_stderr_line: Callable[[str], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 0.1,
) -> ToolRun:
    """Run a tool to completion, collecting stderr; stop it on timeout or cancellation.

    A stopped tool is reported (`stopped`), never left running: the caller's `finally`
    always reaps it, also on KeyboardInterrupt.
    """
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, env=env, close_fds=True)
    reader = threading.Thread(target=_read_lines, args=(proc, tail, on_stderr_line), daemon=True)
    reader.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    stopped: str | None = None
    try:
        while True:
            try:
                proc.wait(tick_s)
                break
            except subprocess.TimeoutExpired:
                pass
            if cancel is not None and cancel.cancelled:
                stopped = "cancelled"
            elif deadline is not None and time.monotonic() > deadline:
                stopped = "timeout"
            if stopped:
                stop_process(proc)
                break
            if on_tick is not None:
                on_tick()
    finally:
        if proc.poll() is None:
            stop_process(proc)
        reader.join(5)
    return ToolRun(proc.returncode, list(tail), stopped)


def stream_tool(
    argv: list[str], *, env: dict[str, str], consume: Callable[[IO[bytes]], T], timeout: float
) -> tuple[T, ToolRun]:
    """Run a tool whose stdout `consume` reads as it streams (e.g. pg_restore --file=-).

    A tool still running `timeout` seconds after it started is stopped; `consume` then
    sees the end of its output and the run reports `stopped = "timeout"`.
    """
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True)
    reader = threading.Thread(target=_read_lines, args=(proc, tail, None), daemon=True)
    reader.start()
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        stop_process(proc)

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        assert proc.stdout is not None
        with proc.stdout:
            result = consume(proc.stdout)
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            stop_process(proc)
        reader.join(5)
    return result, ToolRun(proc.returncode, list(tail), "timeout" if timed_out.is_set() else None)


def _read_lines(proc: subprocess.Popen[bytes], tail: deque[str], on_line: Callable[[str], None] | None) -> None:
    assert proc.stderr is not None
    with proc.stderr:
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tail.append(line)
            if on_line is not None:
                on_line(line)


# ---- explaining failures ----

_ERROR_LINE = re.compile(r"^(?:[\w.-]+: )?(?:error|fatal|ERROR|FATAL):\s+(.*)$")
_PSQL_LOCATED = re.compile(r"^psql:[^:]*:\d+: ")


def error_lines(stderr: list[str]) -> list[str]:
    """The lines that say what went wrong, without the program-name prefixes."""
    out: list[str] = []
    for line in stderr:
        line = _PSQL_LOCATED.sub("", line)
        m = _ERROR_LINE.match(line)
        if m:
            out.append(m.group(1).strip())
        elif line.startswith(("DETAIL:", "HINT:")):
            out.append(line.strip())
    return out


def first_error(stderr: list[str]) -> str:
    lines = error_lines(stderr)
    if lines:
        return lines[0]
    meaningful = [ln.strip() for ln in stderr if ln.strip()]
    return meaningful[-1] if meaningful else "no error output"


@dataclass(frozen=True)
class Explained:
    message: str
    hint: str


_DB_HINT = "check [source] database (postgresql://user@host:port/dbname)"


def explain(tool: str, stderr: list[str], *, where: str, user: str, password_origin: str) -> Explained:
    """Turn a libpq tool's stderr into a one-line message and a hint."""
    text = "\n".join(stderr)
    first = first_error(stderr)
    detail = next((ln for ln in error_lines(stderr) if ln.startswith("DETAIL:")), "")
    if "Connection refused" in text:
        return Explained(
            f"cannot connect to PostgreSQL at {where}: connection refused",
            "is the server running and listening on that host and port? " + _DB_HINT,
        )
    if "could not translate host name" in text:
        m = re.search(r'host name "([^"]*)"', text)
        host = m.group(1) if m else "the host"
        return Explained(f"cannot resolve the PostgreSQL host {host}", "check the host name in [source] database")
    if re.search(r'socket "[^"]*" failed: No such file or directory', text):
        return Explained(
            f"no PostgreSQL server is listening on the local socket for {where}",
            "is the server running? set the host in [source] database if it runs elsewhere",
        )
    if "timeout expired" in text:
        return Explained(
            f"connecting to PostgreSQL at {where} timed out",
            "check the host, port and firewall; PGCONNECT_TIMEOUT sets the wait",
        )
    if "password authentication failed" in text:
        return Explained(
            f"PostgreSQL rejected the password for user {user} at {where}",
            f"check the password (it comes from {password_origin})",
        )
    if "no password supplied" in text:
        return Explained(
            f"PostgreSQL at {where} wants a password for user {user}, and none is configured",
            'set [source] password_file = "/path/to/file" (a chmod 600 file holding the password), or use ~/.pgpass',
        )
    m = re.search(r'database "([^"]*)" does not exist', text)
    if m:
        return Explained(
            f"database {m.group(1)!r} does not exist on the PostgreSQL server at {where}",
            f"create it (createdb) or {_DB_HINT}",
        )
    m = re.search(r'role "([^"]*)" does not exist', text)
    if m:
        return Explained(f"PostgreSQL role {m.group(1)!r} does not exist at {where}", "check the user in [source] database")
    if "server version mismatch" in text:
        return Explained(
            f"{tool} is older than the PostgreSQL server at {where}: {first}",
            "install the client of the server's major version: apt-get install postgresql-client-NN",
        )
    if "unsupported version" in text and "file header" in text:
        return Explained(
            f"{tool} is too old to read this dump: {first}",
            "install the client of the dump's major version: apt-get install postgresql-client-NN",
        )
    if any(s in text for s in ("could not read from input file", "not appear to be a valid archive", "input file is too short")):
        return Explained(
            f"{tool} failed: the archive is damaged ({first})",
            "use another snapshot; `tui-backup snapshot verify --all` checks them all",
        )
    if "depend on it" in text or "depends on" in text:
        return Explained(
            f"{tool} failed: {first}{' (' + detail + ')' if detail else ''}",
            "objects the snapshot does not contain depend on objects it replaces; drop them first, then retry",
        )
    if "permission denied" in text or "must be owner" in text:
        return Explained(
            f"{tool} failed: {first}",
            f"the PostgreSQL role {user} needs to read every table (snapshots) and own the objects (restore)",
        )
    return Explained(f"{tool} failed: {first}", f"see the full output of {tool} by running it by hand with the same URL")
