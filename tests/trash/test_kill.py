"""SIGKILL during trash moves, at random moments, many times: no item is ever lost, none is
listed but missing, and the next run reconciles what the dead process left "moving"."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.trash import killproc
from tui_backup.catalog import trash as rows
from tui_backup.service import ProfileService, trash

ROUNDS = 30
NAMES = ["a.txt", "b.bin", "album"]


def _make(work: Path) -> dict[str, bytes]:
    (work / "a.txt").write_text("alpha\n")
    (work / "b.bin").write_bytes(bytes(range(256)) * 64)
    (work / "album" / "sub").mkdir(parents=True)
    (work / "album" / "sub" / "p.jpg").write_bytes(b"jpeg" * 100)
    return {"a.txt": b"alpha\n", "b.bin": bytes(range(256)) * 64, "album": b"jpeg" * 100}


def _content(path: Path) -> bytes:
    return (path / "sub" / "p.jpg").read_bytes() if path.is_dir() else path.read_bytes()


def _check(svc: ProfileService, work: Path, expected: dict[str, bytes]) -> None:
    listed = svc.trash_items()  # reconciles first
    assert rows.items_in_state(svc.catalog, rows.MOVING) == []
    for item in listed:
        assert Path(item.stored).exists(), f"listed but missing: {item}"
    for name, data in expected.items():
        path = work / name
        held = [i for i in listed if i.original == str(path)]
        places = ([path] if path.exists() else []) + [Path(i.stored) for i in held]
        assert len(places) == 1, f"{name}: {places}"  # in place, or in the trash: exactly one
        assert _content(places[0]) == data


@pytest.mark.slow
def test_sigkill_at_random_moments(svc: ProfileService, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    expected = _make(work)
    rng = random.Random(5)
    reconciled = 0
    for n in range(ROUNDS + 1):
        proc = subprocess.Popen(
            [sys.executable, killproc.__file__, str(svc.config.file), str(work), *NAMES],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        if n < ROUNDS:
            time.sleep(rng.uniform(0.0, 0.06))
        else:  # the last round: two whole passes first (one puts, one restores), however slow
            for _ in range(2):
                assert proc.stdout.readline().strip() == "cycle", proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
        reconciled += bool(trash.reconcile(svc))
        _check(svc, work, expected)
    print(f"rounds killed mid-move: {reconciled}/{ROUNDS + 1}")
    assert reconciled > 0  # some kills landed inside a move, and were settled
    assert len(rows.items_in_state(svc.catalog, rows.RESTORED)) >= len(NAMES)  # the loop really ran
