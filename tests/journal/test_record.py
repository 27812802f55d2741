"""Recording: concurrent writers chain correctly, secrets never stored, pages, the facade."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.helpers import add_destination, open_service
from tui_backup.service import ProfileService, journal

REPO = Path(__file__).resolve().parents[2]


def test_two_processes_append_into_one_chain(svc: ProfileService, profile_config: Path) -> None:
    journal.record(svc, "snapshot.create", "first", {})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.journal.appender", str(profile_config), "60", tag], env=env, cwd=REPO)
        for tag in ("a", "b")
    ]
    for p in procs:
        assert p.wait(timeout=60) == 0
    report = journal.verify(svc)
    assert report.ok, report.problem
    assert report.checked == 121
    entries = journal.list_entries(svc, limit=200)
    assert [e.seq for e in entries] == list(range(121, 0, -1))
    assert {e.actor["pid"] for e in entries[:-1]} == {p.pid for p in procs}
    assert {e.actor["interface"] for e in entries[:-1]} == {"scheduler"}


def test_secrets_redacted(tmp_path: Path, profile_config: Path, monkeypatch: object) -> None:
    pw_file = tmp_path / "restic.pw"
    pw_file.write_text("correct-horse-battery\n")
    pw_file.chmod(0o600)
    add_destination(profile_config, "vault", "restic", repository=str(tmp_path / "repo"), password_file=pw_file)
    with open_service(profile_config) as svc:
        entry = journal.record(
            svc,
            "backup.run",
            "postgresql://app:hunter22@db/app",
            {
                "password": "p4ssw0rd!",
                "api_token": "tok-123456",
                "nested": {"secret": "s3cr3t-value", "keep_daily": 7},
                "repository": "rest:https://bob:pa55word@host:8000/repo",
                "log": ["restic said correct-horse-battery was fine"],
                "empty_password": None,
            },
        )
        text = sqlite3.connect(svc.paths.catalog).execute("SELECT target || details_json FROM journal").fetchone()[0]
    for secret in ("hunter22", "p4ssw0rd!", "tok-123456", "s3cr3t-value", "pa55word", "correct-horse-battery"):
        assert secret not in text
        assert secret not in json.dumps(entry.to_json())
    assert entry.details["nested"]["keep_daily"] == 7
    assert entry.details["empty_password"] is None
    assert entry.target == "postgresql://app:***@db/app"
    assert entry.details["repository"] == "rest:https://bob:***@host:8000/repo"


def test_pages_by_seq_with_filters(svc: ProfileService) -> None:
    for i in range(1, 31):
        journal.record(svc, "file.added" if i % 3 else "snapshot.create", f"/data/{'a' if i % 2 else 'b'}/{i}.txt", {})
    page1 = journal.list_entries(svc, limit=10)
    page2 = journal.list_entries(svc, limit=10, before_seq=page1[-1].seq)
    assert [e.seq for e in page1] == list(range(30, 20, -1))
    assert [e.seq for e in page2] == list(range(20, 10, -1))
    snaps = journal.list_entries(svc, action="snapshot.create", limit=100)
    assert [e.seq for e in snaps] == [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]
    files = journal.list_entries(svc, action="file.*", target_glob="/data/a/*", limit=100)
    assert files and all(e.action == "file.added" and e.target.startswith("/data/a/") for e in files)
    first = journal.get(svc, 1).at
    assert journal.list_entries(svc, until=first) == []
    assert len(journal.list_entries(svc, since=first, limit=100)) == 30


def test_facade_and_try_record(svc: ProfileService) -> None:
    e = svc.journal_record("config.change", "snapshots.keep", {"old": 10, "new": 5})
    assert svc.journal_entry(e.seq) == e
    assert svc.journal_list(limit=5) == [e]
    assert svc.journal_verify().ok
    svc.catalog.conn.execute("DROP TABLE journal")  # a journal that cannot be written ...
    journal.try_record(svc, "verify", "x", {})  # ... never fails the action it records


def test_export_csv_and_json(svc: ProfileService, tmp_path: Path) -> None:
    import csv

    for i in range(5):
        journal.record(svc, "drill", f"p{i}", {"ok": True, "ü": i})
    assert svc.journal_export("json", tmp_path / "j.json") == 5
    data = json.loads((tmp_path / "j.json").read_text(encoding="utf-8"))
    assert [d["seq"] for d in data] == [1, 2, 3, 4, 5]
    assert data[2]["details"] == {"ok": True, "ü": 2}
    assert data[0] == journal.get(svc, 1).to_json()
    assert (tmp_path / "j.json").stat().st_mode & 0o777 == 0o600
    assert svc.journal_export("csv", tmp_path / "j.csv") == 5
    with open(tmp_path / "j.csv", encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["target"] for r in table] == [f"p{i}" for i in range(5)]
    assert json.loads(table[4]["details"]) == {"ok": True, "ü": 4}
