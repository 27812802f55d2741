"""`tui-backup backup remove DEST POINT...`: restore points removed by hand go to the
destination's trash (never deleted at once), from a local destination and a restic
repository (a unique prefix of a restic id is enough); bad ids are refused before anything
moves; without a terminal the command needs --yes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tests.helpers import add_destination, open_service
from tests.remote.conftest import password_file
from tui_backup import clock
from tui_backup.cli import app
from tui_backup.service.point_removal import REASON


def _cli(config: Path, *args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, ["--config", str(config), *args])
    return out.exit_code, out.output


def test_remove_by_hand_goes_to_the_trash(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    with open_service(profile_config) as svc:
        for day in (1, 2):
            with clock.pinned(datetime(2026, 11, day, 3, tzinfo=UTC)):
                assert svc.run_backup("usb", "config").ok
        ids = [p.id for p in svc.list_restore_points("usb")]  # newest first
    assert len(ids) == 2
    code, out = _cli(profile_config, "backup", "remove", "usb", ids[0], "--yes")
    assert code == 2 and "is the newest backup at usb" in out
    code, out = _cli(profile_config, "backup", "remove", "usb", ids[1])
    assert code != 0 and "--yes" in out  # no terminal to ask on: refused, nothing moved
    code, out = _cli(profile_config, "backup", "remove", "usb", "no-such-point", "--yes")
    assert code == 2 and "no restore point 'no-such-point' at usb" in out and "Traceback" not in out
    code, out = _cli(profile_config, "backup", "remove", "usb", ids[1], "--yes")
    assert code == 0, out
    with open_service(profile_config) as svc:
        assert [p.id for p in svc.list_restore_points("usb")] == [ids[0]]
        (item,) = svc.trash_items("restore-point")
        assert item.reason == REASON and item.details["point_id"] == ids[1]
        assert f"in the trash as {item.id}" in out
        svc.trash_restore(item.id)
        assert sorted(p.id for p in svc.list_restore_points("usb")) == sorted(ids)


def test_restic_by_unique_prefix(profile_config: Path, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo",
                    password_file=password_file(tmp_path), auto_init=True)
    with open_service(profile_config) as svc:
        for day in (1, 2):
            with clock.pinned(datetime(2026, 11, day, 3, tzinfo=UTC)):
                assert svc.run_backup("vault", "config").ok
        newest, point = svc.list_restore_points("vault")
    code, out = _cli(profile_config, "backup", "remove", "vault", point.id[:8], "--yes", "--json")
    assert code == 0, out
    assert any(json.loads(line).get("event") == "finished" for line in out.splitlines() if line.startswith("{"))
    with open_service(profile_config) as svc:
        assert [p.id for p in svc.list_restore_points("vault")] == [newest.id]
        (item,) = svc.trash_items("restic-snapshot")
        assert item.details["point_id"] == point.id
