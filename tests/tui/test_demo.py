"""The demo profile: realistic, deterministic, reusable."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tui_backup.config import load_config, profile_path
from tui_backup.service import ProfileService
from tui_backup.service.demo import DB_NAME, create_demo


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_demo_is_a_realistic_sample_and_deterministic(tmp_path: Path) -> None:
    a = create_demo(tmp_path / "a", config_path=tmp_path / "a.toml", snapshots=0)
    b = create_demo(tmp_path / "b", config_path=tmp_path / "b.toml", snapshots=0)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    with sqlite3.connect(tmp_path / "a" / DB_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"users", "folders", "assets", "tags", "asset_tags", "audit_log"} <= tables
        total = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
        assert total > 10_000
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    config = load_config(a)
    assert config.name == "demo"
    assert config.source.files and config.source.files[0].is_dir()
    assert config.source.config_files and config.source.config_files[0].is_file()
    assert load_config(b).name == "demo"
    assert (tmp_path / "a" / DB_NAME).stat().st_mode & 0o777 == 0o600


def test_demo_goes_to_the_profiles_dir_and_is_reused(tmp_path: Path) -> None:
    first = create_demo(tmp_path / "demo", snapshots=0)
    assert first == profile_path("demo").resolve()
    text = first.read_text()
    again = create_demo(tmp_path / "elsewhere", snapshots=0)
    assert again == first
    assert first.read_text() == text
    assert not (tmp_path / "elsewhere").exists()


def test_demo_rebuilds_deleted_sample_data(tmp_path: Path) -> None:
    config = create_demo(tmp_path / "demo", snapshots=0)
    (tmp_path / "demo" / DB_NAME).unlink()
    assert create_demo(tmp_path / "demo", snapshots=0) == config
    assert (tmp_path / "demo" / DB_NAME).is_file()


def test_demo_takes_a_first_snapshot(tmp_path: Path) -> None:
    config = create_demo(tmp_path / "demo", config_path=tmp_path / "demo.toml")
    svc = ProfileService.open(config=config)
    try:
        snaps = svc.list_snapshots()
        assert len(snaps) == 1 and snaps[0].note.startswith("demo")
        assert svc.status().health == "ok"
    finally:
        svc.close()


def test_demo_with_a_policy_that_has_run(tmp_path: Path) -> None:
    """`tui-backup demo` shows a working setup: a destination, a nightly policy, one backup."""
    config = create_demo(tmp_path / "demo", config_path=tmp_path / "demo.toml", with_policy=True)
    svc = ProfileService.open(config=config)
    try:
        [policy] = svc.policies()
        assert policy.name == "nightly" and policy.destination == "demo-drive"
        [point] = svc.list_restore_points("demo-drive")
        assert point.type == "full"
        [status] = svc.policy_statuses()
        assert status.health == "ok", status.reasons
        assert svc.status().health == "ok"
    finally:
        svc.close()
