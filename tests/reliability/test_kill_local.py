"""SIGKILL during the local operations (issue 7, R1): snapshot create (with a real concurrent
writer), in-place snapshot restore, trash put, trash purge, config edits (`config set`,
policy add/edit/remove), snapshot prune and the prune of a local destination's points into
its trash.

Each operation runs in a real child process (the service, as the CLI calls it; forked from a
server that has imported the tool, so a kill round costs no start-up) that says "start" once
its service is open; the test measures how long a normal run takes from there
(T) and then kills `kill_points` runs at a random moment in [0, T]. After each kill the test
does what the next run does (in-process: list/reconcile, then the operation again) and
checks the invariants of tests/reliability/invariants.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.reliability.conftest import CaseRecorder
from tests.reliability.invariants import (
    assert_db_before_or_after,
    assert_no_stale_lock,
    assert_no_temporaries,
    assert_nothing_lost,
    assert_points_complete,
    assert_trash_sound,
    assert_tree_before_or_after,
    db_integrity,
    db_state,
    tree_state,
)
from tests.retention.test_prune import NOW, backups, listing, policy_block
from tests.snapshots import dbproc
from tests.snapshots.conftest import DbProcess
from tui_backup.catalog import trash as trash_rows
from tui_backup.config import load_config
from tui_backup.service import ProfileService, trash

AREA = "Fault injection"

# A fork server: imports the tool once, then per request forks a child that opens the
# service, says "start PID", runs one operation and says "done"; the server reports the
# child's exit ("exit CODE", negative = killed by that signal). The child is a real
# separate process killed with a real SIGKILL; forking only saves the ~0.5 s of imports
# per kill round (the CLI's start-up is not what these tests are about).
SERVER = """
import json, os, sys, traceback
from datetime import datetime
from tui_backup import clock
from tui_backup.service import ProfileService
import tui_backup.service.snapshots, tui_backup.service.restore, tui_backup.service.trash
import tui_backup.service.config_edit, tui_backup.service.policy_edit, tui_backup.service.prune
import tui_backup.service.backups, tui_backup.jobs.runner

def run(config, op, args):
    svc = ProfileService.open(config=config, check_paths=False)
    print("start", os.getpid(), flush=True)
    if op == "snapshot":
        svc.create_snapshot("kill test")
    elif op == "restore":
        svc.restore_snapshot(args["id"])
    elif op == "trash_put":
        for p in args["paths"]:
            svc.trash_put(p, reason="kill test")
    elif op == "trash_purge":
        svc.trash_purge(all_=True)
    elif op == "config_set":
        svc.set_config_value(args["key"], args["value"], raw=True)
    elif op == "policy_add":
        svc.add_policy(args["table"])
    elif op == "policy_edit":
        svc.edit_policy(args["name"], args["changes"])
    elif op == "policy_remove":
        svc.remove_policy(args["name"])
    elif op == "snapshot_prune":
        svc.prune_snapshots()
    elif op == "point_prune":
        with clock.pinned(datetime.fromisoformat(args["now"])):
            svc.prune_policy(args["policy"])
    else:
        raise SystemExit("unknown op " + op)
    print("done", flush=True)

print("ready", flush=True)
for line in sys.stdin:
    config, op, args = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run(config, op, args)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print("exit", os.waitstatus_to_exitcode(status), flush=True)
"""


class Server:
    """The fork server (above) as a child of the test."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log.open("ab"), text=True)  # fmt: skip
        assert self._line() == "ready", self.errors()

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def errors(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def start(self, config: Path, op: str, args: dict[str, Any]) -> Child:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps([str(config), op, args]) + "\n")
        self.proc.stdin.flush()
        line = self._line()
        if not line.startswith("start "):
            raise AssertionError(f"{op} child did not start: {line!r} {self._line()} {self.errors()}")
        return Child(self, op, int(line.split()[1]))

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Child:
    """One run of an operation in a real process, to be killed at a random moment."""

    def __init__(self, server: Server, op: str, pid: int) -> None:
        self.server, self.op, self.pid = server, op, pid
        self.started = time.monotonic()

    def _end(self) -> tuple[bool, int]:
        lines = []
        while not (line := self.server._line()).startswith("exit"):
            assert line, f"the fork server died: {self.server.errors()}"
            lines.append(line)
        return "done" in lines, int(line.split()[1])

    def finish(self) -> float:
        """Let it run to the end; how long it took after "start"."""
        done, code = self._end()
        took = time.monotonic() - self.started
        assert done and code == 0, f"{self.op} failed ({code}): {self.server.errors()}"
        return took

    def kill_after(self, delay: float) -> bool:
        """SIGKILL after `delay` s (if still running); whether the kill landed mid-run.
        A run that ended by itself must have succeeded."""
        time.sleep(max(0.0, delay - (time.monotonic() - self.started)))
        try:
            os.kill(self.pid, signal.SIGKILL)  # our own child's child: not yet reaped until "exit"
        except ProcessLookupError:
            pass
        done, code = self._end()
        if code != -signal.SIGKILL:
            assert done and code == 0, f"{self.op} failed ({code}): {self.server.errors()}"
        return code == -signal.SIGKILL


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "server.log")
    yield s
    s.stop()


