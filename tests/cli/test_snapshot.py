"""`tui-backup snapshot …` end to end on a real SQLite database."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli, run_bin, run_in_terminal


def db_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(db: Path, table: str = "assets") -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def create(*args: str) -> dict:  # type: ignore[type-arg]
    r = cli("snapshot", "create", "--json", *args)
    assert r.exit_code == 0, r.stderr
    return r.json()  # type: ignore[no-any-return]


def snapshots() -> list[dict]:  # type: ignore[type-arg]
    r = cli("snapshot", "list", "--json")
    assert r.exit_code == 0, r.stderr
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def db(profile_config: Path, app_dir: Path) -> Path:
    return app_dir / "app.db"


def test_create_list_show(db: Path) -> None:
    r = cli("snapshot", "create", "--note", "before the upgrade")
    assert r.exit_code == 0, r.stderr
    assert "created" in r.stdout
    (snap,) = snapshots()
    assert snap["note"] == "before the upgrade"
    assert snap["tables"]["assets"] == 500
    assert snap["id"] in r.stdout
    assert Path(snap["path"], snap["artifact"]).is_file()

    listing = cli("snapshot", "list")
    assert listing.exit_code == 0 and snap["id"] in listing.stdout and "before the upgrade" in listing.stdout

    for ref in (snap["id"], snap["id"][:10], "latest"):
        shown = cli("snapshot", "show", ref, "--json")
        assert shown.exit_code == 0, shown.stderr
        assert shown.json()["sha256"] == snap["sha256"]
    human = cli("snapshot", "show", "latest")
    assert snap["sha256"] in human.stdout and "assets" in human.stdout

    assert_error(cli("snapshot", "show", "no-such-id"), 2, "no snapshot 'no-such-id'")


def test_list_when_empty(profile_config: Path) -> None:
    r = cli("snapshot", "list")
    assert r.exit_code == 0 and "no snapshots yet" in r.stdout
    assert cli("snapshot", "list", "--json").json() == []


def test_create_in_a_real_process_reports_progress_on_stderr(db: Path) -> None:
    r = run_bin("snapshot", "create", "--note", "cron")
    assert r.exit_code == 0, r.stderr
    assert "created" in r.stdout
    progress = [line for line in r.stderr.splitlines() if line.startswith("snapshot: ")]
    assert progress, r.stderr  # plain progress lines, no terminal control codes
    assert "\x1b[" not in r.stderr and "\r" not in r.stderr
    quiet = run_bin("snapshot", "create", "--json")
    assert quiet.exit_code == 0
    assert "snapshot: " not in quiet.stderr


def test_verify(db: Path) -> None:
    first, second = create(), create()
    r = cli("snapshot", "verify", first["id"])
    assert r.exit_code == 0, r.stderr
    assert first["id"] in r.stdout and "ok" in r.stdout
    results = cli("snapshot", "verify", "--all", "--json").json()
    assert {x["snapshot_id"] for x in results} == {first["id"], second["id"]}
    assert all(x["ok"] for x in results)
    assert_error(cli("snapshot", "verify"), 2, "either a snapshot ID or --all")
    assert_error(cli("snapshot", "verify", first["id"], "--all"), 2, "either a snapshot ID or --all")


def test_corrupt_snapshot_fails_verify_and_is_refused_by_restore(db: Path) -> None:
    snap = create()
    artifact = Path(snap["path"], snap["artifact"])
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))

    r = cli("snapshot", "verify", snap["id"])
    assert r.exit_code == 1
    assert "CORRUPT" in r.stdout and snap["id"] in r.stdout
    assert "failed verification" in r.stderr and "Traceback" not in r.stderr
    (result,) = cli("snapshot", "verify", "--all", "--json").json()
    assert result["ok"] is False and result["checksum_ok"] is False

    before = db_digest(db)
    r = cli("snapshot", "restore", snap["id"], "--yes")
    assert r.exit_code == 1
    assert "corrupt" in r.stderr.lower() and "Traceback" not in r.stderr
    assert db_digest(db) == before


def test_delete_needs_confirmation_without_a_terminal(db: Path) -> None:
    snap = create()
    assert_error(cli("snapshot", "delete", snap["id"]), 2, "needs confirmation", "--yes")
    assert [s["id"] for s in snapshots()] == [snap["id"]]
    r = cli("snapshot", "delete", snap["id"], "--yes")
    assert r.exit_code == 0, r.stderr
    assert snapshots() == []
    assert not Path(snap["path"], snap["artifact"]).exists()
    assert_error(cli("snapshot", "delete", snap["id"], "--yes"), 2, "no snapshot")


def test_delete_asks_on_a_terminal(db: Path) -> None:
    snap = create()
    code, screen = run_in_terminal("snapshot", "delete", snap["id"], answer="n")
    assert code == 1, screen
    assert "Delete snapshot" in screen and "cancelled" in screen
    assert len(snapshots()) == 1
    code, screen = run_in_terminal("snapshot", "delete", snap["id"], answer="y")
    assert code == 0, screen
    assert snapshots() == []


def test_prune(db: Path) -> None:
    for key, value in (("snapshots.keep", "2"), ("snapshots.prune_after_create", "false")):
        assert cli("config", "set", key, value).exit_code == 0
    made = [create()["id"] for _ in range(4)]
    plan = cli("snapshot", "prune", "--dry-run", "--json").json()
    assert plan["dry_run"] is True
    removed = {d["id"] for d in plan["decisions"] if not d["keep"]}
    assert len(removed) == 2 and removed <= set(made)
    assert len(snapshots()) == 4  # a dry run removes nothing
    human = cli("snapshot", "prune", "--dry-run")
    assert human.stdout.count("would remove") == 2
    r = cli("snapshot", "prune")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("removed") == 2
    assert {s["id"] for s in snapshots()} == set(made) - removed


def test_restore_dry_run_shows_the_changes_and_changes_nothing(db: Path) -> None:
    snap = create()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM assets WHERE id > 400")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('added after the snapshot')")
    conn.execute("DROP TABLE asset_tags")
    conn.commit()
    conn.close()
    before = db_digest(db)

    plan = cli("snapshot", "restore", snap["id"], "--dry-run", "--json")
    assert plan.exit_code == 0, plan.stderr
    p = plan.json()
    assert p["in_place"] is True
    tables = {t["table"]: (t["rows_before"], t["rows_after"]) for t in p["tables"]}
    assert tables["assets"] == (400, 500)
    assert "asset_tags" in p["tables_added"] and "notes" in p["tables_removed"]

    human = cli("snapshot", "restore", snap["id"], "--dry-run")
    assert human.exit_code == 0
    assert "assets" in human.stdout and "400" in human.stdout and "500" in human.stdout
    assert "asset_tags" in human.stdout and "notes" in human.stdout
    assert db_digest(db) == before


def test_restore_in_place_needs_yes_without_a_terminal(db: Path) -> None:
    snap = create()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM assets")
    conn.commit()
    conn.close()
    before = db_digest(db)
    assert_error(cli("snapshot", "restore", snap["id"]), 2, "needs confirmation", "--yes")
    assert_error(run_bin("snapshot", "restore", snap["id"]), 2, "needs confirmation")
    assert db_digest(db) == before and rows(db) == 0

    r = cli("snapshot", "restore", snap["id"], "--yes")
    assert r.exit_code == 0, r.stderr
    assert rows(db) == 500
    assert "safety snapshot" in r.stdout
    kinds = [s["kind"] for s in snapshots()]
    assert "safety" in kinds


def test_restore_in_place_on_a_terminal_shows_the_plan_then_asks(db: Path) -> None:
    snap = create()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM assets WHERE id > 100")
    conn.commit()
    conn.close()
    code, screen = run_in_terminal("snapshot", "restore", snap["id"], answer="n")
    assert code == 1 and "cancelled" in screen, screen
    assert rows(db) == 100
    code, screen = run_in_terminal("snapshot", "restore", snap["id"], answer="y")
    assert code == 0, screen
    assert screen.index("assets") < screen.index("[y/N]")  # the plan comes first
    assert rows(db) == 500


def test_restore_to_a_new_file(db: Path, tmp_path: Path) -> None:
    snap = create()
    before = db_digest(db)
    target = tmp_path / "copy.db"
    r = cli("snapshot", "restore", snap["id"], "--to", str(target))
    assert r.exit_code == 0, r.stderr
    assert rows(target) == 500
    assert db_digest(db) == before  # the live database is not touched
    assert_error(cli("snapshot", "restore", snap["id"], "--to", str(target)), 2, "--force")
    r = cli("snapshot", "restore", snap["id"], "--to", str(target), "--force", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["in_place"] is False and r.json()["safety_snapshot_id"] is None


def test_jobs_record_what_ran(db: Path) -> None:
    snap = create()
    cli("snapshot", "verify", snap["id"])
    jobs = cli("jobs", "list", "--json").json()
    kinds = [j["kind"] for j in jobs]
    assert "snapshot" in kinds
    job = next(j for j in jobs if j["kind"] == "snapshot")
    assert job["status"] == "succeeded" and job["log_path"]
    shown = cli("jobs", "show", str(job["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert "succeeded" in shown.stdout and "log lines" in shown.stdout
    assert cli("jobs", "show", str(job["id"]), "--json").json()["id"] == job["id"]
    listing = cli("jobs", "list")
    assert listing.exit_code == 0 and "snapshot" in listing.stdout
    assert_error(cli("jobs", "show", "9999"), 2, "no job 9999")


def test_status_after_a_snapshot(db: Path) -> None:
    before = cli("status", "--json").json()
    assert before["snapshot_count"] == 0 and before["health"] == "warn"
    snap = create()
    report = cli("status", "--json").json()
    assert report["profile"] == "app"
    assert report["snapshot_count"] == 1
    assert report["newest_snapshot_id"] == snap["id"]
    assert report["newest_snapshot_age_s"] < 600
    assert report["health"] == "ok"
    assert {v["name"]: v["state"] for v in report["volumes"]}["snapshots"] == "online"
    human = cli("status")
    assert human.exit_code == 0
    assert snap["id"] in human.stdout and "healthy" in human.stdout


def test_rollback_journal_warning_is_shown_once(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    for args in ((), ("--json",)):
        r = run_bin("snapshot", "create", *args)
        assert r.exit_code == 0, r.stderr
        warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1 and "rollback-journal" in warnings[0], r.stderr
    assert r.json()["warnings"]  # the --json record carries it too, and stdout is only JSON



def test_failed_restore_says_it_rolled_back(db: Path) -> None:
    snap = create()
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM assets WHERE id > 10")
    conn.commit()
    conn.close()
    r = run_bin("snapshot", "restore", snap["id"], "--yes", env={"TUI_BACKUP_FAULT": "restore.after_swap"})
    error_lines = [line for line in r.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert r.exit_code == 1, r.stderr
    assert len(error_lines) == 2 and "rolled back" in error_lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert rows(db) == 10


def test_ctrl_c_stops_a_snapshot_cleanly(db: Path) -> None:
    import os
    import signal
    import subprocess

    from tests.cli.helpers import BIN

    proc = subprocess.Popen(
        [str(BIN), "snapshot", "create"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TUI_BACKUP_PAUSE": "snapshot.after_dump"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("PAUSED"):
            break
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "error: interrupted" in rest and "Traceback" not in rest
    assert snapshots() == []
    jobs = cli("jobs", "list", "--json").json()
    assert [j["status"] for j in jobs] == ["failed"]
