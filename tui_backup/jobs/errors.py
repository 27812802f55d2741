"""Every way an external tool can fail, as one of a fixed set of kinds.

`classify_restic(exit_code, stderr_lines)` and `classify_rsync(exit_code, stderr_lines)` are
pure functions: exit code + the child's stderr lines in, a `Classification` out (status,
kind, one-line message, hint, the paths concerned, a restic lock holder). Exit codes alone
are not enough: restic 0.14 exits 1 for most fatal errors, and rsync exits 12 or 255 at
random for the same ssh failure, so the stderr text decides. An exit code the tool does not
document is a failure, never a success.

Destinations turn a failing classification into an exception with `.raise_if_failed()`
(a `JobError`, which the runner reports in the `Finished` event with its kind and hint).
`context` fills the message templates: `destination` (its name), `repository`
(the restic repository location), `tool`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import FAILED, SUCCEEDED, SUCCEEDED_WITH_WARNINGS


class ErrorKind(StrEnum):
    TOOL_MISSING = "tool-missing"
    REPO_NOT_INITIALISED = "repository-not-initialised"
    WRONG_PASSWORD = "wrong-password"
    REPO_LOCKED = "repository-locked"
    SOURCE_MISSING = "source-missing"
    FILES_UNREADABLE = "files-unreadable"
    FILES_VANISHED = "files-vanished"
    DESTINATION_UNREACHABLE = "destination-unreachable"
    AUTH_FAILED = "authentication-failed"
    DISK_FULL = "disk-full"
    INTERRUPTED = "interrupted"
    TIMED_OUT = "timed-out"
    DESTINATION_BUSY = "destination-busy"  # our own per-destination lock is held
    FAILED = "failed"  # anything not recognised


@dataclass(frozen=True)
class KindSpec:
    message: str  # template: {tool} {destination} {repository} {detail} {count} {pid} {host} {age}
    hint: str
    exit_code: int  # what the CLI exits with for this kind


EXIT_WARNINGS = 3  # succeeded with warnings (as restic's "some files unreadable")

INSTALL_HINTS: dict[str, str] = {
    "restic": "install it: `apt install restic` (Debian/Ubuntu), `dnf install restic`, `brew install restic`",
    "rsync": "install it: `apt install rsync` (Debian/Ubuntu), `dnf install rsync`, `brew install rsync`",
    "ssh": "install it: `apt install openssh-client` (Debian/Ubuntu), `dnf install openssh-clients`",
}

KINDS: dict[ErrorKind, KindSpec] = {
    ErrorKind.TOOL_MISSING: KindSpec("{tool} is not installed (not found on PATH)", "{install}", 127),
    ErrorKind.REPO_NOT_INITIALISED: KindSpec(
        "no restic repository at {repository}",
        "initialise it with `tui-backup destination init {destination}` (or set auto_init = true)",
        10,
    ),
    ErrorKind.WRONG_PASSWORD: KindSpec(
        "wrong password for the restic repository {repository}",
        "check the destination's password_file / password_command / password_env",
        12,
    ),
    ErrorKind.REPO_LOCKED: KindSpec(
        "the repository {repository} is locked by PID {pid} on {host} (since {age} ago)",
        "wait for that process to finish; if it is gone, `restic unlock` removes its lock",
        11,
    ),
    ErrorKind.SOURCE_MISSING: KindSpec(
        "source not found: {detail}", "fix the paths in the profile's [source] section", 1
    ),
    ErrorKind.FILES_UNREADABLE: KindSpec(
        "{count} file(s) could not be read and are not in the backup: {detail}",
        "check their permissions; the backup of everything else was kept",
        EXIT_WARNINGS,
    ),
    ErrorKind.FILES_VANISHED: KindSpec(
        "{count} file(s) vanished while the backup ran: {detail}",
        "files deleted during a backup are normal for a running application",
        EXIT_WARNINGS,
    ),
    ErrorKind.DESTINATION_UNREACHABLE: KindSpec(
        "destination {destination} is unreachable: {detail}",
        "check that the host is up and the path exists (for ssh: host, port, network)",
        14,
    ),
    ErrorKind.AUTH_FAILED: KindSpec(
        "authentication to {destination} failed: {detail}",
        "check the identity file and that its public key is in the server's authorized_keys",
        15,
    ),
    ErrorKind.DISK_FULL: KindSpec(
        "no space left at destination {destination}: {detail}",
        "free space there or prune old backups (`tui-backup backup prune`)",
        16,
    ),
    ErrorKind.INTERRUPTED: KindSpec(
        "{tool} was interrupted by a signal", "run the backup again; nothing incomplete was kept", 130
    ),
    ErrorKind.TIMED_OUT: KindSpec(
        "the job took longer than its timeout ({detail})", "raise the policy's timeout or find what is slow", 124
    ),
    ErrorKind.DESTINATION_BUSY: KindSpec(
        "destination {destination} is busy: {detail}",
        "wait for that job (or run with --wait), or cancel it with `tui-backup jobs cancel {job}`",
        75,
    ),
    ErrorKind.FAILED: KindSpec("{tool} failed: {detail}", "see the job's log: `tui-backup jobs log {job}`", 1),
}

HOST_KEY_HINT = (
    "the server's host key is not in known_hosts (or changed): check it, then add it with "
    "`ssh-keyscan -p PORT HOST >> known_hosts` — tui-backup never accepts host keys by itself"
)


@dataclass(frozen=True)
class ResticLock:
    """Who holds a restic repository lock, as restic reports it."""

    pid: int
    host: str
    user: str
    created_at: str  # as printed by restic (local time)
    age: str  # e.g. "1.505631187s", "2h3m0s"
    exclusive: bool = False


@dataclass(frozen=True)
class Classification:
    status: str  # SUCCEEDED / SUCCEEDED_WITH_WARNINGS / FAILED
    kind: ErrorKind | None = None
    message: str = ""
    hint: str = ""
    paths: tuple[str, ...] = ()
    lock: ResticLock | None = None
    exit_code: int = 0  # the tool's

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def raise_if_failed(self) -> None:
        if self.failed:
            raise JobError(self.kind or ErrorKind.FAILED, self.message, self.hint, paths=self.paths, lock=self.lock)


class JobError(TuiBackupError):
    """A classified failure: the runner reports its kind, message and hint in `Finished`."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        hint: str = "",
        *,
        paths: tuple[str, ...] = (),
        lock: ResticLock | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.paths = paths
        self.lock = lock
        self.exit_code = KINDS[kind].exit_code


