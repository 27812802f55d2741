"""How the tool reaches a PostgreSQL server without ever putting the password in an argv.

The URL handed to pg_dump, pg_restore and psql (as `--dbname=...`) never holds a password:
one found in the URL (which config loading warns about) is cut out of it. The password
travels in the child's environment (`PGPASSWORD`), which on Linux only the same user and
root can read (/proc/PID/environ is 0400), and which leaves nothing on disk even when the
tool is killed. Without a password file or URL password, libpq's own sources apply:
PGPASSWORD, PGPASSFILE, ~/.pgpass.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tui_backup.errors import TuiBackupError

# A connection that hangs (firewall dropping packets) fails after this many seconds,
# unless the URL or the user's environment sets its own connect_timeout.
CONNECT_TIMEOUT_S = 10
APPLICATION_NAME = "tui-backup"


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL database to connect to: a password-free URL and where the password comes from."""

    url: str  # without any password: safe for argv, logs and screens
    password: str | None = field(default=None, repr=False)
    password_origin: str = "libpq (PGPASSWORD, PGPASSFILE or ~/.pgpass)"

    @property
    def where(self) -> str:
        """`host:port/dbname` for messages."""
        parts = urlsplit(self.url)
        netloc = parts.netloc.rsplit("@", 1)[-1] or "localhost"
        return f"{netloc}{parts.path}"

    @property
    def user(self) -> str:
        parts = urlsplit(self.url)
        return unquote(parts.username or "") or os.environ.get("PGUSER", "") or "(your OS user)"

    def env(self) -> dict[str, str]:
        """The environment for a libpq child: the password (if any) and stable, parseable messages."""
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT_S))
        env.setdefault("PGAPPNAME", APPLICATION_NAME)
        # English messages, so failures can be classified into clear errors.
        env["LC_ALL"] = "C"
        env["LC_MESSAGES"] = "C"
        env.pop("LANGUAGE", None)
        return env

    def redact(self, text: str) -> str:
        """Defence in depth: never let the password through in a message built from tool output."""
        if self.password:
            text = text.replace(self.password, "***")
        return text


def split_password(url: str) -> tuple[str, str | None]:
    """The URL without its password (userinfo or `password=` parameter), and that password."""
    parts = urlsplit(url)
    password: str | None = None
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, raw = userinfo.split(":", 1)
            password = unquote(raw)
            netloc = f"{user}@{hosts}" if user else hosts
    query = parts.query
    if query:
        kept: list[str] = []
        for item in query.split("&"):
            key, _, value = item.partition("=")
            if unquote(key) == "password":
                password = unquote(value)  # libpq decodes only %XX, not "+"
            elif item:
                kept.append(item)
        query = "&".join(kept)
    if password is None:
        return url, None
    # Rebuilt by hand: urlunsplit would drop the empty host of "postgresql:///db?host=/socket".
    clean = f"{parts.scheme}://{netloc}{parts.path}"
    if query:
        clean += f"?{query}"
    if parts.fragment:
        clean += f"#{parts.fragment}"
    return clean, password


def read_password_file(path: Path) -> str:
    """The password in [source] password_file: its first line, without the line break."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TuiBackupError(
            f"password file {path} does not exist", "fix [source] password_file, or create the file (chmod 600)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise TuiBackupError(f"cannot read password file {path}: {reason}", "check its permissions and encoding") from None
    password = raw.split("\n", 1)[0].rstrip("\r")
    if not password:
        raise TuiBackupError(
            f"password file {path} is empty", "put the PostgreSQL password on its first line"
        )
    return password


def password_file_warnings(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []
    if mode & 0o077:
        return [f"password file {path} is readable by other users (mode {mode:04o}); run chmod 600 on it"]
    return []


def resolve_target(url: str, password_file: Path | None) -> PgTarget:
    """Where to connect and with which password: password_file, then the URL, then libpq's own."""
    clean, url_password = split_password(url)
    if password_file is not None:
        return PgTarget(clean, read_password_file(password_file), f"password file {password_file}")
    if url_password is not None:
        return PgTarget(clean, url_password, "the database URL")
    return PgTarget(clean)
