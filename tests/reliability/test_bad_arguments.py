"""Bad command-line arguments and hostile file names (issue 7, bad input).

- Ids that do not exist (snapshot, restore point, job, trash item, policy, destination) and ids
  that look like options, patterns or paths: one clear error, exit 2, nothing changed.
- A files tree whose names look like options (`--delete`, `-e touch pwned`), hold spaces,
  quotes, newlines, non-UTF-8 bytes or 255 bytes, backed up and restored through every
  destination tool (local directory and archive, rsync, rsync over SSH, restic): every file
  comes back byte for byte and nothing reads a name as an option (no `pwned` file appears, no
  file is deleted).
- Symlink loops, fifos, sockets and device files in the tree: the backup and the restore end
  (real processes, under a timeout) with success or a clear error, never a hang.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.cli.helpers import Result, cli, run_bin
from tests.helpers import add_destination, append_toml, open_service
from tests.postgres.conftest import pg_server  # noqa: F401  (a fixture used here)
from tests.postgres.pgserver import APP_ROLE, PgServer
from tests.reliability.conftest import CaseRecorder
from tests.remote.conftest import (  # noqa: F401  (fixtures used here)
    RESTIC_TEST_PASSWORD,
    password_file,
    restic_template,
    sshd,
    sshd_server,
)
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tui_backup.config import ConfigDocument
from tui_backup.service.backup_restore import RestoreScope
from tui_backup.service.setup import InitRequest, init_profile

AREA = "Bad input"

# name (bytes: some are not UTF-8) -> content. Option-like names first: rsync, restic, ssh and
# tar must see them as paths.
HOSTILE_NAMES: dict[bytes, bytes] = {
    b"--delete": b"not an option\n",
    b"-e touch pwned": b"not a remote shell\n",
    b"--help": b"help?\n",
    b"-rf": b"dash\n",
    b"with space.txt": b"space\n",
    b"quote'\"`$(touch pwned).txt": b"quotes\n",
    b"new\nline.txt": b"newline\n",
    b"tab\there;touch pwned": b"tab\n",
    b"\xff\xfe-not-utf8.bin": b"latin\xff\n",
    b"x" * 255: b"long name\n",
    b"\xc3\xa9t\xc3\xa9 \xe2\x80\xae.txt": b"unicode\n",
    b"*": b"star\n",
    b"[abc]": b"brackets\n",
}
HOSTILE_DIRS: tuple[bytes, ...] = (b"--include=*", b"-e ssh evil", b"sub dir")


def write_hostile_tree(root: Path) -> dict[bytes, bytes]:
    """Every hostile name at the top and inside each hostile directory; returns rel -> content."""
    out: dict[bytes, bytes] = {}
    base = os.fsencode(root)
    for d in (b"", *HOSTILE_DIRS):
        if d:
            os.mkdir(os.path.join(base, d))
        for name, content in HOSTILE_NAMES.items():
            rel = os.path.join(d, name) if d else name
            with open(os.path.join(base, rel), "wb") as f:
                f.write(content)
            out[rel] = content
    return out


def tree_files(root: Path) -> dict[bytes, bytes]:
    """rel path (bytes) -> content of every regular file under `root`."""
    base = os.fsencode(root)
    out: dict[bytes, bytes] = {}
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            full = os.path.join(dirpath, name)
            if stat.S_ISREG(os.lstat(full).st_mode):
                with open(full, "rb") as f:
                    out[os.path.relpath(full, base)] = f.read()
    return out


def find_tree(root: Path, marker: bytes) -> Path:
    """The directory under `root` (a restore target) that holds the file named `marker`."""
    for dirpath, _dirs, files in os.walk(os.fsencode(root)):
        if marker in files and os.path.basename(dirpath) not in HOSTILE_DIRS:
            return Path(os.fsdecode(dirpath))
    raise AssertionError(f"{marker!r} not restored under {root}: {sorted(tree_files(root))[:20]}")


def no_pwned(*roots: Path) -> None:
    for root in roots:
        for dirpath, _dirs, files in os.walk(os.fsencode(root)):
            assert b"pwned" not in files, f"a name was run as a command: {dirpath!r}"


def assert_refused(result: Result, code: int = 2) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr, result.stderr
    if lines and lines[0].startswith("Usage: "):  # Typer's own usage error (a job id that is no number)
        assert code == 2 and "Error" in result.stderr, result.stderr
        return
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert lines[-1].startswith(("error: ", "hint: ")), result.stderr


# ---- ids that do not exist ----

@pytest.fixture
def with_dest(profile_config: Path, drive: Path) -> Path:
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, '[[policy]]\nname = "nightly"\ndestination = "usb"\ninclude = "files"\n')
    return profile_config


BAD_IDS = ("nosuch", "%", "", "-x\n" + "0" * 300)


def nonexistent_commands(bad: str) -> list[tuple[str, ...]]:
    """Every command that takes an id or a name, given `bad` (after `--`, so it is an argument)."""
    return [
        ("snapshot", "show", "--", bad),
        ("snapshot", "verify", "--", bad),
        ("snapshot", "restore", "-y", "--", bad),
        ("snapshot", "delete", "-y", "--", bad),
        ("backup", "restore", "-y", "--", "usb", bad),
        ("backup", "remove", "-y", "--", "usb", bad),
        ("backup", "restore", "-y", "--", bad, "latest"),
        ("backup", "run", "--", bad),
        ("backup", "list", "--", bad),
        ("destination", "check", "--", bad),
        ("jobs", "show", "--", bad),
        ("jobs", "log", "--", bad),
        ("jobs", "cancel", "--", bad),
        ("trash", "show", "--", bad),
        ("trash", "restore", "--", bad),
        ("trash", "purge", "-y", "--", bad),
        ("policy", "show", "--", bad),
        ("policy", "edit", "--set", "state=paused", "--", bad),
        ("policy", "remove", "-y", "--", bad),
        ("policy", "run", "--", bad),
        ("policy", "pause", "--", bad),
        ("drill", "--", bad),
    ]


@pytest.mark.slow
def test_nonexistent_ids(with_dest: Path, cases: CaseRecorder) -> None:
    row = cases(AREA, "CLI: nonexistent or hostile ids (snapshot, point, job, trash item, policy, destination)",
                "exit 2 with one error line, no traceback; nothing listed changes, the config is byte-identical")
    with open_service(with_dest) as svc:  # one of each thing, so a pattern-like id could match it
        snap = svc.create_snapshot()
        svc.run_backup("usb", "files")
        svc.trash_put(Path(svc.config.source.files[0]) / "a.txt")
        jobs_before = [j.id for j in svc.list_jobs()]
    config_before = with_dest.read_bytes()
    for bad in BAD_IDS:
        for args in nonexistent_commands(bad):
            result = cli("--config", str(with_dest), *args)
            assert result.exit_code == 2, (args, result.exit_code, result.stdout, result.stderr)
            assert_refused(result)
            row.tried += 1
    assert with_dest.read_bytes() == config_before
    with open_service(with_dest) as svc:
        assert [s.id for s in svc.list_snapshots()] == [snap.id]
        assert len(svc.list_restore_points("usb")) == 1
        assert len(svc.trash_items()) == 1
        assert [j.id for j in svc.list_jobs()][-len(jobs_before):] == jobs_before


# ---- hostile names through every destination tool ----

def _configure(kind: str, config: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind in ("local", "archive", "rsync"):  # a plugged-in drive whose name looks like an option
        drive = tmp_path / f"--{kind} dest"
        drive.mkdir()
        if kind == "rsync":
            add_destination(config, "d", "rsync", path=str(drive))
        else:
            add_destination(config, "d", path=drive, archive=kind == "archive")
    elif kind == "rsync-ssh":
        server: SshServer = request.getfixturevalue("sshd")
        add_destination(config, "d", "rsync", path=f"{server.user}@{server.host}:{tmp_path / '-e remote dest'}",
                        port=server.port, identity_file=server.identity_file,
                        known_hosts_file=server.known_hosts_file, ssh_options=list(TEST_SSH_OPTIONS))
    elif kind == "restic":
        template: Path = request.getfixturevalue("restic_template")
        repo = tmp_path / "-restic repo"
        shutil.copytree(template, repo)
        add_destination(config, "d", "restic", repository=str(repo),
                        password_file=password_file(tmp_path, RESTIC_TEST_PASSWORD))
    else:
        raise AssertionError(kind)


@pytest.fixture
def in_scratch_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run with a scratch working directory: where a name run as a command would drop `pwned`."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    yield cwd


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "archive", "rsync", "rsync-ssh", "restic"])
def test_hostile_names_roundtrip(kind: str, profile_config: Path, app_dir: Path, tmp_path: Path,
                                 in_scratch_cwd: Path, request: pytest.FixtureRequest,
                                 cases: CaseRecorder) -> None:  # fmt: skip
    row = cases(AREA, "file names that look like options, with spaces, quotes, newlines, non-UTF-8, 255 bytes",
                "backed up and restored byte for byte through local/archive/rsync/rsync+ssh/restic; "
                "no name is read as an option (nothing deleted, no command run)")
    files = app_dir / "files"
    expected = write_hostile_tree(files)
    expected[b"a.txt"] = b"hello\n"
    _configure(kind, profile_config, tmp_path, request)
    with open_service(profile_config) as svc:
        finished = svc.run_backup("d", "files", timeout_s=120)
        assert finished.status == "succeeded", (finished.error_message, finished.hint)
        assert tree_files(files) == expected  # the source tree is untouched
        target = tmp_path / "--restored"
        svc.restore_backup("d", "latest", scope=RestoreScope(files=True), to=target)
    restored = find_tree(target, b"--delete")
    assert tree_files(restored) == expected
    no_pwned(in_scratch_cwd, tmp_path, app_dir)
    row.tried += len(expected)


# ---- special files ----

def write_special_files(root: Path) -> None:
    """A symlink loop, a dangling link, a fifo, a unix socket and a character device."""
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink(".", root / "self")  # a directory loop
    os.symlink("/nonexistent/target", root / "dangling")
    os.mkfifo(root / "fifo")
    os.mknod(root / "null-device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    sock.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "archive", "rsync", "restic"])
def test_special_files_never_hang(kind: str, profile_config: Path, app_dir: Path, tmp_path: Path,
                                  in_scratch_cwd: Path, request: pytest.FixtureRequest,
                                  cases: CaseRecorder) -> None:  # fmt: skip
    row = cases(AREA, "symlink loops, fifos, sockets and device files in the files tree",
                "backup and restore end (real processes) with success or a clear error, never hang; "
                "regular files come back intact")
    files = app_dir / "files"
    write_special_files(files)
    _configure(kind, profile_config, tmp_path, request)
    cfg = str(profile_config)
    try:
        backup = run_bin("--config", cfg, "backup", "run", "d", "--type", "files", timeout=120)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"backup to {kind} hung on special files")
    print(f"backup to {kind}: exit {backup.exit_code}\n{backup.stderr}")
    if backup.exit_code != 0:
        assert_refused(backup, backup.exit_code)
        row.tried += 1
        return
    target = tmp_path / "restored"
    try:
        restore = run_bin("--config", cfg, "backup", "restore", "d", "latest", "--files", "--to", str(target),
                          timeout=120)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pytest.fail(f"restore from {kind} hung on special files")
    print(f"restore from {kind}: exit {restore.exit_code}\n{restore.stderr}")
    assert restore.exit_code == 0 or "Traceback" not in restore.stderr, restore.stderr
    if restore.exit_code == 0:
        restored = find_tree(target, b"a.txt")
        assert (restored / "a.txt").read_bytes() == b"hello\n"
        for name in ("loop-a", "loop-b", "dangling"):
            if os.path.lexists(restored / name):
                assert (restored / name).is_symlink()  # kept as links, never followed
    row.tried += 2


def test_archive_keeps_absolute_symlinks(profile_config: Path, app_dir: Path, tmp_path: Path,
                                         request: pytest.FixtureRequest, cases: CaseRecorder) -> None:
    row = cases(AREA, "absolute / outward symlinks in the files tree, archive destination",
                "the backup succeeds and the link comes back as a link")
    os.symlink("/etc/hostname", app_dir / "files" / "absolute-link")
    _configure("archive", profile_config, tmp_path, request)
    row.tried += 1
    os.symlink("../../outside", app_dir / "files" / "upward-link")
    with open_service(profile_config) as svc:
        finished = svc.run_backup("d", "files", timeout_s=120)
        assert finished.status == "succeeded", finished.error_message
        assert svc.check_destination("d").ok
        target = tmp_path / "restored"
        svc.restore_backup("d", "latest", scope=RestoreScope(files=True), to=target)
    [absolute] = [p for p in target.rglob("*") if p.name == "absolute-link"]
    [upward] = [p for p in target.rglob("*") if p.name == "upward-link"]
    assert absolute.is_symlink() and os.readlink(absolute) == "/etc/hostname"
    assert upward.is_symlink() and os.readlink(upward) == "../../outside"


# ---- a PostgreSQL database whose name looks like options ----

@pytest.mark.slow
def test_pg_dump_database_named_like_options(tmp_path: Path, in_scratch_cwd: Path, request: pytest.FixtureRequest,
                                             cases: CaseRecorder) -> None:  # fmt: skip
    """pg_dump / pg_restore get the database inside `--dbname=URL`: a name such as
    `--help -f /tmp/x` is never read as an option (the snapshot holds that database's rows)."""
    row = cases(AREA, "PostgreSQL database named like options (pg_dump/pg_restore)",
                "the name reaches pg_dump as the database, never as options; snapshot create and verify succeed")
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"-f {tmp_path / 'pwned'} --help -e touch pwned"  # no "=": psql would read a conninfo
    server.create_database(name)
    try:
        server.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3);", dbname=name, user=APP_ROLE)
        config = init_profile(InitRequest(name="pgdash", database=server.url(quote(name, safe=""))))
        doc = ConfigDocument(config.file)
        doc.set("source.password_file", str(server.password_file))
        doc.save()
        with open_service(config.file) as svc:
            snap = svc.create_snapshot()
            assert svc.verify_snapshot(snap.id).ok
        assert not (tmp_path / "pwned").exists()
        no_pwned(in_scratch_cwd, tmp_path)
        row.tried += 1
    finally:
        server.drop_database(name)


