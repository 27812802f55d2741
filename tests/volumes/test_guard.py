"""Layer 0 with real volumes: an unplugged drive (its empty mount point), a read-only
mount, a full one. Each is refused with its message, and nothing is written anywhere."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tests.helpers import open_service
from tests.volumes.conftest import Mounts
from tui_backup.config.models import Config
from tui_backup.errors import VolumeError
from tui_backup.service.volumes import MARKER_NAME, VolumeState

ProfileMaker = Callable[[Path], Config]


def first_use(config: Config) -> str:
    """Use the snapshots volume once, as the first snapshot does: it gets its marker."""
    with open_service(config.file, check_paths=False) as svc:
        svc.guard.require(svc.volume("snapshots"))
        marker = json.loads((svc.paths.snapshots_dir / MARKER_NAME).read_text())
        return str(marker["id"])


def volume_states(config: Config) -> dict[str, str]:
    r = cli("--config", str(config.file), "volumes", "--json")
    assert r.exit_code == 0, r.stderr
    return {v["name"]: v["state"] for v in r.json()}


def snapshot_count(config: Config) -> int:
    with open_service(config.file, check_paths=False) as svc:
        return int(svc.catalog.conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0])


def test_marker_is_written_on_first_use(make_profile: ProfileMaker, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    config = make_profile(dest)
    assert not (dest / MARKER_NAME).exists()  # creating the profile writes nothing there
    marker_id = first_use(config)
    assert len(marker_id) == 32
    assert (dest / MARKER_NAME).stat().st_mode & 0o777 == 0o600
    assert first_use(config) == marker_id  # the second use keeps it
    assert volume_states(config)["snapshots"] == "online"


def test_unplugged_drive_is_offline_and_nothing_is_written(
    make_profile: ProfileMaker, mounts: Mounts | None, tmp_path: Path
) -> None:
    drive = tmp_path / "drive"
    if mounts:
        mounts.mount(drive)
    else:
        drive.mkdir()
    config = make_profile(drive)
    first_use(config)
    if mounts:
        mounts.unmount(drive)  # the drive is unplugged: its empty mount point stays
    else:
        (drive / MARKER_NAME).unlink()
    assert list(drive.iterdir()) == []

    assert volume_states(config)["snapshots"] == "offline"
    r = cli("--config", str(config.file), "snapshot", "create")
    assert_error(r, 1, "volume snapshots", "is offline", MARKER_NAME, "plug in")
    assert list(drive.iterdir()) == []  # nothing was written to the empty mount point
    assert snapshot_count(config) == 0

    with open_service(config.file, check_paths=False) as svc:
        with pytest.raises(VolumeError) as err:
            svc.guard.require(svc.volume("snapshots"))
        assert err.value.state == VolumeState.OFFLINE
    assert list(drive.iterdir()) == []


def test_another_drive_is_foreign_until_adopted(make_profile: ProfileMaker, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    config = make_profile(dest)
    first_use(config)
    (dest / MARKER_NAME).write_text(json.dumps({"id": "f" * 32}))  # another volume's marker
    assert volume_states(config)["snapshots"] == "foreign"
    assert_error(cli("--config", str(config.file), "snapshot", "create"), 1, "different volume", "adopt")

    r = cli("--config", str(config.file), "volumes", "adopt", "snapshots")
    assert r.exit_code == 0, r.stderr
    assert "f" * 32 in r.stdout
    assert volume_states(config)["snapshots"] == "online"


def test_adopting_an_empty_replacement_drive(make_profile: ProfileMaker, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    config = make_profile(dest)
    old_id = first_use(config)
    (dest / MARKER_NAME).unlink()
    assert volume_states(config)["snapshots"] == "offline"
    r = cli("--config", str(config.file), "volumes", "adopt", "snapshots")
    assert r.exit_code == 0, r.stderr
    new_id = json.loads((dest / MARKER_NAME).read_text())["id"]
    assert new_id != old_id and new_id in r.stdout
    assert volume_states(config)["snapshots"] == "online"


def test_adopt_unknown_volume(make_profile: ProfileMaker, tmp_path: Path) -> None:
    config = make_profile(tmp_path)
    assert_error(cli("--config", str(config.file), "volumes", "adopt", "nope"), 2, "no volume 'nope'", "snapshots")


def test_read_only_destination_is_refused(make_profile: ProfileMaker, mounts: Mounts | None, tmp_path: Path) -> None:
    dest = tmp_path / "ro"
    if mounts:
        mounts.mount(dest)
    else:
        dest.mkdir()
    config = make_profile(dest)
    first_use(config)
    if mounts:
        mounts.remount_read_only(dest)
    else:
        dest.chmod(0o500)
    try:
        before = sorted(p.name for p in dest.iterdir())
        assert volume_states(config)["snapshots"] == "read-only"
        r = cli("--config", str(config.file), "snapshot", "create")
        assert_error(r, 1, "volume snapshots", "read-only", "remount it read-write")
        assert sorted(p.name for p in dest.iterdir()) == before == [MARKER_NAME]
        assert snapshot_count(config) == 0
    finally:
        if not mounts:
            dest.chmod(0o700)


def test_low_free_space_is_refused(make_profile: ProfileMaker, mounts: Mounts | None, tmp_path: Path) -> None:
    dest = tmp_path / "small"
    if mounts:
        mounts.mount(dest, size="16m")
    else:
        dest.mkdir()
    config = make_profile(dest)
    set_min_free(config, 1)
    first_use(config)
    free_mb = os.statvfs(dest).f_bavail * os.statvfs(dest).f_frsize // (1024 * 1024)
    min_free = free_mb + (16 if mounts else 1024)
    set_min_free(config, min_free)

    states = cli("--config", str(config.file), "volumes", "--json").json()
    (snap,) = [v for v in states if v["name"] == "snapshots"]
    assert snap["state"] == "low space"
    assert snap["free_bytes"] < min_free * 1024 * 1024
    r = cli("--config", str(config.file), "snapshot", "create")
    assert_error(r, 1, "volume snapshots", "low space", f"below min_free_mb = {min_free}", "min_free_mb")
    assert [p.name for p in dest.iterdir()] == [MARKER_NAME]
    assert snapshot_count(config) == 0


def set_min_free(config: Config, mb: int) -> None:
    r = cli("--config", str(config.file), "config", "set", "volumes.min_free_mb", str(mb))
    assert r.exit_code == 0, r.stderr


def test_volumes_json_lists_every_volume_and_state(profile_config: Path, app_dir: Path) -> None:
    r = cli("volumes", "--json")
    assert r.exit_code == 0, r.stderr
    rows = r.json()
    assert [v["name"] for v in rows] == ["source.database", "source.files[0]", "source.config_files[0]", "snapshots"]
    assert {v["state"] for v in rows} == {"online"}
    assert all(isinstance(v["free_bytes"], int) and v["free_bytes"] > 0 for v in rows)
    assert {v["role"] for v in rows} == {"source", "destination"}

    # A source that went away is shown as missing (and the listing still works).
    (app_dir / "files" / "a.txt").unlink()
    (app_dir / "files").rmdir()
    (app_dir / "app.conf").unlink()
    states = {v["name"]: v for v in cli("volumes", "--json").json()}
    assert states["source.files[0]"]["state"] == "missing"
    assert states["source.config_files[0]"]["state"] == "missing"
    assert states["source.files[0]"]["hint"]
    human = cli("volumes")
    assert human.exit_code == 0
    assert "missing" in human.stdout and "source.files[0]" in human.stdout


def test_never_used_destination_that_does_not_exist_is_missing(make_profile: ProfileMaker, tmp_path: Path) -> None:
    dest = tmp_path / "later"
    dest.mkdir()
    config = make_profile(dest)
    dest.rmdir()
    assert volume_states(config)["snapshots"] == "missing"
    assert_error(cli("--config", str(config.file), "snapshot", "create"), 1, "does not exist", "mkdir -p")
    assert not dest.exists()  # not created behind the user's back
