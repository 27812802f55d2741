"""Secrets: a run of every command with a distinctive restic password, PostgreSQL password and
notification token, and the proof that none of them shows up where DESIGN.md forbids it.

DESIGN.md: secrets come from a password file, a password command, an environment variable or
the keyring; they never appear in process arguments, logs, job output, journal entries or files
the tool writes. So, enforced here:
- /proc/*/cmdline of every process, sampled while each command and its children run: never.
- /proc/*/environ: only as the value of the variable that hands it to a child (PGPASSWORD for
  the PostgreSQL tools, RESTIC_PASSWORD for restic) — here the restic passwords come from a
  password file and a password command, so restic's environment never holds them at all.
- every command's stdout/stderr, every job log (`jobs log`), every journal entry, every
  catalog row, and every file under the isolated home (config, state, cache) and the test's
  directory (destinations, restic repositories, restored copies, exports): never. Excluded:
  the password files the test itself wrote (the user's own), and — for the notification token
  only — the config file and the removed policy's block in the trash (the user's own text,
  kept 0600; the token is there because the user put it there).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import add_destination, open_service
from tests.postgres.conftest import pg_db, pg_profile, pg_server  # noqa: F401  (fixtures)
from tests.postgres.pgserver import APP_PASSWORD
from tests.reliability.conftest import CaseRecorder
from tests.remote.conftest import RESTIC_TEST_PASSWORD, password_file, restic_template  # noqa: F401

AREA = "Secrets and permissions"
# The second repository's password, made by `destination init` through a password command.
RESTIC_CMD_PASSWORD = "rstCmdPW-x9Kq2-UNIQUE"
NOTIFY_TOKEN = "NTFYtok-4hZ8w-UNIQUE"
PING_TOKEN = "PINGtok-7Rm2c-UNIQUE"
CLOSED = "127.0.0.1:9"  # the discard port: nothing listens, a notification fails at once

SECRETS: dict[str, list[bytes]] = {
    "PostgreSQL password": [APP_PASSWORD.encode(), quote(APP_PASSWORD, safe="").encode(), b"s3cr3t-UNIQUE-88412"],
    "restic password (file)": [RESTIC_TEST_PASSWORD.encode()],
    "restic password (command)": [RESTIC_CMD_PASSWORD.encode()],
    "notification token": [NOTIFY_TOKEN.encode(), PING_TOKEN.encode()],
}
# Variables that may carry a secret to a child (DESIGN.md: "an environment variable").
HANDOVER_VARS = (b"PGPASSWORD=", b"RESTIC_PASSWORD=")
CHILDREN = (b"restic", b"pg_dump", b"pg_restore", b"psql", b"tui_backup", b"tui-backup")


def leaks(data: bytes, *, skip: tuple[str, ...] = ()) -> list[str]:
    """The kinds of secret found in `data`."""
    return [kind for kind, forms in SECRETS.items() if kind not in skip and any(f in data for f in forms)]


@dataclass
class ProcSampler:
    """Reads every process's argv (and environment) in a loop while commands run."""

    found: list[str] = field(default_factory=list)
    seen: set[bytes] = field(default_factory=set)  # which children were caught running
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ProcSampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(10)

    def _loop(self) -> None:
        parents: dict[int, int] = {}
        while not self._stop.is_set():
            for pid in _descendants(os.getpid(), parents):
                proc = Path(f"/proc/{pid}")
                try:
                    argv = (proc / "cmdline").read_bytes()
                    env = (proc / "environ").read_bytes()
                except OSError:
                    continue  # gone already
                self.samples += 1
                self.seen.update(c for c in CHILDREN if c in argv[:300])
                for kind in leaks(argv):
                    self.found.append(f"argv of pid {pid} ({argv[:80]!r}) holds the {kind}")
                for var in env.split(b"\0"):
                    if var.startswith(HANDOVER_VARS):
                        continue
                    for kind in leaks(var):
                        self.found.append(f"environment of pid {pid} ({argv[:60]!r}) holds the {kind}: "
                                          f"{var.split(b'=', 1)[0]!r}")
            time.sleep(0.002)


