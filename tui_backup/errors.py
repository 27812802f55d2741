"""The errors the tool reports to users.

Every failure a user can cause or meet is a `TuiBackupError`: one line saying what is
wrong, one hint saying what to do, and the exit code the CLI ends with. Interfaces print
these without a traceback (unless `--verbose`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class TuiBackupError(Exception):
    """A failure with a user-facing message and a hint."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(TuiBackupError):
    """Bad arguments: exit code 2."""

    exit_code = EXIT_USAGE


class ConfigError(TuiBackupError):
    """A config file that cannot be used: exit code 2.

    Names the file, the key and the line where they are known.
    """

    exit_code = EXIT_USAGE

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        key: str | None = None,
        line: int | None = None,
        hint: str = "",
    ) -> None:
        where = file
        if line is not None:
            where += f":{line}"
        if key:
            where += f": [{key}]" if "." not in key and not key.startswith("[") else f": {key}"
        super().__init__(f"{where}: {problem}", hint)
        self.file = file
        self.key = key
        self.line = line
        self.problem = problem


class ProfileNotFoundError(UsageError):
    """No profile config where one was asked for."""


class VolumeError(TuiBackupError):
    """Layer 0 refused a volume: offline, missing, read-only or low on space."""

    def __init__(self, volume: str, path: str, state: str, message: str, hint: str) -> None:
        super().__init__(message, hint)
        self.volume = volume
        self.path = path
        self.state = state


class SnapshotError(TuiBackupError):
    """A snapshot could not be taken, verified or restored."""


class SnapshotCorruptError(SnapshotError):
    """A stored snapshot does not match its checksum or fails its integrity check."""


class NotFoundError(UsageError):
    """An id or name that does not exist."""


class ConfirmationRequired(UsageError):
    """A destructive action needs confirmation that was not given."""


class RestoreError(TuiBackupError):
    """A restore failed; `rolled_back` says whether the live data was put back."""

    def __init__(self, message: str, hint: str = "", *, rolled_back: bool = False) -> None:
        super().__init__(message, hint)
        self.rolled_back = rolled_back


class CancelledError(TuiBackupError):
    """The user cancelled the operation."""