# ---- hostile paths given on the command line ----

def test_hostile_paths_as_arguments(profile_config: Path, app_dir: Path, in_scratch_cwd: Path,
                                    cases: CaseRecorder) -> None:  # fmt: skip
    """`trash put -- PATH` and `trash restore` with every hostile name (real processes: the path
    bytes reach the tool as a shell passes them): each comes back byte for byte, except a
    non-UTF-8 name, which the trash refuses with a clear error before moving anything."""
    row = cases(AREA, "CLI: path arguments with spaces, quotes, newlines, leading dashes, non-UTF-8",
                "taken as paths (after --), trashed and restored byte for byte (non-UTF-8: refused "
                "cleanly, file untouched); nothing else touched")
    files = app_dir / "files"
    expected = write_hostile_tree(files)
    cfg = str(profile_config)
    base = os.fsencode(files)
    utf8 = [n for n in HOSTILE_NAMES if _is_utf8(n)]
    other = [n for n in HOSTILE_NAMES if not _is_utf8(n)]
    for name in other:
        result = run_bin("--config", cfg, "trash", "put", "--", os.fsdecode(os.path.join(base, name)))
        assert_refused(result)
        assert "UTF-8" in result.stderr
        assert os.path.lexists(os.path.join(base, name))
        row.tried += 1
    result = run_bin("--config", cfg, "trash", "put", "--", *(os.fsdecode(os.path.join(base, n)) for n in utf8))
    assert result.exit_code == 0, result.stderr
    for name in utf8:
        assert not os.path.lexists(os.path.join(base, name))
        row.tried += 1
    with open_service(profile_config) as svc:
        ids = [i.id for i in svc.trash_items()]
    assert len(ids) == len(HOSTILE_NAMES) - 1
    for item_id in ids:
        restored = cli("--config", cfg, "trash", "restore", "--", item_id)  # ids are plain text: in-process
        assert restored.exit_code == 0, restored.stderr
    assert {k: v for k, v in tree_files(files).items() if k != b"a.txt"} == expected
    no_pwned(in_scratch_cwd, app_dir)


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
