"""`tui-backup status [--json]`: the policies, their health, and the 0/1/2 exit code."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from tests.cli.helpers import cli, run_bin
from tui_backup import clock
from tui_backup.service import ProfileService

from .conftest import open_with, policy_toml, record

H = timedelta(hours=1)


def snapshot(svc: ProfileService) -> None:
    svc.create_snapshot("for status")  # the profile's own check: a snapshot exists


def test_status_json_shape_and_exit_code(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(drill_every='"never"'), policy_toml("weekly", frequency='"weekly"'))
    snapshot(svc)
    record(svc, "nightly", pinned_now - 2 * H, size=4096, took=12.5)
    svc.close()
    env = {clock.NOW_ENV: clock.to_catalog(pinned_now)}
    r = run_bin("--config", str(with_drive), "status", "--json", env=env)
    assert r.exit_code == 1, r.stderr  # "weekly" has no backup yet: a warning
    report = json.loads(r.stdout)
    assert report["health"] == "warn" and report["exit_code"] == 1
    assert report["snapshot_count"] == 1 and "volumes" in report  # the existing fields stay
    nightly, weekly = report["policies"]
    assert set(nightly) >= {
        "name", "state", "enabled", "destination", "schedule", "next_run", "retention", "point_count",
        "newest_point_at", "last_run", "last_success_at", "last_proven_at", "health", "reasons", "sizes",
    }
    assert nightly["name"] == "nightly" and nightly["health"] == "ok" and nightly["reasons"] == []
    assert nightly["schedule"] == "daily at 02:00" and nightly["next_run"] is not None
    assert nightly["enabled"] is True and nightly["last_success_at"] == nightly["newest_point_at"]
    assert nightly["last_run"]["status"] == "succeeded" and nightly["last_run"]["size_bytes"] == 4096
    assert nightly["last_run"]["duration_s"] == 12.5 and nightly["point_count"] == 1
    assert weekly["health"] == "warning" and weekly["reasons"] == ["no backup yet"]


def test_status_failing_policy_exits_2_and_shows_the_table(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml(drill_every='"never"'))
    record(svc, "nightly", pinned_now - 2 * H, "failed", error="no space left on device")
    svc.close()
    human = cli("--config", str(with_drive), "status")
    assert human.exit_code == 2, human.stderr
    assert "policies:" in human.stdout and "nightly" in human.stdout and "✖ failing" in human.stdout
    assert "last run failed: no space left on device" in human.stdout
    js = cli("--config", str(with_drive), "status", "--json")
    assert js.exit_code == 2 and js.json()["policies"][0]["health"] == "failing"


def test_status_all_ok_exits_0(with_drive: Path) -> None:
    svc = open_with(with_drive, policy_toml(drill_every='"never"'))
    snapshot(svc)
    record(svc, "nightly", clock.now() - H)
    svc.close()
    r = cli("--config", str(with_drive), "status")
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "✔ ok" in r.stdout


def test_profile_checks_fold_into_the_exit_code(profile_config: Path) -> None:
    # no policy, no snapshot yet: the profile's own warning
    assert cli("--config", str(profile_config), "status", "--json").exit_code == 1
    svc = ProfileService.open(config=profile_config)
    snapshot(svc)
    svc.close()
    assert cli("--config", str(profile_config), "status", "--json").exit_code == 0