class _Ctx(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?" if key not in ("destination", "repository") else "the destination"


def describe(kind: ErrorKind, context: Mapping[str, object] | None = None, **fields: object) -> tuple[str, str]:
    """The (message, hint) of `kind`, its templates filled from context and fields."""
    values = _Ctx(context or {})
    values.update(fields)
    tool = str(values.get("tool", "the tool"))
    values.setdefault("install", INSTALL_HINTS.get(tool, f"install {tool} with your package manager"))
    values.setdefault("job", "ID")
    spec = KINDS[kind]
    return spec.message.format_map(values), spec.hint.format_map(values)


def make(
    status: str,
    kind: ErrorKind,
    context: Mapping[str, object] | None,
    *,
    exit_code: int,
    paths: tuple[str, ...] = (),
    lock: ResticLock | None = None,
    hint: str | None = None,
    **fields: object,
) -> Classification:
    message, default_hint = describe(kind, context, **fields)
    return Classification(status, kind, message, hint or default_hint, paths, lock, exit_code)


def tool_missing(tool: str, context: Mapping[str, object] | None = None) -> Classification:
    return make(FAILED, ErrorKind.TOOL_MISSING, {**(context or {}), "tool": tool}, exit_code=127)


def _summarise_paths(paths: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _clean(lines: Iterable[str]) -> list[str]:
    """Strip terminal escapes and carriage returns; drop blank lines."""
    out = []
    for line in lines:
        text = _ANSI.sub("", line).replace("\r", "").strip()
        if text:
            out.append(text)
    return out


def _ssh_failure(lines: list[str], context: Mapping[str, object]) -> Classification | None:
    """ssh's own messages (for rsync over ssh and restic over sftp); None if none found."""
    for line in lines:
        if "Host key verification failed" in line or "REMOTE HOST IDENTIFICATION HAS CHANGED" in line:
            return make(FAILED, ErrorKind.AUTH_FAILED, context, exit_code=0, hint=HOST_KEY_HINT,
                        detail="host key verification failed")
    for line in lines:
        if "Permission denied (" in line or "Too many authentication failures" in line:
            return make(FAILED, ErrorKind.AUTH_FAILED, context, exit_code=0, detail=_after_colon(line))
    for marker in ("Connection refused", "Could not resolve hostname", "No route to host", "Connection timed out",
                   "Network is unreachable", "Connection reset by peer", "Connection closed by",
                   "Name or service not known", "Operation timed out",
                   "closed by remote host"):  # "Connection to HOST closed by remote host." (mid-transfer)
        for line in lines:
            if marker in line:
                return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, context, exit_code=0, detail=_ssh_detail(line))
    return None


def _after_colon(line: str) -> str:
    return line.split(": ", 1)[1] if ": " in line else line


def _ssh_detail(line: str) -> str:
    # "ssh: connect to host 127.0.0.1 port 22: Connection refused" -> without the "ssh: " prefix
    for prefix in ("subprocess ssh: ", "ssh: "):
        if line.startswith(prefix):
            line = line[len(prefix) :]
    return line.removeprefix("ssh: ")


def _with_exit(c: Classification, exit_code: int) -> Classification:
    return Classification(c.status, c.kind, c.message, c.hint, c.paths, c.lock, exit_code)


# ---- restic ----

_RESTIC_LOCK = re.compile(
    r"repository is already locked (?P<excl>exclusively )?by PID (?P<pid>\d+) on (?P<host>\S+) by (?P<user>.+?) \(UID"
)
_RESTIC_LOCK_AGE = re.compile(r"lock was created at (?P<at>.+?) \((?P<age>.+?) ago\)")
_RESTIC_MISSING = re.compile(r"^(?P<path>.+) does not exist, skipping$")


def parse_restic_lock(lines: Iterable[str]) -> ResticLock | None:
    """The holder of a restic lock from restic's "already locked" message, if present."""
    holder: re.Match[str] | None = None
    age: re.Match[str] | None = None
    for line in lines:
        holder = holder or _RESTIC_LOCK.search(line)
        age = age or _RESTIC_LOCK_AGE.search(line)
    if holder is None:
        return None
    return ResticLock(
        pid=int(holder["pid"]),
        host=holder["host"],
        user=holder["user"],
        created_at=age["at"] if age else "",
        age=age["age"] if age else "?",
        exclusive=bool(holder["excl"]),
    )


def restic_error_items(lines: Iterable[str]) -> tuple[str, ...]:
    """Paths of restic's JSON `error` messages (unreadable files), in order, without repeats."""
    seen: dict[str, None] = {}
    for line in lines:
        if line.startswith("{") and '"error"' in line:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("message_type") == "error":
                item = msg.get("item") or (msg.get("error") or {}).get("Path")
                if isinstance(item, str) and item:
                    seen.setdefault(item, None)
    return tuple(seen)


def classify_restic(
    exit_code: int, stderr_lines: Iterable[str], context: Mapping[str, object] | None = None
) -> Classification:
    """What a restic run's exit code and stderr mean (restic 0.14 to 0.18)."""
    ctx: dict[str, object] = {"tool": "restic", **(context or {})}
    lines = _clean(stderr_lines)
    text = "\n".join(lines)
    missing = tuple(m["path"] for line in lines if (m := _RESTIC_MISSING.match(line)))
    unreadable = restic_error_items(lines)
    if exit_code == 0:
        if missing:
            return make(SUCCEEDED_WITH_WARNINGS, ErrorKind.SOURCE_MISSING, ctx, exit_code=0, paths=missing,
                        detail=_summarise_paths(missing), count=len(missing))
        return Classification(SUCCEEDED, exit_code=0)
    if exit_code == 3:
        paths = unreadable + missing
        return make(SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_UNREADABLE, ctx, exit_code=3, paths=paths,
                    detail=_summarise_paths(paths) or "see the job's log", count=len(paths) or "some")
    if exit_code in (130, 143) or "signal interrupt received" in text:
        return make(FAILED, ErrorKind.INTERRUPTED, ctx, exit_code=exit_code)
    lock = parse_restic_lock(lines)
    if exit_code == 11 or lock is not None:
        if lock is None:
            return make(FAILED, ErrorKind.REPO_LOCKED, ctx, exit_code=exit_code, pid="?", host="?", age="?")
        return make(FAILED, ErrorKind.REPO_LOCKED, ctx, exit_code=exit_code, lock=lock, pid=lock.pid,
                    host=lock.host, age=lock.age)
    if exit_code == 12 or "wrong password or no key found" in text:
        return make(FAILED, ErrorKind.WRONG_PASSWORD, ctx, exit_code=exit_code)
    if "no space left on device" in text.lower():
        return make(FAILED, ErrorKind.DISK_FULL, ctx, exit_code=exit_code, detail=_first(lines, "no space left"))
    ssh = _ssh_failure(lines, ctx)
    if ssh is not None:
        return _with_exit(ssh, exit_code)
    if "unable to start the sftp session" in text or "dial tcp" in text:
        return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, ctx, exit_code=exit_code,
                    detail=_first(lines, "Fatal:"))
    # the sftp connection died mid-run (host gone; ssh's own line may be lost, see above)
    if "ssh command exited" in text or "connection lost" in text:
        return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, ctx, exit_code=exit_code,
                    detail=_first(lines, "Fatal:").rpartition("Fatal: ")[2])
    if exit_code == 10 or "Is there a repository at" in text or "unable to open config file" in text:
        return make(FAILED, ErrorKind.REPO_NOT_INITIALISED, ctx, exit_code=exit_code)
    if "all target directories/files do not exist" in text:
        return make(FAILED, ErrorKind.SOURCE_MISSING, ctx, exit_code=exit_code, paths=missing,
                    detail=_summarise_paths(missing) or "none of the paths exist")
    return make(FAILED, ErrorKind.FAILED, ctx, exit_code=exit_code, detail=_last_error(lines, exit_code))


