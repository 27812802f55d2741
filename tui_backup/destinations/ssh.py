"""SSH connection settings for remote destinations: parsing, validation, command lines.

A remote location is written `[user@]host:path` (rsync's syntax) or, for restic,
`sftp:[user@]host:path` / `sftp://[user@]host[:port]/path`. The connection settings come from
four optional config keys of a destination table (see `SSH_CONFIG_KEYS`).

Every ssh this module builds runs non-interactively (`BatchMode=yes`) and checks host keys
(`StrictHostKeyChecking=yes`): an unknown or changed host key is an error, never accepted.
ssh keeps the first value it gets for an option, so these come first and the user's
`ssh_options` cannot weaken them; soft defaults (timeouts) come after and can be overridden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_backup.destinations._ssh_quote import (
    UnquotableError,
    pflag_list_item,
    restic_command,
    rsync_rsh,
    ssh_config_value,
    ssh_percent_escape,
)
from tui_backup.errors import ConfigError, UsageError

__all__ = [
    "SSH_CONFIG_KEYS",
    "InvalidSshTarget",
    "RemotePath",
    "SshSettings",
    "SshTarget",
    "UnquotableError",
    "is_remote",
    "parse_remote",
    "parse_restic_sftp",
    "remote_from_config",
    "ssh_settings_from_config",
]

SSH_CONFIG_KEYS: Mapping[str, str] = {
    "port": "SSH port of the remote host (default: 22 or your ~/.ssh/config).",
    "identity_file": "Private key to log in with (only this key is offered).",
    "known_hosts_file": "known_hosts file holding the host's key (default: ~/.ssh/known_hosts).",
    "ssh_options": 'Extra ssh options, each "Name=value" (e.g. "ProxyJump=bastion").',
}

# Options the tool sets itself, with the config key to use instead (or why not at all).
_MANAGED_OPTIONS: Mapping[str, str] = {
    "stricthostkeychecking": "host keys are always checked; add the host's key to known_hosts_file",
    "batchmode": "the tool never lets ssh prompt",
    "loglevel": "the tool reads ssh's error messages to explain failures",
    "userknownhostsfile": "use the known_hosts_file key",
    "identityfile": "use the identity_file key",
    "identitiesonly": "set by the tool when identity_file is set",
    "port": "use the port key",
    "user": "write the user as user@host",
    "hostname": "write the host in the location",
}

# Defaults placed after the user's options, so `ssh_options` may override them.
_SOFT_DEFAULTS: tuple[str, ...] = (
    "ConnectTimeout=20",
    # Detects a peer that vanished mid-transfer instead of hanging for hours.
    "ServerAliveInterval=15",
    "ServerAliveCountMax=4",
)

_HOST_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?\Z")
_USER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?\Z")
_OPTION_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S.*)\Z")


class InvalidSshTarget(UsageError):
    """A remote location or ssh setting that cannot be used."""


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _check_host(host: str) -> None:
    if not host:
        raise InvalidSshTarget("the remote host name is empty", hint="write it as [user@]host:path")
    if host.startswith("-"):
        raise InvalidSshTarget(
            f"host name {host!r} starts with '-' (it would be read as an option)",
            hint="use the real host name, or an alias from ~/.ssh/config",
        )
    if not (_HOST_RE.match(host) or _IPV6_RE.match(host)):
        raise InvalidSshTarget(
            f"{host!r} is not a valid host name",
            hint="use letters, digits, '.', '-' and '_', an IP address, or an alias from ~/.ssh/config",
        )


def _check_user(user: str) -> None:
    if not _USER_RE.match(user):
        raise InvalidSshTarget(
            f"{user!r} is not a valid user name"
            + (" (it starts with '-')" if user.startswith("-") else ""),
            hint="use letters, digits, '.', '-' and '_', not starting with '-'",
        )


def _check_file(what: str, path: Path) -> None:
    text = str(path)
    if not path.is_absolute():
        raise InvalidSshTarget(
            f"{what} {text!r} is not an absolute path", hint="give the full path"
        )
    if _has_control(text):
        raise InvalidSshTarget(
            f"{what} {text!r} contains a control character", hint="rename the file or directory"
        )
    if "${" in text:
        # ssh expands ${VAR} in file names and has no way to escape it.
        raise InvalidSshTarget(
            f"{what} {text!r} contains '${{', which ssh would expand as an environment variable",
            hint="rename the file or directory",
        )


def _check_option(option: str) -> str:
    """`Name=value` → the same, normalised; refuses options the tool manages itself."""
    if _has_control(option):
        raise InvalidSshTarget(
            f"ssh option {option!r} contains a control character", hint="write it on one line"
        )
    match = _OPTION_RE.match(option.strip())
    if match is None:
        raise InvalidSshTarget(
            f"ssh option {option!r} is not of the form Name=value",
            hint='write each one as "Name=value", e.g. "ProxyJump=bastion"',
        )
    name, value = match.group(1), match.group(2).rstrip()
    why = _MANAGED_OPTIONS.get(name.lower())
    if why is not None:
        raise InvalidSshTarget(f"ssh option {name!r} cannot be set in ssh_options", hint=why)
    return f"{name}={value}"


def _check_path(path: str) -> None:
    if not path:
        raise InvalidSshTarget(
            "the remote path is empty", hint="write it as [user@]host:PATH, e.g. host:/srv/backups"
        )
    if _has_control(path):
        raise InvalidSshTarget(
            f"remote path {path!r} contains a control character",
            hint="use a directory name without control characters",
        )


@dataclass(frozen=True)
class SshSettings:
    """The connection keys of a destination table, validated (see `ssh_settings_from_config`)."""

    port: int | None = None
    identity_file: Path | None = None
    known_hosts_file: Path | None = None
    ssh_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SshTarget:
    """One remote host to reach over ssh, validated on construction."""

    host: str
    user: str | None = None
    port: int | None = None
    identity_file: Path | None = None
    known_hosts_file: Path | None = None
    ssh_options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_host(self.host)
        if self.user is not None:
            _check_user(self.user)
        if self.port is not None and (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 1 <= self.port <= 65535
        ):
            raise InvalidSshTarget(
                f"port {self.port!r} is not between 1 and 65535",
                hint="use the host's ssh port (usually 22)",
            )
        if self.identity_file is not None:
            _check_file("identity file", self.identity_file)
        if self.known_hosts_file is not None:
            _check_file("known_hosts file", self.known_hosts_file)
        object.__setattr__(self, "ssh_options", tuple(_check_option(o) for o in self.ssh_options))

    @classmethod
    def from_settings(cls, host: str, user: str | None, settings: SshSettings) -> SshTarget:
        return cls(
            host=host,
            user=user,
            port=settings.port,
            identity_file=settings.identity_file,
            known_hosts_file=settings.known_hosts_file,
            ssh_options=settings.ssh_options,
        )

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    @property
    def destination(self) -> str:
        """`user@host` or `host`, as ssh takes it."""
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def display(self) -> str:
        """For messages: `user@host:port`."""
        host = f"[{self.host}]" if self.is_ipv6 else self.host
        where = f"{self.user}@{host}" if self.user else host
        return f"{where}:{self.port}" if self.port else where

    def ssh_argv(self, program: str = "ssh") -> list[str]:
        """ssh and its options, without the destination (what rsync's `-e` wants)."""
        argv = [
            program,
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "LogLevel=ERROR",
        ]
        if self.known_hosts_file is not None:
            kh = ssh_percent_escape(str(self.known_hosts_file))
            argv += ["-o", f"UserKnownHostsFile={ssh_config_value(kh)}"]
        if self.identity_file is not None:
            # Not `-i`: ssh checks a `-i` file exists before expanding `%`, so an escaped name
            # would be dropped; the config form is unescaped and expanded consistently.
            key = ssh_percent_escape(str(self.identity_file))
            argv += ["-o", f"IdentityFile={ssh_config_value(key)}", "-o", "IdentitiesOnly=yes"]
        if self.port is not None:
            argv += ["-p", str(self.port)]
        for option in (*self.ssh_options, *_SOFT_DEFAULTS):
            argv += ["-o", option]
        return argv

    def ssh_command(self, *remote: str, program: str = "ssh") -> list[str]:
        """A full ssh argv running `remote` on the host; `--` keeps the host from being an option."""
        return [*self.ssh_argv(program), "--", self.destination, *remote]

    def rsync_rsh(self, program: str = "ssh") -> str:
        """The value for `rsync -e` (one string; rsync splits it back into `ssh_argv`)."""
        return rsync_rsh(self.ssh_argv(program))

    def restic_sftp_command(self, program: str = "ssh") -> str:
        """The value for restic's `-o sftp.command=` (restic 0.14 has no `sftp.args`).

        `-s` before `--`: after `--` ssh takes the host and treats the rest as the subsystem.
        """
        return restic_command([*self.ssh_argv(program), "-s", "--", self.destination, "sftp"])


def _safe_remote_path(path: str) -> str:
    # A relative path starting with '-' could be read as an option by the remote rsync.
    return f"./{path}" if path.startswith("-") else path


@dataclass(frozen=True)
class RemotePath:
    """A path on a remote host."""

    target: SshTarget
    path: str

    def __post_init__(self) -> None:
        _check_path(self.path)

    @property
    def display(self) -> str:
        return f"{self.target.display}:{self.path}"

    def rsync_arg(self, *parts: str) -> str:
        """`[user@]host:path[/parts]` for rsync's argument list (after `--`)."""
        path = self.path
        if parts:
            path = f"{path.rstrip('/')}/{'/'.join(parts)}"
        path = _safe_remote_path(path)
        host = f"[{self.target.host}]" if self.target.is_ipv6 else self.target.host
        who = f"{self.target.user}@{host}" if self.target.user else host
        return f"{who}:{path}"

    def rsync_args(self, program: str = "ssh") -> list[str]:
        """The options that make rsync use this target's ssh: `["-e", RSH]`."""
        return ["-e", self.target.rsync_rsh(program)]

    def restic_repository(self) -> str:
        """The `-r` value; with `sftp.command` set, restic uses only its path."""
        if self.target.is_ipv6:
            if not self.path.startswith("/"):
                raise InvalidSshTarget(
                    f"restic needs an absolute path for an IPv6 host, not {self.path!r}",
                    hint="write the full path, or use a host name",
                )
            user = f"{self.target.user}@" if self.target.user else ""
            return f"sftp://{user}[{self.target.host}]{self.path}"
        return f"sftp:{self.target.destination}:{self.path}"

    def restic_options(self, program: str = "ssh") -> list[str]:
        """restic's `["-o", "sftp.command=..."]` (one argv element each; no shell)."""
        return ["-o", pflag_list_item(f"sftp.command={self.target.restic_sftp_command(program)}")]


def is_remote(spec: str) -> bool:
    """Whether an rsync location is remote: a ':' before any '/' (rsync's own rule)."""
    colon = spec.find(":")
    if colon <= 0:
        return False
    slash = spec.find("/")
    return slash == -1 or colon < slash


def _split_user_host(who: str) -> tuple[str | None, str]:
    if "@" in who:
        user, _, host = who.rpartition("@")
        if not user:
            raise InvalidSshTarget(
                f"empty user name in {who!r}", hint="write user@host or just host"
            )
        return user, host
    return None, who


def parse_remote(spec: str, settings: SshSettings | None = None) -> RemotePath:
    """`[user@]host:path` (or `[user@][v6addr]:path`) → `RemotePath`; raises `InvalidSshTarget`."""
    if spec.startswith("rsync://") or re.match(r"[^/\[]*::", spec):
        raise InvalidSshTarget(
            f"{spec!r} is an rsync daemon location, which is not supported",
            hint="use [user@]host:path (rsync over ssh)",
        )
    if not is_remote(spec):
        raise InvalidSshTarget(
            f"{spec!r} is not a remote location", hint="write it as [user@]host:path"
        )
    bracket = re.match(r"(?:([^@/]*)@)?\[([^\]/]*)\]:(.*)\Z", spec, re.DOTALL)
    if bracket:
        user, host, path = bracket.group(1), bracket.group(2), bracket.group(3)
        if user == "":
            raise InvalidSshTarget(
                f"empty user name in {spec!r}", hint="write user@host or just host"
            )
        if ":" not in host:
            raise InvalidSshTarget(
                f"{host!r} in brackets is not an IPv6 address",
                hint="brackets are only for IPv6 addresses",
            )
    else:
        who, _, path = spec.partition(":")
        user, host = _split_user_host(who)
    target = SshTarget.from_settings(host, user, settings or SshSettings())
    return RemotePath(target, path)


def parse_restic_sftp(repository: str, settings: SshSettings | None = None) -> RemotePath | None:
    """A restic `sftp:` repository → `RemotePath`; `None` when it is not an sftp one."""
    settings = settings or SshSettings()
    if repository.startswith("sftp://"):
        rest = repository[len("sftp://") :]
        authority, slash, path = rest.partition("/")
        if not slash or not path:
            raise InvalidSshTarget(
                f"{repository!r} has no path", hint="write sftp://[user@]host[:port]/path"
            )
        user, hostport = _split_user_host(authority)
        port: int | None = None
        v6 = re.match(r"\[([^\]]*)\](?::(\d+))?\Z", hostport)
        if v6:
            host, port_text = v6.group(1), v6.group(2)
        else:
            host, _, port_text = hostport.partition(":")
        if port_text:
            if not port_text.isdigit():
                raise InvalidSshTarget(
                    f"port {port_text!r} in {repository!r} is not a number",
                    hint="write sftp://[user@]host[:port]/path",
                )
            port = int(port_text)
            if settings.port is not None and settings.port != port:
                raise InvalidSshTarget(
                    f"the port in {repository!r} ({port}) differs from the port key ({settings.port})",
                    hint="give the port in one place only",
                )
        settings = SshSettings(
            port or settings.port,
            settings.identity_file,
            settings.known_hosts_file,
            settings.ssh_options,
        )
        target = SshTarget.from_settings(host, user, settings)
        return RemotePath(target, "/" + path)
    if repository.startswith("sftp:"):
        return parse_remote(repository[len("sftp:") :], settings)
    return None


def _config_error(
    file: str, where: str, key: str, exc: InvalidSshTarget, line: int | None
) -> ConfigError:
    return ConfigError(file, exc.message, key=f"{where}.{key}", line=line, hint=exc.hint)


def _config_path(value: str, base: Path | None) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return path


def ssh_settings_from_config(
    table: Mapping[str, Any],
    *,
    file: str,
    where: str,
    base: Path | None = None,
    line: int | None = None,
) -> SshSettings:
    """Read and check the `SSH_CONFIG_KEYS` of a destination table (other keys are ignored).

    `where` names the table in messages (e.g. `destination.offsite`); relative file names are
    taken from `base` (the config file's directory) and `~` is expanded.
    Raises `ConfigError` naming the file and key.
    """

    def wrong(key: str, problem: str, hint: str) -> ConfigError:
        return ConfigError(file, problem, key=f"{where}.{key}", line=line, hint=hint)

    port = table.get("port")
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535
    ):
        raise wrong(
            "port", f"must be a port number from 1 to 65535, not {port!r}", SSH_CONFIG_KEYS["port"]
        )
    files: dict[str, Path | None] = {}
    for key in ("identity_file", "known_hosts_file"):
        value = table.get(key)
        if value is None or value == "":
            files[key] = None
            continue
        if not isinstance(value, str):
            raise wrong(key, f"must be a string, not {type(value).__name__}", SSH_CONFIG_KEYS[key])
        path = _config_path(value, base)
        try:
            _check_file(key.replace("_", " "), path)
        except InvalidSshTarget as exc:
            raise _config_error(file, where, key, exc, line) from None
        files[key] = path
    raw_options = table.get("ssh_options", [])
    if (
        not isinstance(raw_options, Sequence)
        or isinstance(raw_options, str)
        or not all(isinstance(o, str) for o in raw_options)
    ):
        raise wrong("ssh_options", "must be a list of strings", SSH_CONFIG_KEYS["ssh_options"])
    options: list[str] = []
    for option in raw_options:
        try:
            options.append(_check_option(option))
        except InvalidSshTarget as exc:
            raise _config_error(file, where, "ssh_options", exc, line) from None
    return SshSettings(port, files["identity_file"], files["known_hosts_file"], tuple(options))


def remote_from_config(
    spec: str,
    table: Mapping[str, Any],
    *,
    file: str,
    where: str,
    spec_key: str,
    base: Path | None = None,
    line: int | None = None,
    restic: bool = False,
) -> RemotePath:
    """The remote location in `table[spec_key]` with the table's ssh settings, as `ConfigError`s.

    With `restic=True`, `spec` is a restic `sftp:` repository; otherwise rsync's `[user@]host:path`.
    """
    settings = ssh_settings_from_config(table, file=file, where=where, base=base, line=line)
    try:
        remote = parse_restic_sftp(spec, settings) if restic else parse_remote(spec, settings)
    except InvalidSshTarget as exc:
        raise _config_error(file, where, spec_key, exc, line) from None
    if remote is None:
        raise ConfigError(
            file,
            f"{spec!r} is not an sftp: repository",
            key=f"{where}.{spec_key}",
            line=line,
            hint="write sftp:[user@]host:path",
        )
    return remote
