"""Edits through `tui-backup config set` keep a hand-written config byte for byte, except
the value that changed: comments above and after keys, blank lines, odd spacing, the
user's own key order."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.cli.helpers import cli

HAND_WRITTEN = """\
# Backups of assetd — written by hand, NOT by `tui-backup init`.
#   (keep this header)


[source]   # what we protect
# The database, absolute path:
database   =   "sqlite://{db}"    # keep in sync with assetd.toml
files = [
    "{files}",  # uploads live here
]

[profile]
name="hand"  # short name
	# an indented comment, and description left out on purpose

[snapshots]
# how many to keep:
keep = 7   # a week of dailies
verify = 'quick'	# tab before this comment
compression_level=3

# trailing comment block
# (second line)
"""


@pytest.fixture
def hand_config(app_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "hand.toml"
    path.write_text(HAND_WRITTEN.format(db=app_dir / "app.db", files=app_dir / "files"))
    path.chmod(0o640)
    return path


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Pairs of differing lines; the files must have the same number of lines."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b), after
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def config_set(config: Path, key: str, value: str) -> None:
    r = cli("--config", str(config), "config", "set", key, value)
    assert r.exit_code == 0, r.stderr


def test_int_change_touches_only_its_value(hand_config: Path) -> None:
    before = hand_config.read_text()
    config_set(hand_config, "snapshots.keep", "14")
    after = hand_config.read_text()
    assert changed_lines(before, after) == [
        ("keep = 7   # a week of dailies\n", "keep = 14   # a week of dailies\n")
    ]
    assert tomllib.loads(after)["snapshots"]["keep"] == 14


def test_string_change_keeps_odd_spacing_and_comment(hand_config: Path, app_dir: Path) -> None:
    other = app_dir / "other.db"
    other.write_bytes((app_dir / "app.db").read_bytes())
    before = hand_config.read_text()
    config_set(hand_config, "source.database", f"sqlite://{other}")
    assert changed_lines(before, hand_config.read_text()) == [
        (
            f'database   =   "sqlite://{app_dir / "app.db"}"    # keep in sync with assetd.toml\n',
            f'database   =   "sqlite://{other}"    # keep in sync with assetd.toml\n',
        )
    ]


def test_choice_with_tab_before_comment(hand_config: Path) -> None:
    before = hand_config.read_text()
    config_set(hand_config, "snapshots.verify", "full")
    assert changed_lines(before, hand_config.read_text()) == [
        ("verify = 'quick'\t# tab before this comment\n", 'verify = "full"\t# tab before this comment\n')
    ]


def test_list_edit_keeps_the_comment_on_an_element_that_stays(hand_config: Path, app_dir: Path) -> None:
    extra = app_dir / "more"
    extra.mkdir()
    before = hand_config.read_text()
    config_set(hand_config, "source.files", f"{app_dir / 'files'},{extra}")
    after = hand_config.read_text()
    assert f'    "{app_dir / "files"}",  # uploads live here\n' in after
    added = [line for line in after.splitlines(keepends=True) if str(extra) in line]
    assert len(added) == 1
    assert after.replace(added[0], "") == before
    assert tomllib.loads(after)["source"]["files"] == [str(app_dir / "files"), str(extra)]


def test_new_key_is_added_and_nothing_else_moves(hand_config: Path) -> None:
    before = hand_config.read_text()
    config_set(hand_config, "profile.description", "the asset manager")
    after = hand_config.read_text()
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ['description = "the asset manager"']
    assert [line for line in after.splitlines() if line != added[0]] == before.splitlines()
    assert tomllib.loads(after)["profile"] == {"name": "hand", "description": "the asset manager"}


def test_new_section_is_appended(hand_config: Path) -> None:
    before = hand_config.read_text()
    config_set(hand_config, "volumes.min_free_mb", "5")
    after = hand_config.read_text()
    assert after.startswith(before)
    assert tomllib.loads(after)["volumes"] == {"min_free_mb": 5}


def test_successive_edits_and_permissions(hand_config: Path) -> None:
    before = hand_config.read_text()
    config_set(hand_config, "snapshots.keep", "3")
    config_set(hand_config, "snapshots.keep", "7")
    assert hand_config.read_text() == before  # back to the same value: back to the same bytes
    assert hand_config.stat().st_mode & 0o777 == 0o640  # the file keeps its own mode


def test_get_and_show(hand_config: Path) -> None:
    c = str(hand_config)
    assert cli("--config", c, "config", "get", "snapshots.keep").stdout == "7\n"
    assert cli("--config", c, "config", "get", "profile.name").stdout == "hand\n"
    assert cli("--config", c, "config", "get", "trash.retention_days").stdout == "30\n"  # the default
    shown = cli("--config", c, "config", "show", "--json").json()
    assert shown["snapshots"]["keep"] == 7
    assert shown["volumes"]["min_free_mb"] == 100
    text = cli("--config", c, "config", "show").stdout
    assert "keep = 7\n" in text
    assert "min_free_mb = 100  # (default)" in text
    assert cli("--config", c, "config", "path").stdout == f"{hand_config.resolve()}\n"
