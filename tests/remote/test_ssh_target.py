"""Unit tests of tui_backup.destinations.ssh: parsing, validation, and the command lines built.

The end-to-end tests (test_rsync_ssh.py, test_restic_remote.py) prove the same strings work
with the real ssh, rsync and restic; these pin the rules and the hostile inputs.
"""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_backup.destinations._ssh_quote import UnquotableError, pflag_list_item, restic_command
from tui_backup.destinations.ssh import (
    SSH_CONFIG_KEYS,
    InvalidSshTarget,
    SshSettings,
    SshTarget,
    is_remote,
    parse_remote,
    parse_restic_sftp,
    remote_from_config,
    ssh_settings_from_config,
)
from tui_backup.errors import EXIT_USAGE, ConfigError


def restic_split(data: str) -> list[str]:
    """restic 0.14's SplitShellStrings (internal/backend/shell_split.go), line for line."""
    quote = ""
    last = ""
    out: list[str] = []
    start = -1
    for i, c in enumerate(data):
        split = False
        handled = False
        if last != "\\":
            if quote and c == quote:
                quote, split, handled = "", True, True
            elif not quote and c in "\"'":
                quote, split, handled = c, True, True
        if not handled:
            last = c
            split = False if quote else (c == "\\" or c.isspace())
        if split:
            if start >= 0:
                out.append(data[start:i])
                start = -1
        elif start == -1:
            start = i
    if start >= 0:
        out.append(data[start:])
    assert not quote, "unterminated quote"
    return out


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "remote"),
    [
        ("host:path", True),
        ("user@host:/srv/b", True),
        ("[::1]:/x", True),
        ("/abs/a:b", False),
        ("./a:b", False),
        ("rel/dir:x", False),
        ("plain", False),
        (":x", False),
    ],
)
def test_is_remote(spec: str, remote: bool) -> None:
    assert is_remote(spec) is remote


def test_parse_remote_forms() -> None:
    r = parse_remote("backup@nas.example.org:/srv/backups/app")
    assert (r.target.user, r.target.host, r.path) == (
        "backup",
        "nas.example.org",
        "/srv/backups/app",
    )
    r = parse_remote("nas:rel dir")
    assert (r.target.user, r.target.host, r.path) == (None, "nas", "rel dir")
    r = parse_remote("me@[fe80::1%eth0]:/b")
    assert (r.target.user, r.target.host, r.path) == ("me", "fe80::1%eth0", "/b")
    assert r.rsync_arg() == "me@[fe80::1%eth0]:/b"
    settings = SshSettings(
        port=2222,
        identity_file=Path("/k"),
        known_hosts_file=Path("/kh"),
        ssh_options=("ProxyJump=j",),
    )
    r = parse_remote("h:/p", settings)
    assert (
        r.target.port,
        r.target.identity_file,
        r.target.known_hosts_file,
        r.target.ssh_options,
    ) == (2222, Path("/k"), Path("/kh"), ("ProxyJump=j",))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("-oProxyCommand=evil:path", "starts with '-'"),
        ("user@-host:path", "starts with '-'"),
        ("-l@host:path", "not a valid user name (it starts with '-')"),
        ("@host:path", "empty user name"),
        ("host:", "remote path is empty"),
        ("ho st:path", "not a valid host name"),
        ("ho;st:path", "not a valid host name"),
        ("$(reboot):path", "not a valid host name"),
        ("host:pa\nth", "control character"),
        ("rsync://host/module", "rsync daemon"),
        ("host::module", "rsync daemon"),
        ("/local/path", "not a remote location"),
        ("[nothex]:x", "not an IPv6 address"),
        ("us er@host:x", "not a valid user name"),
    ],
)
def test_parse_remote_refuses(spec: str, message: str) -> None:
    with pytest.raises(InvalidSshTarget) as err:
        parse_remote(spec)
    assert message in err.value.message
    assert err.value.exit_code == EXIT_USAGE


