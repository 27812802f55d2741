"""Each kind of invalid config gets one clear message — file, key, line where known — exit 2
and no traceback; a refused `config set` leaves the file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli


@pytest.fixture
def write_config(tmp_path: Path, app_dir: Path):  # type: ignore[no-untyped-def]
    """Write a config from lines (with {db}, {files} filled in) and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "bad.toml"
        path.write_text(text.format(db=app_dir / "app.db", files=app_dir / "files"))
        return path

    return write


VALID = """\
[profile]
name = "app"

[source]
database = "sqlite://{db}"
files = ["{files}"]

[snapshots]
keep = 5
"""


def check(path: Path, *fragments: str) -> None:
    """Refused by `config validate` and by a command that loads the config."""
    for args in (("config", "validate"), ("snapshot", "create")):
        assert_error(cli("--config", str(path), *args), 2, str(path), *fragments)


def test_the_valid_file_is_valid(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID)
    r = cli("--config", str(path), "config", "validate")
    assert r.exit_code == 0, r.stderr
    assert "valid" in r.stdout


def test_toml_syntax_error_names_the_line(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace("keep = 5", "keep = = 5"))
    check(path, f"{path}:9:", "TOML syntax error")


def test_unterminated_string(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('name = "app"', 'name = "app'))
    check(path, f"{path}:2:", "TOML syntax error")


def test_unknown_key_names_key_and_line(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace("keep = 5", "kep = 5"))
    check(path, f"{path}:9:", "snapshots.kep", "unknown key 'kep'")


def test_unknown_section(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID + "\n[snapshot]\nkeep = 3\n")
    check(path, f"{path}:11:", "unknown section or key 'snapshot'")


def test_wrong_type(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace("keep = 5", 'keep = "five"'))
    check(path, f"{path}:9:", "snapshots.keep", "must be an integer, not a string")


def test_wrong_type_list(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('files = ["{files}"]', 'files = "{files}"'))
    check(path, f"{path}:6:", "source.files", "must be a list of strings")


def test_out_of_range_and_bad_choice(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID + 'compression_level = 30\n')
    check(path, f"{path}:10:", "must be at most 19, not 30")
    path = write_config(VALID + 'verify = "sometimes"\n')
    check(path, f"{path}:10:", "must be one of 'quick', 'full'")


def test_missing_required_value(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('name = "app"\n', ""))
    check(path, f"{path}:1:", "missing required key 'name'")


def test_bad_urls(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('"sqlite://{db}"', '"mysql://u@h/db"'))
    check(path, f"{path}:5:", "source.database", "unsupported database URL scheme 'mysql'")
    path = write_config(VALID.replace('"sqlite://{db}"', '"postgresql://u@h:99999/db"'))
    check(path, f"{path}:5:", "invalid port")
    path = write_config(VALID.replace('"sqlite://{db}"', '"sqlite:///"'))
    check(path, "no database file named")


def test_empty_database_without_environment(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('"sqlite://{db}"', '""'))
    check(path, "database is empty and $DATABASE_URL is not set")


def test_nonexistent_paths(write_config, app_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('files = ["{files}"]', 'files = ["{files}", "/no/such/dir"]'))
    check(path, f"{path}:6:", "files directory /no/such/dir does not exist")
    path = write_config(VALID.replace("{db}", str(app_dir / "gone.db")))
    check(path, f"{path}:5:", f"database file {app_dir / 'gone.db'} does not exist")


def test_password_in_url_is_a_warning_printed_once(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace('"sqlite://{db}"', '"postgresql://app:s3cret@127.0.0.1:5432/app"'))
    r = cli("--config", str(path), "config", "validate")
    assert r.exit_code == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "password" in warnings[0]
    assert "s3cret" not in r.stderr + r.stdout


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("snapshots.keep", "0", "must be at least 1"),
        ("snapshots.keep", "many", "must be an integer"),
        ("snapshots.verify", "never", "must be one of"),
        ("snapshots.prune_after_create", "maybe", "must be true or false"),
        ("snapshots.kep", "3", "unknown config key 'snapshots.kep'"),
        ("keep", "3", "has no section"),
        ("source.database", "mysql://h/db", "unsupported database URL scheme"),
        ("source.files", "/no/such/dir", "does not exist"),
        ("profile.name", "no spaces", "invalid profile name"),
    ],
)
def test_refused_set_leaves_the_file_untouched(
    write_config, key: str, value: str, fragment: str  # type: ignore[no-untyped-def]
) -> None:
    path = write_config("# my comment\n" + VALID)
    before = path.read_bytes()
    inode = path.stat().st_ino
    assert_error(cli("--config", str(path), "config", "set", key, value), 2, fragment)
    assert path.read_bytes() == before
    assert path.stat().st_ino == inode  # not even rewritten with the same bytes
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tui-backup-tmp-")]


def test_set_on_a_file_with_a_syntax_error(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(VALID.replace("keep = 5", "keep = = 5"))
    before = path.read_bytes()
    assert_error(cli("--config", str(path), "config", "set", "snapshots.keep", "3"), 2, "TOML syntax error")
    assert path.read_bytes() == before


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    assert_error(cli("--config", str(tmp_path / "none.toml"), "config", "validate"), 2, "no config file")
    if os.geteuid() != 0:  # root reads anything
        path = tmp_path / "locked.toml"
        path.write_text(VALID)
        path.chmod(0)
        assert_error(cli("--config", str(path), "config", "validate"), 2, "cannot read")
