"""`stats`: restore points, storage used and space saved on real rsync and restic destinations."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.helpers import add_destination, append_toml
from tests.remote.conftest import password_file
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service.stats import profile_stats, walk_sizes

PASSWORD = "correct horse battery staple"


@pytest.fixture
def stats_config(profile_config: Path, app_dir: Path, tmp_path: Path) -> Path:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(300_000))
    (tmp_path / "rsync").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "copies").mkdir()
    add_destination(profile_config, "rs", "rsync", path=tmp_path / "rsync")
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo",
                    password_file=password_file(tmp_path, PASSWORD), auto_init=True)
    add_destination(profile_config, "copies", path=tmp_path / "copies")
    return append_toml(profile_config,
                       '[[policy]]\nname = "hourly-rs"\ndestination = "rs"\nevery = "1h"\ninclude = "files"\n')


def backup_twice(svc: ProfileService, dest: str) -> None:
    for hour in (1, 2):  # restore points are named by the second: two distinct times
        with clock.pinned(datetime(2026, 6, 15, hour, tzinfo=UTC)):
            finished = svc.run_backup(dest, "files")
        assert finished.ok, finished.error_message


def test_rsync_hard_links_are_counted_once(stats_config: Path, tmp_path: Path, app_dir: Path) -> None:
    svc = ProfileService.open(config=stats_config)
    backup_twice(svc, "rs")
    report = profile_stats(svc)
    rs = {d.name: d for d in report.destinations}["rs"]
    assert rs.error is None and rs.point_count == 2 and rs.own_point_count == 2
    assert rs.policies == ["hourly-rs"]
    # every file of files/ is a hard link in the second point: stored once, listed twice
    files_size = sum(p.stat().st_size for p in (app_dir / "files").rglob("*") if p.is_file())
    assert rs.saved_bytes == files_size and files_size > 300_000
    assert rs.logical_bytes is not None and rs.stored_bytes is not None
    assert rs.logical_bytes == rs.stored_bytes + files_size
    # the same walk agrees with GNU du (hard links once, and counted each time)
    points = sorted(p for p in (tmp_path / "rsync").iterdir() if p.name[0].isdigit())
    assert walk_sizes(points) == (rs.logical_bytes, rs.stored_bytes)
    du = subprocess.run(["du", "-sb", "--", *map(str, points)], capture_output=True, text=True, check=True)
    du_l = subprocess.run(["du", "-slb", "--", *map(str, points)], capture_output=True, text=True, check=True)
    dirs = sum(os.lstat(os.path.join(d, n)).st_size for p in points for d, ds, _ in os.walk(p) for n in ds) + \
        sum(os.lstat(p).st_size for p in points)
    as_du = sum(int(line.split()[0]) for line in du.stdout.splitlines())
    as_du_l = sum(int(line.split()[0]) for line in du_l.stdout.splitlines())
    assert as_du_l - as_du == rs.saved_bytes  # both count directories the same; the difference is the links
    assert as_du - dirs <= rs.stored_bytes  # du also counts symlinks' own size
    svc.close()


def test_restic_raw_data_against_restore_size(stats_config: Path, tmp_path: Path) -> None:
    svc = ProfileService.open(config=stats_config)
    backup_twice(svc, "vault")
    vault = {d.name: d for d in profile_stats(svc).destinations}["vault"]
    assert vault.error is None and vault.point_count == 2, vault
    env = {**os.environ, "RESTIC_REPOSITORY": str(tmp_path / "repo"),
           "RESTIC_PASSWORD_FILE": str(tmp_path / "secrets" / "restic.pw")}

    def restic_stats(mode: str) -> int:
        out = subprocess.run(["restic", "stats", "--json", "--no-lock", "--mode", mode], env=env,
                             capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL).stdout
        return int(json.loads(out)["total_size"])

    assert vault.stored_bytes == restic_stats("raw-data")
    assert vault.logical_bytes == restic_stats("restore-size")
    # the second backup was deduplicated: the repository holds about half of what it would restore
    assert vault.saved_bytes is not None and vault.logical_bytes is not None and vault.stored_bytes is not None
    assert vault.logical_bytes > 600_000 and vault.saved_bytes > 0 and vault.stored_bytes < 0.6 * vault.logical_bytes
    assert "raw-data" in vault.method
    svc.close()


def test_local_sizes_offline_and_cli(stats_config: Path, tmp_path: Path) -> None:
    svc = ProfileService.open(config=stats_config)
    finished = svc.run_backup("copies", "files")
    assert finished.ok, finished.error_message
    svc.close()
    r = cli("--config", str(stats_config), "stats", "--json")
    assert r.exit_code == 0, r.stderr
    report = r.json()
    by_name = {d["name"]: d for d in report["destinations"]}
    copies = by_name["copies"]
    assert copies["point_count"] == 1 and copies["saved_bytes"] == 0 and copies["stored_bytes"] > 300_000
    assert by_name["rs"]["point_count"] == 0  # nothing there yet, and no error
    assert by_name["vault"]["error"] is not None or by_name["vault"]["point_count"] == 0
    assert [j["kind"] for j in report["recent_jobs"]][:1] == ["backup"]
    assert PASSWORD not in r.stdout
    human = cli("--config", str(stats_config), "stats")
    assert human.exit_code == 0 and "copies" in human.stdout and "recent jobs:" in human.stdout
    # an unplugged drive: reported, not raised
    marker = tmp_path / "copies" / ".tui-backup-volume"
    assert marker.exists()
    marker.unlink()
    r = cli("--config", str(stats_config), "stats", "--json")
    assert r.exit_code == 0
    copies = {d["name"]: d for d in r.json()["destinations"]}["copies"]
    assert copies["error"].startswith("offline") and copies["point_count"] is None