def test_parse_restic_sftp() -> None:
    r = parse_restic_sftp("sftp:u@h:/repo")
    assert r is not None and (r.target.user, r.target.host, r.path) == ("u", "h", "/repo")
    r = parse_restic_sftp("sftp://u@h:2222/srv/repo")
    assert r is not None and (r.target.port, r.path) == (2222, "/srv/repo")
    r = parse_restic_sftp("sftp://[::1]:2200/srv/repo")
    assert r is not None and (r.target.host, r.target.port) == ("::1", 2200)
    assert r.restic_repository() == "sftp://[::1]/srv/repo"
    assert parse_restic_sftp("s3:http://x/b") is None
    assert parse_restic_sftp("/local/repo") is None
    with pytest.raises(InvalidSshTarget, match="differs from the port key"):
        parse_restic_sftp("sftp://h:2222/r", SshSettings(port=22))
    with pytest.raises(InvalidSshTarget, match="no path"):
        parse_restic_sftp("sftp://h")
    with pytest.raises(InvalidSshTarget, match="starts with '-'"):
        parse_restic_sftp("sftp:-oProxyCommand=x:/r")


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": 0}, "not between 1 and 65535"),
        ({"port": 70000}, "not between 1 and 65535"),
        ({"port": True}, "not between 1 and 65535"),
        ({"identity_file": Path("rel/key")}, "not an absolute path"),
        ({"identity_file": Path("/k/${HOME}/key")}, "'${'"),
        ({"known_hosts_file": Path("/a\nb")}, "control character"),
        ({"ssh_options": ("StrictHostKeyChecking=no",)}, "cannot be set"),
        ({"ssh_options": ("stricthostkeychecking accept-new",)}, "not of the form"),
        ({"ssh_options": ("StrictHostKeyChecking=accept-new",)}, "cannot be set"),
        ({"ssh_options": ("UserKnownHostsFile=/dev/null",)}, "cannot be set"),
        ({"ssh_options": ("BatchMode=no",)}, "cannot be set"),
        ({"ssh_options": ("IdentityFile=/k",)}, "cannot be set"),
        ({"ssh_options": ("Port=22",)}, "cannot be set"),
        ({"ssh_options": ("-oProxyCommand=x",)}, "not of the form"),
        ({"ssh_options": ("NoValue",)}, "not of the form"),
        ({"ssh_options": ("Empty=",)}, "not of the form"),
        ({"ssh_options": ("A=b\nc",)}, "control character"),
    ],
)
def test_target_refuses(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSshTarget) as err:
        SshTarget(host="h", **changes)  # type: ignore[arg-type]
    assert message in err.value.message
    assert err.value.hint


def test_managed_option_hint_points_to_the_key() -> None:
    with pytest.raises(InvalidSshTarget) as err:
        SshTarget(host="h", ssh_options=("UserKnownHostsFile=/x",))
    assert "known_hosts_file" in err.value.hint


def test_options_are_normalised() -> None:
    t = SshTarget(host="h", ssh_options=(" ProxyJump = bastion ",))
    assert t.ssh_options == ("ProxyJump=bastion",)


# -- command lines ---------------------------------------------------------------------------


def full_target(identity: str = "/keys/id", known: str = "/keys/known_hosts") -> SshTarget:
    return SshTarget(
        host="nas",
        user="backup",
        port=2222,
        identity_file=Path(identity),
        known_hosts_file=Path(known),
        ssh_options=("ProxyJump=bastion", "ConnectTimeout=5"),
    )


def option_values(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]


def test_ssh_argv_checks_host_keys_and_never_prompts() -> None:
    argv = full_target().ssh_argv()
    opts = option_values(argv)
    assert argv[0] == "ssh"
    assert opts[:3] == ["BatchMode=yes", "StrictHostKeyChecking=yes", "LogLevel=ERROR"]
    assert "UserKnownHostsFile=/keys/known_hosts" in opts
    assert "IdentityFile=/keys/id" in opts and "IdentitiesOnly=yes" in opts
    assert argv[argv.index("-p") + 1] == "2222"
    assert not any(
        o.lower().startswith("stricthostkeychecking=") and o != "StrictHostKeyChecking=yes"
        for o in opts
    )
    # ssh keeps the first value: the user's options come after the fixed ones and before the
    # soft defaults, so the user's ConnectTimeout=5 wins over the default 20.
    assert opts.index("ConnectTimeout=5") < opts.index("ConnectTimeout=20")
    assert opts.index("StrictHostKeyChecking=yes") < opts.index("ProxyJump=bastion")


def test_minimal_target_argv() -> None:
    argv = SshTarget(host="h").ssh_argv()
    assert "-p" not in argv and "IdentitiesOnly=yes" not in argv
    assert not any(a.startswith("UserKnownHostsFile") for a in argv)
    assert "StrictHostKeyChecking=yes" in argv


def test_ssh_command_ends_options_before_the_host() -> None:
    argv = full_target().ssh_command("true")
    assert argv[-3:] == ["--", "backup@nas", "true"]


def test_percent_and_quotes_escaped_for_ssh() -> None:
    opts = option_values(full_target(identity="/k/a b %h 'q'").ssh_argv())
    assert "IdentityFile=/k/a\\ b\\ %%h\\ \\'q\\'" in opts


