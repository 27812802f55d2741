"""Where a restic destination's password comes from, and how it reaches restic.

Exactly one source per destination. The password only ever travels to restic through its
environment: `RESTIC_PASSWORD_FILE` (the user's own file), `RESTIC_PASSWORD_COMMAND`
(restic runs it itself), or `RESTIC_PASSWORD` (read here from a named environment variable
or the system keyring). Never argv, never a file this tool writes.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui_backup.jobs.errors import ErrorKind, JobError

PasswordKind = Literal["file", "command", "env", "keyring"]
PASSWORD_KEYS: tuple[str, ...] = ("password_file", "password_command", "password_env", "password_keyring")


@dataclass(frozen=True)
class PasswordSource:
    kind: PasswordKind
    value: str  # a path, a command line, a variable's NAME, or "service/user" — never the password

    def describe(self) -> str:
        return {"file": "password file", "command": "password command", "env": "environment variable",
                "keyring": "system keyring"}[self.kind] + f" {self.value}"

    def file_warning(self) -> str | None:
        """For a password file readable by others: a warning (restic still uses it)."""
        if self.kind != "file":
            return None
        try:
            mode = os.stat(self.value).st_mode
        except OSError:
            return None  # restic reports a missing file itself
        if stat.S_IMODE(mode) & 0o077:
            return (f"the password file {self.value} is readable by other users "
                    f"(mode {stat.S_IMODE(mode):04o}): `chmod 600 {self.value}`")
        return None

    def env(self) -> dict[str, str]:
        """The variables that hand the password to restic (raises JobError if unavailable)."""
        if self.kind == "file":
            return {"RESTIC_PASSWORD_FILE": str(Path(self.value))}
        if self.kind == "command":
            return {"RESTIC_PASSWORD_COMMAND": self.value}
        if self.kind == "env":
            secret = os.environ.get(self.value)
            if not secret:
                raise JobError(ErrorKind.WRONG_PASSWORD, f"the environment variable {self.value} (password_env) is not set",
                               f"export {self.value} before running tui-backup, or use password_file")
            return {"RESTIC_PASSWORD": secret}
        return {"RESTIC_PASSWORD": _from_keyring(self.value)}


def _from_keyring(spec: str) -> str:
    service, _, user = spec.rpartition("/")
    try:
        import keyring  # type: ignore[import-not-found]  # optional: only for password_keyring
    except ImportError:
        raise JobError(ErrorKind.TOOL_MISSING, "password_keyring needs the Python package `keyring`, which is not installed",
                       "install it into tui-backup's environment (`pip install keyring`), or use password_file / "
                       "password_command (e.g. `secret-tool lookup ...`)") from None
    try:
        secret = keyring.get_password(service, user)
    except Exception as exc:  # any backend failure (no D-Bus, locked keyring)
        raise JobError(ErrorKind.WRONG_PASSWORD, f"cannot read the password from the system keyring: {exc}",
                       "unlock the keyring, or use password_file / password_command") from None
    if not isinstance(secret, str) or not secret:
        raise JobError(ErrorKind.WRONG_PASSWORD, f"no password for service {service!r}, user {user!r} in the keyring",
                       f"store it: `keyring set {service} {user}`")
    return secret
