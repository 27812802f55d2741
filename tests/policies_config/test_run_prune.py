"""`policy run`, `policy prune [--dry-run]` and `policy verify` end to end on a local destination."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tui_backup import clock


def _c(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("--config", str(config), *args)


@pytest.mark.slow
def test_run_prune_verify(usb_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _c(usb_config, "policy", "add", "--name", "n", "--destination", "usb", "--include", "database",
              "--frequency", "daily").exit_code == 0  # fmt: skip
    for day in (1, 2, 3):
        monkeypatch.setenv(clock.NOW_ENV, f"2026-03-0{day}T02:00:00Z")
        r = _c(usb_config, "policy", "run", "n")
        assert r.exit_code == 0, r.stderr
        assert "policy n:" in r.stderr  # the job's progress lines, as `backup run` shows them
    monkeypatch.setenv(clock.NOW_ENV, "2026-03-03T03:00:00Z")
    r = _c(usb_config, "policy", "run", "n", "--json")
    assert r.exit_code == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert events[0]["event"] == "started" and events[-2]["event"] == "finished"
    assert events[-1]["event"] == "policy-run" and events[-1]["run"]["status"] == "succeeded"
    points = _c(usb_config, "backup", "list", "usb", "--json").json()
    assert len(points) == 4

    assert _c(usb_config, "policy", "edit", "n", "--set", "retention.keep_daily=2").exit_code == 0
    plan = _c(usb_config, "policy", "prune", "n", "--dry-run", "--json").json()
    assert plan["dry_run"] is True and len(plan["decisions"]) == 4
    keep = [d for d in plan["decisions"] if d["keep"]]
    gone = [d for d in plan["decisions"] if not d["keep"]]
    assert len(keep) == 2 and len(gone) == 2
    assert all(d["reasons"] for d in keep)
    human = _c(usb_config, "policy", "prune", "n", "--dry-run")
    assert human.exit_code == 0 and "would remove" in human.stdout and "keep" in human.stdout
    assert len(_c(usb_config, "backup", "list", "usb", "--json").json()) == 4  # a dry run changes nothing

    r = _c(usb_config, "policy", "prune", "n")
    assert r.exit_code == 0, r.stderr
    assert "2 removed" in r.stdout
    left = {p["id"] for p in _c(usb_config, "backup", "list", "usb", "--json").json()}
    assert left == {d["id"] for d in keep}

    r = _c(usb_config, "policy", "verify", "n")
    assert r.exit_code == 0, r.stderr
    assert_error(_c(usb_config, "policy", "run", "nope"), 2, "no policy 'nope'")
