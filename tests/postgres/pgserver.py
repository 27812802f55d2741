"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl on a temporary directory.

It listens on a free loopback port (127.0.0.1 only) and on a unix socket inside its own
directory. As root, initdb and the server run as the `postgres` OS user (PostgreSQL refuses
to run as root). The superuser connects over the socket with `trust`; every TCP connection
needs a SCRAM password, so the tool's password handling is really exercised.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui_backup.fsutil import pid_alive

# Distinctive, with characters that break naive quoting (':' and '\' matter to .pgpass files,
# '@' and '/' to URLs): if it ever leaks into an argv, a log or a file, the tests find it.
APP_PASSWORD = "Zq7:pw\\t@st/s3cr3t-UNIQUE-88412 with space"
APP_ROLE = "app_owner"
SUPERUSER = "postgres"
ROOT_PREFIX = "tui-backup-pg-"
SECRET_PREFIX = "tui-backup-pgsecret-"
OWNER_FILE = "owner.pid"  # the pid of the test session that started the server


class PgFixtureError(RuntimeError):
    """The test server could not be set up (the tests then fail, never skip)."""


def find_server_bindir() -> Path:
    """The newest PostgreSQL server bin dir (initdb, pg_ctl, postgres)."""
    candidates: list[tuple[int, Path]] = []
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
                candidates.append((int(d.parent.name), d))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    raise PgFixtureError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH; "
        "install them: apt-get install postgresql"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running test server."""

    root: Path
    bindir: Path
    port: int
    socket_dir: Path
    password_file: Path  # holds APP_PASSWORD, 0600, readable by the test process

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str, *, user: str = APP_ROLE, host: str = "127.0.0.1") -> str:
        """A TCP URL without a password (the password comes from the password file)."""
        return f"postgresql://{user}@{host}:{self.port}/{dbname}"

    def psql(self, sql: str, *, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """Run SQL as `user` over the unix socket (trust) and return unaligned, tuples-only output."""
        argv = [
            str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.socket_dir), "-p", str(self.port), "-U", user, "-d", dbname, "-c", sql,
        ]  # fmt: skip
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise PgFixtureError(f"psql failed ({r.returncode}): {r.stderr.strip()}\nSQL: {sql}")
        return r.stdout.strip()

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"]),
                stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.password_file.parent, ignore_errors=True)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` OS user when we are root."""
    if not _running_as_root():
        return argv
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *argv]


def _run(argv: list[str], what: str) -> None:
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise PgFixtureError(f"{what} failed ({r.returncode}): {(r.stderr or r.stdout).strip()}")


def stop_stale_servers(bindir: Path, base: str | None) -> None:
    """Stop servers (and remove dirs) that an interrupted test session left behind."""
    for root in Path(base or tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if pid_alive(owner):
            continue  # another test session is using it
        if (root / "data" / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"]),
                stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
    for secret in Path(tempfile.gettempdir()).glob(f"{SECRET_PREFIX}*"):
        with contextlib.suppress(OSError, ValueError):
            if not pid_alive(int((secret / OWNER_FILE).read_text())):
                shutil.rmtree(secret, ignore_errors=True)


def start_server() -> PgServer:
    """initdb, configure, start; return once the server accepts connections."""
    bindir = find_server_bindir()
    if _running_as_root():
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise PgFixtureError("running as root but there is no `postgres` OS user: apt-get install postgresql") from None
    # /dev/shm when available: initdb and the server are much faster on tmpfs.
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    stop_stale_servers(bindir, base)
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=base))
    (root / OWNER_FILE).write_text(str(os.getpid()))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if _running_as_root():
        for p in (root, sockets):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    # The tests read this file as the current user; the server never needs it.
    secret_dir = Path(tempfile.mkdtemp(prefix=SECRET_PREFIX))
    (secret_dir / OWNER_FILE).write_text(str(os.getpid()))
    password_file = secret_dir / "pg-password"
    password_file.write_text(APP_PASSWORD + "\n")
    password_file.chmod(0o600)
    try:
        _run(
            _as_postgres([
                str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--no-sync", "-E", "UTF8",
                "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
            ]),
            "initdb",
        )  # fmt: skip
        last_error: Exception | None = None
        for _attempt in range(5):  # a free port can be taken between the probe and the bind
            port = free_port()
            conf = (
                f"\n# tui-backup test fixture\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{sockets}'\nfsync = off\nfull_page_writes = off\n"
                "synchronous_commit = off\npassword_encryption = 'scram-sha-256'\nmax_connections = 50\n"
            )
            with open(data / "postgresql.auto.conf", "a", encoding="utf-8") as f:
                f.write(conf)
            try:
                _run(
                    _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "start"]),
                    "pg_ctl start",
                )
                break
            except PgFixtureError as exc:
                last_error = exc
        else:
            log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
            raise PgFixtureError(f"the test server did not start: {last_error}\n{log[-2000:]}")
        server = PgServer(root=root, bindir=bindir, port=port, socket_dir=sockets, password_file=password_file)
        escaped = APP_PASSWORD.replace("'", "''")
        server.psql(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB PASSWORD '{escaped}'")
        # A server-side check that SCRAM (not md5 or trust) guards TCP connections.
        stored = server.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{APP_ROLE}'")
        if not stored.startswith("SCRAM-SHA-256$"):
            raise PgFixtureError(f"expected a SCRAM password, got {stored[:12]!r}")
        return server
    except BaseException:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(secret_dir, ignore_errors=True)
        raise