def _descendants(root: int, parents: dict[int, int]) -> list[int]:
    """Every process below `root`. `parents` caches pid → ppid across calls, so each loop
    reads /proc/PID/stat only for processes new since the last one (a full scan is slow)."""
    alive = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    for gone in parents.keys() - alive:
        del parents[gone]
    for pid in alive - parents.keys():
        try:  # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")"
            parents[pid] = int(Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    out: list[int] = []
    todo = [root]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


@dataclass
class Cli:
    config: Path
    ran: list[tuple[list[str], int, float]] = field(default_factory=list)
    output_leaks: list[str] = field(default_factory=list)

    def __call__(self, *args: str, ok: bool | None = True, child: bool = True) -> str:
        """Run `tui-backup ARGS`; ok=None: any exit code (a warning state), but no traceback.
        child=False: in-process through Typer's runner (the same code; for commands that only
        read and show, whose own process has nothing to sample: it saves a start-up each)."""
        t0 = time.monotonic()
        if not child:
            from typer.testing import CliRunner

            from tui_backup.cli import app

            r = CliRunner().invoke(app, ["--config", str(self.config), *args], catch_exceptions=False,
                                   env={"NO_COLOR": "1", "COLUMNS": "200"})
            proc = subprocess.CompletedProcess(args, r.exit_code, r.stdout_bytes, r.stderr_bytes)
        else:
            env = {**os.environ, "TUI_BACKUP_CONFIG": str(self.config), "NO_COLOR": "1", "COLUMNS": "200"}
            proc = subprocess.run(
                [sys.executable, "-m", "tui_backup", *args], env=env, stdin=subprocess.DEVNULL,
                capture_output=True, timeout=180,
            )
        out = proc.stdout + proc.stderr
        self.ran.append((list(args), proc.returncode, time.monotonic() - t0))
        self.output_leaks += [f"`{' '.join(args)}` printed the {k}" for k in leaks(out)]
        if ok is None:
            assert b"Traceback" not in out, out.decode()
        elif ok:
            assert proc.returncode == 0, f"`tui-backup {' '.join(args)}` exited {proc.returncode}:\n{out.decode()}"
        else:
            assert proc.returncode != 0, f"`tui-backup {' '.join(args)}` should have failed"
            assert b"Traceback" not in out, out.decode()
        return proc.stdout.decode()


@pytest.fixture
def secret_profile(pg_profile: Path, restic_template: Path, tmp_path: Path) -> Iterator[Path]:  # noqa: F811
    """The PostgreSQL profile (password in [source] password_file) with two restic
    destinations — one by password file, one by password command — and a local one."""
    shutil.copytree(restic_template, tmp_path / "vault repo")
    (tmp_path / "vault2 repo").mkdir()
    secrets_dir = tmp_path / "secrets"
    pw_file = password_file(tmp_path)
    cmd_file = password_file(tmp_path, RESTIC_CMD_PASSWORD, name="cmd.pw")
    add_destination(pg_profile, "vault", "restic", repository=tmp_path / "vault repo", password_file=pw_file)
    add_destination(pg_profile, "vault2", "restic", repository=tmp_path / "vault2 repo",
                    password_command=f"cat {cmd_file}")
    (tmp_path / "drive").mkdir()
    add_destination(pg_profile, "usb", "local", path=tmp_path / "drive")
    assert secrets_dir.is_dir()
    yield pg_profile


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    yield p


@pytest.mark.slow
def test_no_secret_anywhere_after_every_command(
    secret_profile: Path, tmp_path: Path, isolated_home: Path, cases: CaseRecorder
) -> None:
    cli = Cli(secret_profile)
    argv_row = cases(AREA, "restic and PostgreSQL passwords, notify tokens vs. process argv/environ (sampled from /proc)",
                     "no secret in any process's argument list; in a child's environment only as PGPASSWORD")
    out_row = cases(AREA, "secrets vs. every command's output", "no secret on stdout/stderr of any command")
    urls = [f"json://{CLOSED}/hook/{NOTIFY_TOKEN}", f"json://bot:{NOTIFY_TOKEN}@{CLOSED}/x"]
    with ProcSampler() as sampler:
        cli("config", "validate", child=False)
        cli("config", "show", child=False)
        cli("status", ok=None, child=False)
        cli("volumes", child=False)
        cli("snapshot", "create")
        cli("snapshot", "list", child=False)
        cli("snapshot", "verify", "--all")
        cli("destination", "init", "vault2")
        cli("destination", "check", "vault")
        cli("backup", "run", "vault")
        cli("backup", "run", "vault2", "--json")
        cli("backup", "run", "usb")
        cli("backup", "list", "vault", child=False)
        cli("backup", "restore", "vault", "--to", str(tmp_path / "restored"))
        cli("backup", "restore", "vault2", "--database", "--yes")
        cli("snapshot", "restore", "latest", "--yes")
        cli("policy", "add", "--name", "nightly", "-d", "vault", "--include", "full", "--frequency", "daily")
        # In-process (the same service call as `policy edit --set`): a token typed on the
        # command line would be in that process's argv by the user's own doing.
        with open_service(secret_profile) as svc:
            svc.edit_policy("nightly", {"notify.urls": urls, "notify.ping_url": f"http://{CLOSED}/{PING_TOKEN}"})
            svc.add_policy({"name": "doomed", "destination": "usb", "include": "database", "frequency": "daily",
                            "notify": {"urls": urls}})
        cli("policy", "show", "nightly", child=False)
        cli("policy", "list", child=False)
        cli("policy", "run", "nightly")  # pings the closed port: a logged, redacted failure
        cli("drill", "nightly")
        shutil.rmtree(tmp_path / "drive")  # the drive is gone: the run fails and notifies
        cli("policy", "run", "doomed", ok=False)
        (tmp_path / "drive").mkdir()
        cli("run-due")
        cli("stats", child=False)
        cli("export", "--format", "csv", "--out", str(tmp_path / "export"), ok=False)  # SQLite only: a clear error
        with open_service(secret_profile) as svc:
            svc.edit_policy("doomed", {"notify.urls": [f"json://{CLOSED}/other"]})
        cli("policy", "remove", "doomed", "--yes")
        cli("journal", "list", child=False)
        cli("journal", "export", "--format", "json", "--out", str(tmp_path / "journal.json"), child=False)
        cli("journal", "verify", child=False)
        cli("trash", "list", child=False)
        jobs = cli("jobs", "list", "--json", child=False)
        with open_service(secret_profile) as svc:
            shown = [e.seq for e in svc.journal_list(limit=10_000) if e.action.startswith(("policy.", "config."))]
            job_ids = [j.id for j in svc.list_jobs()]
        for seq in shown[-2:]:  # (all of them are checked in-process below)
            cli("journal", "show", str(seq), "--json", child=False)
        for job_id in job_ids[:3]:  # the failed run, the drill, the policy run
            cli("jobs", "log", str(job_id), child=False)
        cli("jobs", "show", str(job_ids[0]), child=False)
        # A short-lived child can run between two samples on a loaded machine (pg_restore of
        # this small database did, once): run a command that starts it again until caught.
        for child, again in ((b"pg_restore", ("snapshot", "restore", "latest", "--yes")),
                             (b"pg_dump", ("snapshot", "create")), (b"restic", ("destination", "check", "vault"))):
            for _ in range(5):
                if child in sampler.seen:
                    break
                cli(*again)
    assert jobs
    print("\n".join(f"{t:5.2f}s rc={rc} {' '.join(a)}" for a, rc, t in cli.ran))
    argv_row.tried += len(cli.ran)
    out_row.tried += len(cli.ran)
    assert sampler.samples > 100
    assert {b"restic", b"pg_dump", b"pg_restore"} <= sampler.seen, f"children never sampled: {sampler.seen}"
    assert not sampler.found, "\n".join(sorted(set(sampler.found)))
    assert not cli.output_leaks, "\n".join(cli.output_leaks)

    # Every file the tool wrote (and the catalog, row by row).
    files_row = cases(AREA, "secrets vs. logs, job output, journal, catalog rows and every file the tool wrote",
                      "no secret in any file under the config/state/cache dirs, destinations, restores, exports")
    own = {tmp_path / "secrets" / "restic.pw", tmp_path / "secrets" / "cmd.pw"}
    user_text = {secret_profile}
    found: list[str] = []
    for path in files_under(isolated_home, tmp_path):
        if path in own:
            continue
        skip = ("notification token",) if path in user_text or "/trash/" in str(path) and "policy" in path.name else ()
        found += [f"{path} holds the {k}" for k in leaks(path.read_bytes(), skip=skip)]
        files_row.tried += 1
    with open_service(secret_profile) as svc:
        entries = svc.journal_list(limit=10_000)
    journal_row = cases(AREA, "notify tokens and passwords vs. journal entries (policy add/edit/remove, config set)",
                        "every journal entry's target and details are redacted")
    for entry in entries:
        journal_row.tried += 1
        found += [f"journal entry {entry.seq} ({entry.action}) holds the {k}"
                  for k in leaks(repr(entry).encode())]
    dbs = [p for p in files_under(isolated_home) if p.name.endswith((".db", ".sqlite"))]
    assert any(p.name == "catalog.db" for p in dbs), dbs
    for db in dbs:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            dump = "\n".join(conn.iterdump()).encode()
        finally:
            conn.close()
        found += [f"a row of {db} holds the {k}" for k in leaks(dump)]
    assert not found, "\n".join(found)


def test_notify_tokens_never_reach_the_journal(
    profile_config: Path, tmp_path: Path, cases: CaseRecorder
) -> None:
    """Policy add/edit/remove/restore and `config set` with notification URLs carrying tokens
    (in the path, as user:token@, in a ping URL): every journal entry is masked — also the
    `before` of an edit that removed a URL, which the config no longer knows of."""
    row = cases(AREA, "notify tokens and passwords vs. journal entries (policy add/edit/remove, config set)",
                "every journal entry's target and details are redacted")
    (tmp_path / "drive").mkdir()
    add_destination(profile_config, "usb", "local", path=tmp_path / "drive")
    token_urls = [f"json://{CLOSED}/hook/{NOTIFY_TOKEN}", f"json://bot:{NOTIFY_TOKEN}@{CLOSED}/x"]
    with open_service(profile_config) as svc:
        svc.add_policy({"name": "nightly", "destination": "usb", "frequency": "daily",
                        "notify": {"urls": token_urls, "ping_url": f"http://{CLOSED}/{PING_TOKEN}"}})
        svc.edit_policy("nightly", {"notify.urls": [f"json://{CLOSED}/plain"], "notify.ping_url": None})
        svc.edit_policy("nightly", {"notify.ping_url": f"http://{CLOSED}/ping/{PING_TOKEN}"})
        svc.set_config_value("notify.urls", token_urls)
        svc.set_config_value("notify.urls", [])
        removed = svc.remove_policy("nightly")
        assert removed.saved_to is not None
        item = next(i for i in svc.trash_items() if i.kind == "policy")
        svc.restore_removed_policy(item.id)
        entries = svc.journal_list(limit=1000)
        assert svc.journal_verify().ok
    actions = [e.action for e in entries]
    assert actions.count("policy.edit") == 2 and "policy.remove" in actions and actions.count("policy.add") == 2
    found = []
    for entry in entries:
        found += [f"journal entry {entry.seq} ({entry.action}) holds the {k}: {entry.details}"
                  for k in leaks(repr(entry).encode())]
        row.tried += 1
    assert not found, "\n".join(found)
