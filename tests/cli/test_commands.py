"""`init`, `profiles`, `tui` and `demo`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.cli.helpers import assert_error, cli
from tui_backup.config import SECTIONS, profile_path


def test_init_writes_a_fully_commented_config(app_dir: Path, tmp_path: Path) -> None:
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    r = cli(
        "init",
        "--name", "shop",
        "--db", f"sqlite://{app_dir / 'app.db'}",
        "--files", str(app_dir / "files"),
        "--files", str(app_dir),
        "--config-file", str(app_dir / "app.conf"),
        "--snapshots-dir", str(snaps),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    path = profile_path("shop")
    assert str(path) in r.stdout and "snapshot create" in r.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    data = tomllib.loads(text)
    assert data["profile"]["name"] == "shop"
    assert data["source"]["files"] == [str(app_dir / "files"), str(app_dir)]
    assert data["source"]["config_files"] == [str(app_dir / "app.conf")]
    assert data["snapshots"]["dir"] == str(snaps)
    for sect in SECTIONS:  # every option is there, with its explanation
        assert f"[{sect.name}]" in text
        for key in sect.keys:
            assert key.name in data[sect.name]
            assert f"# {key.help}" in text
    assert cli("--profile", "shop", "config", "validate").exit_code == 0
    state = Path(cli("--profile", "shop", "status", "--json").json()["state_dir"])
    assert state.is_dir() and state.stat().st_mode & 0o777 == 0o700


def test_init_refuses_to_overwrite(app_dir: Path) -> None:
    args = ("init", "--name", "shop", "--db", f"sqlite://{app_dir / 'app.db'}")
    assert cli(*args).exit_code == 0
    path = profile_path("shop")
    before = path.read_bytes()
    assert_error(cli(*args), 2, "already exists", "never overwrites")
    assert path.read_bytes() == before


def test_init_to_an_explicit_config_file(app_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "shop.toml"
    r = cli("--config", str(target), "init", "--name", "shop", "--db", f"sqlite://{app_dir / 'app.db'}")
    assert r.exit_code == 0, r.stderr
    assert target.is_file()
    assert f"--config {target}" in r.stdout
    assert not profile_path("shop").exists()


def test_init_usage_errors(app_dir: Path) -> None:
    db = f"sqlite://{app_dir / 'app.db'}"
    assert_error(cli("init", "--name", "bad name", "--db", db), 2, "invalid profile name")
    assert_error(cli("init", "--name", "x", "--db", "mysql://h/db"), 2, "--db", "unsupported database URL scheme")
    assert_error(cli("init", "--name", "x", "--db", f"sqlite://{app_dir / 'nope.db'}"), 2, "does not exist")
    assert_error(cli("init", "--name", "x", "--db", db, "--files", str(app_dir / "nope")), 2, "--files")
    assert_error(cli("init", "--name", "x", "--db", db, "--config-file", str(app_dir)), 2, "--config-file")
    assert_error(cli("init", "--name", "x", "--db", db, "--snapshots-dir", "/no/such/dir"), 2, "mkdir -p")
    assert not profile_path("x").exists()


def test_init_postgres_url_with_password_warns(tmp_path: Path) -> None:
    r = cli("init", "--name", "pg", "--db", "postgresql://app:s3cret@127.0.0.1:5432/app")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("warning:") == 1 and "password" in r.stderr
    assert "s3cret" not in r.stderr + r.stdout


def test_profiles(app_dir: Path) -> None:
    r = cli("profiles")
    assert r.exit_code == 0 and "no profiles" in r.stdout
    assert cli("profiles", "list", "--json").json() == []
    db = f"sqlite://{app_dir / 'app.db'}"
    for name in ("beta", "alpha"):
        assert cli("init", "--name", name, "--db", db).exit_code == 0
    listed = cli("profiles", "--json").json()
    assert [p["name"] for p in listed] == ["alpha", "beta"]
    assert listed[0]["config"] == str(profile_path("alpha"))
    assert "beta" in cli("profiles", "list").stdout


def test_tui_without_a_profile_fails_before_the_screen_is_taken() -> None:
    assert_error(cli("tui"), 2, "no profile yet")
    assert_error(cli(), 2, "no profile yet")  # no command opens the app too


def test_demo_creates_a_profile_without_opening(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    r = cli("demo", "--dir", str(target), "--no-open")
    assert r.exit_code == 0, r.stderr
    config = profile_path("demo")
    assert config.is_file() and str(config) in r.stdout
    assert (target / "assetd.db").is_file()
    report = cli("--profile", "demo", "status", "--json").json()
    assert report["profile"] == "demo"
    again = cli("demo", "--dir", str(target), "--no-open")  # reused, not refused
    assert again.exit_code == 0, again.stderr
