"""`tui-backup run-due` in-process: lines, --json, --dry-run, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import destination_toml
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.cli import app
from tui_backup.service import ProfileService

from .conftest import policy_toml, write_policies


def run_due(config: Path, now: str, *args: str) -> tuple[int, str]:
    clock.set_now(clock.parse_time(now))
    r = CliRunner().invoke(app, ["--config", str(config), "run-due", *args], catch_exceptions=False)
    return r.exit_code, r.stdout


def test_run_due_lines_and_exit_codes(sched_config: Path, tmp_path: Path) -> None:
    offline = tmp_path / "unplugged"
    write_policies(
        sched_config,
        destination_toml("usb", path=offline),
        policy_toml(),
        policy_toml("to-usb", destination="usb"),
        policy_toml("later", state="paused"),
    )
    code, out = run_due(sched_config, "2026-06-01T12:00:00Z")
    assert code == 0
    assert "not due    nightly backup: new policy: first run at 2026-06-02 03:00 CEST" in out
    assert "not due    later backup: paused" in out
    code, out = run_due(sched_config, "2026-06-02T01:30:00Z", "--dry-run")
    assert code == 0
    assert "would run  nightly backup: slot 2026-06-02 03:00 CEST" in out
    assert "would run  to-usb backup: slot 2026-06-02 03:00 CEST" in out
    code, out = run_due(sched_config, "2026-06-02T01:30:00Z")
    assert code == 1, out  # to-usb failed: its drive is not there
    assert "ran        nightly backup: succeeded" in out
    assert "failed     to-usb backup: failed" in out
    code, out = run_due(sched_config, "2026-06-02T01:32:00Z", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["items"] == [] and data["outcomes"] == [] and not data["dry_run"]
    why = {i["policy"]: i["reason"] for i in data["not_due"] if i["kind"] == "backup"}
    assert why["to-usb"] == "failed 1 time(s); retry at 2026-06-02 03:35 CEST"
    assert why["nightly"] == "done; next slot 2026-06-03 03:00 CEST"


@pytest.mark.parametrize("every", ["never", "3d"])
def test_drills_and_verifications_become_due(sched_config: Path, every: str) -> None:
    write_policies(sched_config, policy_toml(drill_every=every, verify_every="1d"))
    code, out = run_due(sched_config, "2026-06-01T12:00:00Z")
    assert "not due    nightly verify: no successful backup yet" in out
    code, out = run_due(sched_config, "2026-06-02T01:30:00Z")
    assert code == 0, out
    assert "ran        nightly backup: succeeded" in out
    assert "ran        nightly verify: succeeded" in out
    assert ("ran        nightly drill: succeeded" in out) == (every != "never")
    svc = ProfileService.open(config=sched_config)
    kinds = [r.kind for r in reversed(pr.list_runs(svc.catalog, "nightly"))]
    assert kinds[:2] == ["backup", "verify"] if every == "never" else kinds[:3] == ["backup", "drill", "verify"]
    code, out = run_due(sched_config, "2026-06-02T12:00:00Z")
    assert "not due    nightly verify: next verify due 2026-06-03 01:30 UTC" in out
    svc.close()
