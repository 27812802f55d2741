"""A file that becomes unreadable between the tool's manifest and restic reading it: restic
itself meets EACCES and exits 3. The backup is kept, "succeeded with warnings", the path is
listed, exit code 3 (as the tool's own unreadable-file warning, tests/fixes/test_unreadable.py).

How it is made real: the backup runs as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH
(setpriv, see test_unreadable.py) and pauses at the `backup.after_manifest` checkpoint
(every file listed and hashed, nothing sent yet); the test chmods the file to 000 there and
lets the job go on (TUI_BACKUP_PAUSE_UNTIL), so only restic can notice it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixes.helpers import json_events
from tests.fixes.test_unreadable import NO_READ_ALL
from tests.helpers import add_destination
from tests.remote.conftest import password_file
from tui_backup.service.faults import PAUSE_ENV, RESUME_ENV


@pytest.mark.slow
def test_file_unreadable_only_for_restic(profile_config: Path, app_dir: Path, tmp_path: Path) -> None:
    files = app_dir / "files"
    (files / "ok").mkdir()
    (files / "ok" / "fine.txt").write_text("fine\n")
    late = files / "late.txt"
    late.write_text("readable while the manifest is made\n")
    repo = tmp_path / "repo"
    repo.mkdir()  # the volume guard wants the directory; auto_init makes the repository in it
    pw = password_file(tmp_path)
    add_destination(profile_config, "vault", "restic", repository=repo, password_file=pw, auto_init=True)
    resume = tmp_path / "resume"
    env = {**os.environ, PAUSE_ENV: "backup.after_manifest", RESUME_ENV: str(resume)}
    cli = [sys.executable, "-m", "tui_backup", "--config", str(profile_config)]
    proc = subprocess.Popen([*NO_READ_ALL, *cli, "backup", "run", "vault", "--type", "files", "--json"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.strip() == "PAUSED backup.after_manifest", line + proc.stderr.read()
        os.chmod(late, 0o000)  # after the manifest read it, before restic does
        resume.touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err  # EXIT_WARNINGS, as for rsync's 23 and the tool's own skip
    events = json_events(out)
    finished = events[-1]
    assert finished["event"] == "finished" and finished["status"] == "succeeded-with-warnings", finished
    warnings = [e for e in events if e["event"] == "warning"]
    assert len(warnings) == 1, warnings  # restic's, not the manifest's (the file was readable then)
    assert "could not be read" in warnings[0]["message"]
    assert str(late) in warnings[0]["paths"], warnings[0]
    assert str(late) in warnings[0]["message"]

    # the backup was kept: listed, restorable, holding everything else
    listed = subprocess.run([*cli, "backup", "list", "vault", "--json"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    points = json.loads(listed.stdout)
    assert len(points) == 1 and points[0]["type"] == "files" and not points[0]["foreign"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
    ls = subprocess.run(["restic", "-r", str(repo), "--no-cache", "ls", "--json", "latest"], capture_output=True,
                        text=True, timeout=60, env={**env, "RESTIC_PASSWORD_FILE": str(pw)})
    assert ls.returncode == 0, ls.stderr
    stored = {str(n.get("path")) for n in map(json.loads, ls.stdout.splitlines()) if n.get("type") == "file"}
    assert str(files / "ok" / "fine.txt") in stored and str(files / "a.txt") in stored
    assert str(late) not in stored

    # ... and restorable: the unstored file is a warning naming it, everything else comes back
    target = tmp_path / "restored"
    restored = subprocess.run([*cli, "backup", "restore", "vault", "latest", "--files", "--to", str(target), "--yes"],
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert restored.returncode in (0, 3), restored.stderr
    assert "were not stored by restic" in restored.stderr and "late.txt" in restored.stderr
    got = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert any(g.endswith("ok/fine.txt") for g in got) and any(g.endswith("a.txt") for g in got), got
    assert not any(g.endswith("late.txt") for g in got), got