HOSTILE_PATHS = [
    "/k/plain",
    "/k/with space/key",
    "/k/it's/key",
    '/k/say "hi"/key',
    "/k/both ' and \"/key",
    "/k/$(touch pwned)`id`;|&<>*?/key",
    "/k/%h %% %d/key",
    "/-dash/key",
    "/k/back\\slash/key",
    "/k/tab\there",  # refused: control character
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_rsync_rsh_splits_back_exactly(path: str) -> None:
    if "\t" in path:
        with pytest.raises(InvalidSshTarget):
            full_target(identity=path)
        return
    target = full_target(identity=path, known=path + ".kh")
    # rsync's -e splitter agrees with POSIX shell words for shlex.quote output.
    assert shlex.split(target.rsync_rsh()) == target.ssh_argv()


@pytest.mark.parametrize("path", HOSTILE_PATHS[:-1])
def test_restic_sftp_command_splits_back_exactly(path: str) -> None:
    target = full_target(identity=path)
    expected = [*target.ssh_argv(), "-s", "--", "backup@nas", "sftp"]
    if "'" in path and '"' in path:
        with pytest.raises(UnquotableError, match="both quote characters"):
            target.restic_sftp_command()
        return
    assert restic_split(target.restic_sftp_command()) == expected


@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1),
        min_size=1,
        max_size=6,
    )
)
def test_restic_command_round_trip(words: list[str]) -> None:
    try:
        line = restic_command(words)
    except UnquotableError:
        assert any(("'" in w and '"' in w) or w.endswith("\\") for w in words)
        return
    assert restic_split(line) == words


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1))
def test_pflag_list_item_is_one_csv_field(value: str) -> None:
    # restic's -o is a pflag string slice: its value is parsed as one CSV record.
    assert next(csv.reader([pflag_list_item(value)])) == [value]


def test_restic_options_are_one_argument_each() -> None:
    remote = parse_remote(
        "backup@nas:/srv/repo", SshSettings(port=2222, identity_file=Path("/k/a, b"))
    )
    options = remote.restic_options()
    assert options[0] == "-o" and len(options) == 2
    value = next(csv.reader([options[1]]))
    assert len(value) == 1 and value[0].startswith("sftp.command=ssh ")
    assert value[0].endswith(" -s -- backup@nas sftp")
    assert remote.restic_repository() == "sftp:backup@nas:/srv/repo"


def test_rsync_arg_protects_leading_dash_and_joins_parts() -> None:
    assert parse_remote("h:-x").rsync_arg() == "h:./-x"
    assert parse_remote("u@h:/srv/b/").rsync_arg("2024", "files") == "u@h:/srv/b/2024/files"
    assert parse_remote("h:-b").rsync_arg("t") == "h:./-b/t"
    assert parse_remote("h:/").rsync_arg("t") == "h:/t"
    assert parse_remote("h:/srv").rsync_args() == ["-e", parse_remote("h:/srv").target.rsync_rsh()]


def test_ipv6_restic_needs_absolute_path() -> None:
    with pytest.raises(InvalidSshTarget, match="absolute path"):
        parse_remote("[::1]:rel").restic_repository()


def test_display() -> None:
    assert full_target().display == "backup@nas:2222"
    assert parse_remote("[::1]:/x").display == "[::1]:/x"


# -- config ----------------------------------------------------------------------------------


def test_settings_from_config(tmp_path: Path, isolated_home: Path) -> None:
    table = {
        "path": "u@h:/srv",
        "port": 2222,
        "identity_file": "keys/id",
        "known_hosts_file": "~/.ssh/known_hosts",
        "ssh_options": ["ProxyJump=bastion"],
    }
    s = ssh_settings_from_config(table, file="cfg.toml", where="destination.offsite", base=tmp_path)
    assert s == SshSettings(
        2222, tmp_path / "keys/id", isolated_home / ".ssh/known_hosts", ("ProxyJump=bastion",)
    )
    assert ssh_settings_from_config({}, file="f", where="d") == SshSettings()
    assert set(SSH_CONFIG_KEYS) == {"port", "identity_file", "known_hosts_file", "ssh_options"}


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"port": "22"}, "port", "must be a port number"),
        ({"port": 0}, "port", "must be a port number"),
        ({"port": True}, "port", "must be a port number"),
        ({"identity_file": 5}, "identity_file", "must be a string"),
        ({"identity_file": "/a/${X}"}, "identity_file", "'${'"),
        ({"ssh_options": "ProxyJump=x"}, "ssh_options", "list of strings"),
        ({"ssh_options": [1]}, "ssh_options", "list of strings"),
        ({"ssh_options": ["StrictHostKeyChecking=no"]}, "ssh_options", "cannot be set"),
    ],
)
def test_settings_errors_name_file_and_key(
    table: dict[str, object], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        ssh_settings_from_config(table, file="/etc/app.toml", where="destination.offsite", line=7)
    assert err.value.key == f"destination.offsite.{key}"
    assert err.value.message.startswith(f"/etc/app.toml:7: destination.offsite.{key}: ")
    assert message in err.value.message
    assert err.value.exit_code == EXIT_USAGE


def test_remote_from_config() -> None:
    r = remote_from_config("u@h:/b", {"port": 22}, file="f", where="destination.x", spec_key="path")
    assert r.target.port == 22
    with pytest.raises(ConfigError, match=r"destination.x.path: .*starts with '-'"):
        remote_from_config("-h:/b", {}, file="f", where="destination.x", spec_key="path")
    r = remote_from_config(
        "sftp:u@h:/repo", {}, file="f", where="d", spec_key="repository", restic=True
    )
    assert r.restic_repository() == "sftp:u@h:/repo"
    with pytest.raises(ConfigError, match="not an sftp: repository"):
        remote_from_config("/local", {}, file="f", where="d", spec_key="repository", restic=True)
