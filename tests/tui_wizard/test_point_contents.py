"""service/point_contents.py: what a restore point holds, read from its metadata.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import helpers
from tui_backup.errors import NotFoundError
from tui_backup.service import ProfileService


@pytest.fixture
def usb_service(profile_config: Path, drive: Path) -> ProfileService:
    helpers.add_destination(profile_config, "usb", path=drive)
    with helpers.open_service(profile_config) as service:
        yield service  # type: ignore[misc]


def test_lists_the_files_of_a_local_point_and_leaves_nothing_behind(usb_service: ProfileService) -> None:
    assert usb_service.run_backup("usb", "full").ok
    point = usb_service.list_restore_points("usb")[0]
    before = sorted(p.name for p in usb_service.paths.snapshots_dir.iterdir())
    contents = usb_service.point_contents("usb", point.id)
    assert not contents.foreign and contents.database
    paths = [f.path for f in contents.file_paths]
    assert paths == ["config/app.conf", "files/files/a.txt"]
    assert next(f for f in contents.files if f.path == "files/files/a.txt").size == len("hello\n")
    assert sorted(p.name for p in usb_service.paths.snapshots_dir.iterdir()) == before  # staging removed


def test_a_files_point_has_no_database(usb_service: ProfileService) -> None:
    assert usb_service.run_backup("usb", "files").ok
    point = usb_service.list_restore_points("usb")[0]
    contents = usb_service.point_contents("usb", point.id)
    assert not contents.database
    assert [f.path for f in contents.file_paths] == ["files/files/a.txt"]


def test_an_unknown_point_is_a_user_error(usb_service: ProfileService) -> None:
    with pytest.raises(NotFoundError) as info:
        usb_service.point_contents("usb", "nope")
    assert "nope" in info.value.message and "backup list usb" in info.value.hint
