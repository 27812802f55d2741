"""The service side of the picker and the first-run screen: listing, health, field checks."""

from __future__ import annotations

from pathlib import Path

from tui_backup.config import profile_path
from tui_backup.service.profiles import (
    HEALTH_ERROR,
    database_url,
    new_profile_problems,
    profile_entries,
    profile_health,
    split_paths,
)


def test_entries_list_the_profiles_dir_and_the_open_config(profile_config: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text(profile_config.read_text())
    assert [(e.name, e.config) for e in profile_entries()] == [("app", profile_config.resolve())]
    entries = profile_entries(other)
    assert [e.name for e in entries] == ["elsewhere", "app"]
    assert [e.name for e in profile_entries(profile_config)] == ["app"]  # not twice


def test_health_of_a_good_and_a_broken_profile(profile_config: Path, broken_profile: Path) -> None:
    good = profile_health(profile_config)
    assert good.health == "warn" and "snapshot" in good.summary  # no snapshot yet
    bad = profile_health(broken_profile)
    assert bad.health == HEALTH_ERROR and "nosuch" in bad.summary


def test_new_profile_problems_name_each_field(app_dir: Path, profile_config: Path) -> None:
    db = str(app_dir / "app.db")
    assert new_profile_problems("new", db, str(app_dir / "files"), str(app_dir / "app.conf")) == {}
    problems = new_profile_problems("app", "/no/such.db", f"{app_dir / 'files'}, /no/dir", str(app_dir / "files"))
    assert problems.keys() == {"name", "database", "files", "config_files"}
    assert "exists already" in problems["name"]
    assert "/no/such.db" in problems["database"] and "/no/dir" in problems["files"]
    assert new_profile_problems("bad name", "mysql://x", "", "")["name"].startswith("invalid profile name")
    assert "unsupported" in new_profile_problems("x", "mysql://x", "", "")["database"]
    assert set(new_profile_problems("", "", "", "")) == {"name", "database"}
    assert profile_path("new").exists() is False


def test_database_url_takes_a_path_or_a_url(isolated_home: Path) -> None:
    assert database_url(" /srv/app.db ") == "sqlite:///srv/app.db"
    assert database_url("~/app.db") == f"sqlite://{isolated_home}/app.db"
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert split_paths(" /a , ,~/b") == (Path("/a"), isolated_home / "b")