def _first(lines: list[str], needle: str) -> str:
    low = needle.lower()
    for line in lines:
        if low in line.lower():
            return line.removeprefix("Fatal: ")
    return lines[-1] if lines else ""


def _last_error(lines: list[str], exit_code: int) -> str:
    for line in reversed(lines):
        if line.startswith("Fatal:") or "error" in line.lower():
            return f"{line.removeprefix('Fatal: ')} (exit code {exit_code})"
    return f"exit code {exit_code}" + (f": {lines[-1]}" if lines else "")


# ---- rsync ----

_RSYNC_QUOTED = re.compile(r'"(?P<path>[^"]+)"')
_RSYNC_DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 30, 35, 255}


def _rsync_paths(lines: list[str], *needles: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for line in lines:
        if any(n in line for n in needles) and (m := _RSYNC_QUOTED.search(line)):
            seen.setdefault(m["path"], None)
    return tuple(seen)


def classify_rsync(
    exit_code: int, stderr_lines: Iterable[str], context: Mapping[str, object] | None = None
) -> Classification:
    """What an rsync run's exit code and stderr mean (rsync 3.2 to 3.5, local or over ssh)."""
    ctx: dict[str, object] = {"tool": "rsync", **(context or {})}
    lines = _clean(stderr_lines)
    text = "\n".join(lines)
    if exit_code == 0:
        return Classification(SUCCEEDED, exit_code=0)
    if exit_code == 24:
        paths = _rsync_paths(lines, "file has vanished")
        return make(SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_VANISHED, ctx, exit_code=24, paths=paths,
                    detail=_summarise_paths(paths) or "see the job's log", count=len(paths) or "some")
    if exit_code == 23:
        unreadable = _rsync_paths(lines, "Permission denied", "failed to open", "Input/output error")
        missing = _rsync_paths(lines, "link_stat")
        if unreadable:
            paths = unreadable + missing
            return make(SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_UNREADABLE, ctx, exit_code=23, paths=paths,
                        detail=_summarise_paths(paths), count=len(paths))
        if missing:
            return make(FAILED, ErrorKind.SOURCE_MISSING, ctx, exit_code=23, paths=missing,
                        detail=_summarise_paths(missing))
        return make(SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_UNREADABLE, ctx, exit_code=23,
                    detail="see the job's log", count="some")
    if exit_code in (20, 130, 143):
        return make(FAILED, ErrorKind.INTERRUPTED, ctx, exit_code=exit_code)
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return make(FAILED, ErrorKind.DISK_FULL, ctx, exit_code=exit_code, detail=_first(lines, "No space left"))
    ssh = _ssh_failure(lines, ctx)
    if ssh is not None:
        return _with_exit(ssh, exit_code)
    if exit_code == 11 and ("mkdir" in text or "No such file or directory" in text):
        return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, ctx, exit_code=11,
                    detail=_first(lines, "failed:").removeprefix("rsync: [Receiver] "))
    # ssh exiting 255 mid-transfer (sshd gone, sessions killed) is sometimes only rsync's
    # "unexplained error (code 255)" (ssh's own line is silenced by LogLevel=ERROR)
    if exit_code in (12, 255) and ("connection unexpectedly closed" in text
                                   or "unexplained error (code 255)" in text):
        return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, ctx, exit_code=exit_code,
                    detail="the connection closed unexpectedly")
    if exit_code == 5 or exit_code == 10 or exit_code == 35:
        return make(FAILED, ErrorKind.DESTINATION_UNREACHABLE, ctx, exit_code=exit_code,
                    detail=_last_error(lines, exit_code))
    why = _last_error(lines, exit_code)
    if exit_code not in _RSYNC_DOCUMENTED:
        why = f"unknown exit code {exit_code}" + (f": {lines[-1]}" if lines else "")
    return make(FAILED, ErrorKind.FAILED, ctx, exit_code=exit_code, detail=why)


def exit_code_for(status: str, kind: str | None) -> int:
    """The CLI's exit code for a finished job."""
    if status == SUCCEEDED:
        return 0
    if status == SUCCEEDED_WITH_WARNINGS:
        return EXIT_WARNINGS
    if status == "cancelled":
        return 130
    try:
        return KINDS[ErrorKind(kind)].exit_code if kind else 1
    except ValueError:
        return 1


__all__ = [
    "Classification",
    "ErrorKind",
    "JobError",
    "KINDS",
    "KindSpec",
    "ResticLock",
    "classify_restic",
    "classify_rsync",
    "describe",
    "exit_code_for",
    "parse_restic_lock",
    "restic_error_items",
    "tool_missing",
]