def kill_rounds(
    server: Server, config: Path, op: str, args: Callable[[], dict[str, Any]], rounds: int, rng: random.Random,
    check: Callable[[bool], None], span: float,
) -> int:  # fmt: skip
    """`rounds` runs killed at uniform moments in [0, span]; `check(landed)` after each."""
    landed = 0
    for _ in range(rounds):
        hit = server.start(config, op, args()).kill_after(rng.uniform(0.0, span))
        landed += hit
        check(hit)
    print(f"{op}: T = {span:.3f} s, {landed}/{rounds} kills landed mid-run")
    return landed


def _db(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    return path


# ---- snapshot create, with a real concurrent writer ----


@pytest.mark.slow
def test_kill_snapshot_create(svc: ProfileService, profile_config: Path, cases: CaseRecorder, server: Server, kill_points: int,
                              rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during snapshot create (a writer committing meanwhile)",
                "the live database stays intact; every listed snapshot verifies; temporaries are "
                "cleaned by the next run; the next snapshot starts at once")
    live = _db(svc)
    dbproc.prepare(str(live), rows=500)
    writer = DbProcess("write", live, "0.005")
    try:
        span = server.start(profile_config, "snapshot", {}).finish()
        seen: set[str] = set()

        def check(_landed: bool) -> None:
            snaps = svc.list_snapshots()  # the next run: cleans and reconciles
            assert_no_temporaries(svc.paths.snapshots_dir)
            for rec in snaps:
                if rec.id not in seen:  # each listed snapshot verified once (they don't change)
                    result = svc.verify_snapshot(rec.id)
                    assert result.ok, f"{rec.id}: {result.detail}"
                    seen.add(rec.id)
            assert db_integrity(live) == "ok"
            assert_no_stale_lock(svc, run=lambda: svc.create_snapshot("the next run"))
            row.tried += 1

        kill_rounds(server, profile_config, "snapshot", dict, kill_points, rng, check, span)
    finally:
        result = writer.stop()
    assert result["commits"] > 0
    assert db_integrity(live) == "ok"
    assert_points_complete(svc, destinations=[])


# ---- in-place snapshot restore ----


@pytest.mark.slow
def test_kill_snapshot_restore(svc: ProfileService, profile_config: Path, cases: CaseRecorder, server: Server, kill_points: int,
                               rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during in-place snapshot restore",
                "the live database passes the integrity check and equals before or after; safety "
                "snapshots listed verify; the restore run again completes")
    live = _db(svc)
    a = svc.create_snapshot("state a")
    conn = __import__("sqlite3").connect(live)
    conn.execute("DELETE FROM assets WHERE id % 3 = 0")
    conn.execute("UPDATE tags SET label = label || '-b'")
    conn.commit()
    conn.close()
    b = svc.create_snapshot("state b")
    states = {a.id: None, b.id: db_state(live)}
    svc.restore_snapshot(a.id)
    states[a.id] = db_state(live)
    assert states[a.id] != states[b.id]
    current = a.id
    span = server.start(profile_config, "restore", {"id": b.id}).finish()
    current = b.id
    assert db_state(live) == states[b.id]

    def target() -> str:
        return a.id if current == b.id else b.id

    def check(_landed: bool) -> None:
        nonlocal current
        goal = target()
        assert_db_before_or_after(live, str(states[current]), states[goal])
        assert_points_complete(svc, destinations=[])  # the safety snapshots included
        assert_no_stale_lock(svc, run=lambda: svc.restore_snapshot(goal))  # the user runs it again
        assert_no_temporaries(live.parent, svc.paths.snapshots_dir)
        assert_db_before_or_after(live, str(states[goal]))
        current = goal
        row.tried += 1

    kill_rounds(server, profile_config, "restore", lambda: {"id": target()}, kill_points, rng, check, span)


# ---- trash put and trash purge ----


def _make_work(work: Path, many: int = 0) -> list[Path]:
    work.mkdir(exist_ok=True)
    for i in range(many):  # a directory that takes a while to delete
        (work / "album" / "many").mkdir(parents=True, exist_ok=True)
        (work / "album" / "many" / f"{i}.jpg").write_bytes(b"x" * 100)
    (work / "a.txt").write_text("alpha\n")
    (work / "b.bin").write_bytes(bytes(range(256)) * 256)
    (work / "album" / "sub").mkdir(parents=True, exist_ok=True)
    (work / "album" / "sub" / "p.jpg").write_bytes(b"jpeg" * 1000)
    (work / "album" / "q.jpg").write_bytes(b"other" * 500)
    (work / "keep.txt").write_text("never trashed\n")
    return [work / "a.txt", work / "b.bin", work / "album"]


@pytest.mark.slow
def test_kill_trash_put(svc: ProfileService, profile_config: Path, tmp_path: Path, cases: CaseRecorder, server: Server,
                        kill_points: int, rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during trash put",
                "every file is in its place or in the trash (listed and really there, unchanged); "
                "every file of the tree equals its before or after version")
    work = tmp_path / "work"
    paths = _make_work(work)
    before = tree_state(work)
    args = {"paths": [str(p) for p in paths]}
    span = server.start(profile_config, "trash_put", args).finish()
    after = tree_state(work)
    assert set(after) == {"keep.txt"}

    def reset() -> None:
        for item in svc.trash_items():
            svc.trash_restore(item.id)
        assert tree_state(work) == before

    reset()

    def check(_landed: bool) -> None:
        assert_nothing_lost(svc, paths)
        assert_tree_before_or_after(work, before, after)
        left = [str(p) for p in paths if p.exists()]
        assert_no_stale_lock(svc, run=lambda: [svc.trash_put(p, reason="the next run") for p in left])
        assert tree_state(work) == after
        assert_nothing_lost(svc, paths)
        reset()
        row.tried += 1

    kill_rounds(server, profile_config, "trash_put", lambda: args, kill_points, rng, check, span)


@pytest.mark.slow
def test_kill_trash_purge(svc: ProfileService, profile_config: Path, tmp_path: Path, cases: CaseRecorder, server: Server,
                          kill_points: int, rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during trash purge",
                "each item is still in the trash intact or purged, never listed but missing; the "
                "next purge completes and leaves nothing behind in the trash directory")
    work = tmp_path / "work"

    def fill() -> None:
        # Newest is purged first: the slow directory goes in first, so it is purged last
        # and a kill inside its deletion leaves no other item in that trash directory.
        for p in reversed(_make_work(work, many=300)):
            svc.trash_put(p, reason="to purge")

    fill()
    trash_dir = Path(svc.trash_items()[0].stored).parent.parent
    span = server.start(profile_config, "trash_purge", {}).finish()
    assert svc.trash_items() == []
    assert list(trash_dir.iterdir()) == []

    def check(_landed: bool) -> None:
        assert_trash_sound(svc)  # reconciles: nothing listed but missing, contents unchanged
        for item in trash_rows.items_in_state(svc.catalog, trash_rows.TRASHED):
            assert Path(item.stored).exists()
        assert_no_stale_lock(svc, run=lambda: svc.trash_purge(all_=True))
        assert svc.trash_items() == []
        trash.reconcile(svc)
        assert list(trash_dir.iterdir()) == [], "a killed purge left its leftovers in the trash directory"
        fill()
        row.tried += 1

    kill_rounds(server, profile_config, "trash_purge", dict, kill_points, rng, check, span)


# ---- config edits ----

POLICY = {"name": "nightly", "destination": "usb", "include": "config", "timezone": "UTC"}
EDITS: list[tuple[str, dict[str, Any]]] = [
    ("config_set", {"key": "snapshots.keep", "value": "9"}),
    ("policy_add", {"table": {**POLICY, "name": "weekly"}}),
    ("policy_edit", {"name": "nightly", "changes": {"include": "database"}}),
    ("policy_remove", {"name": "nightly"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("op", "args"), EDITS, ids=[e[0] for e in EDITS])
def test_kill_config_edit(profile_config: Path, drive: Path, cases: CaseRecorder, server: Server, kill_points: int,
                          rng: random.Random, op: str, args: dict[str, Any]) -> None:  # fmt: skip
    row = cases(AREA, f"SIGKILL during config edit ({op.replace('_', ' ')})",
                "the config file is exactly its before or its after text, parses, is never "
                "half-written; a removed policy's block is in the trash")
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("nightly", "usb"))
    before = profile_config.read_text()
    spans = []
    for _ in range(2):  # the first run in a fresh profile is slower (catalog set-up): take the warm one
        spans.append(server.start(profile_config, op, args).finish())
        after = profile_config.read_text()
        assert after != before
        profile_config.write_text(before)
    span = min(spans)
    rounds = max(1, kill_points // len(EDITS))  # "config edit" is one operation: its kill points are shared

    def check(_landed: bool) -> None:
        text = profile_config.read_text()
        assert text in (before, after), "the config file is neither its before nor its after text"
        load_config(profile_config)  # parses and validates
        with open_service(profile_config) as svc:  # the next run
            assert_no_temporaries(profile_config.parent)
            if op == "policy_remove" and text == after:
                kept = [i for i in svc.trash_items(kind="policy") if "nightly" in i.original]
                assert kept, "the removed policy's block is not in the trash"
            if text == before:  # the next run: the user runs the edit again
                assert_no_stale_lock(svc, run=lambda: _edit_in_process(svc, op, args))
            assert_nothing_lost(svc)
        assert profile_config.read_text() == after
        profile_config.write_text(before)
        row.tried += 1

    kill_rounds(server, profile_config, op, lambda: args, rounds, rng, check, span)


def _edit_in_process(svc: ProfileService, op: str, args: dict[str, Any]) -> object:
    if op == "config_set":
        return svc.set_config_value(args["key"], args["value"], raw=True)
    if op == "policy_add":
        return svc.add_policy(args["table"])
    if op == "policy_edit":
        return svc.edit_policy(args["name"], args["changes"])
    return svc.remove_policy(args["name"])


# ---- retention: snapshot prune, and a local destination's points into its trash ----


@pytest.mark.slow
def test_kill_snapshot_prune(svc: ProfileService, profile_config: Path, cases: CaseRecorder, server: Server, kill_points: int,
                             rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during snapshot prune",
                "every snapshot is listed or in the trash, never both, never neither; listed ones "
                "verify; the next prune completes")
    svc.set_config_value("snapshots.keep", 2)
    ids = [svc.create_snapshot(f"s{i}").id for i in range(5)]

    def reset() -> None:
        for item in svc.trash_items(kind="snapshot"):
            svc.trash_restore(item.id)
        assert {s.id for s in svc.list_snapshots()} == set(ids)

    span = server.start(profile_config, "snapshot_prune", {}).finish()
    assert len(svc.list_snapshots()) == 2
    reset()

    def check(_landed: bool) -> None:
        assert_nothing_lost(svc, snapshots_before=ids)
        assert_no_temporaries(svc.paths.snapshots_dir)
        assert_points_complete(svc, destinations=[])
        assert_no_stale_lock(svc, run=svc.prune_snapshots)
        assert len(svc.list_snapshots()) == 2
        assert_nothing_lost(svc, snapshots_before=ids)
        reset()
        row.tried += 1

    kill_rounds(server, profile_config, "snapshot_prune", dict, kill_points, rng, check, span)


@pytest.mark.slow
def test_kill_point_prune(profile_config: Path, drive: Path, cases: CaseRecorder, server: Server, kill_points: int,
                          rng: random.Random) -> None:  # fmt: skip
    row = cases(AREA, "SIGKILL during retention prune of a local destination's points",
                "every restore point is listed at the destination or in its trash, never both, "
                "never neither; listed points verify; the next prune completes")
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    args = {"policy": "gfs", "now": NOW.isoformat()}
    with open_service(profile_config) as svc:
        ids = set(backups(svc, "usb", "gfs").values())

        def reset() -> None:
            for item in svc.trash_items():
                svc.trash_restore(item.id)
            assert listing(svc, "usb") == ids

        span = server.start(profile_config, "point_prune", args).finish()
        assert len(listing(svc, "usb")) == 3
        reset()

        def check(_landed: bool) -> None:
            assert_nothing_lost(svc, points_before={"usb": ids})
            assert_points_complete(svc, destinations=["usb"])
            from tui_backup import clock

            with clock.pinned(NOW):
                assert_no_stale_lock(svc, run=lambda: svc.prune_policy("gfs"))
            assert len(listing(svc, "usb")) == 3
            assert_nothing_lost(svc, points_before={"usb": ids})
            reset()
            row.tried += 1

        kill_rounds(server, profile_config, "point_prune", lambda: args, kill_points, rng, check, span)


def test_snapshot_delete_killed_between_move_and_row(svc: ProfileService, cases: CaseRecorder) -> None:
    """Deterministic: the snapshot's directory is in the trash but its row was never dropped
    (a delete or prune SIGKILLed in between): not listed, in the trash, and restorable."""
    row = cases(AREA, "SIGKILL during snapshot prune",
                "every snapshot is listed or in the trash, never both, never neither; listed ones "
                "verify; the next prune completes")
    rec = svc.create_snapshot("doomed")
    trash.put(svc, Path(rec.path), kind="snapshot", reason="prune", root=Path(rec.path).parent,
              details={"snapshot": rec.id, "created_at": rec.created_at})  # the row stays, as after the kill
    assert [s.id for s in svc.list_snapshots()] == []  # not listed "missing" while it is in the trash
    assert_nothing_lost(svc, snapshots_before=[rec.id])
    [item] = svc.trash_items(kind="snapshot")
    svc.trash_restore(item.id)
    assert [s.id for s in svc.list_snapshots()] == [rec.id]  # adopted back from its metadata.json
    assert svc.verify_snapshot(rec.id).ok
    row.tried += 1
