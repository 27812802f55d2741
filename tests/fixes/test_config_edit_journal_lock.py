"""A config edit (`config set`, policy add/edit/pause/remove, a removed policy restored)
never lands without its journal entry: the file is written while the catalog's write lock
is held and the entry goes into that same transaction. A catalog locked by another process
refuses the edit (one error line and a hint, the file byte-identical); a failed write
journals nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tests.fixes.helpers import catalog_write_lock
from tests.helpers import add_destination, append_toml, open_service
from tui_backup.catalog._db import CatalogLocked
from tui_backup.service import ProfileService

POLICY = '[[policy]]\nname = "nightly"\ndestination = "usb"\ninclude = "config"\nfrequency = "daily"\n'


@pytest.fixture
def config(profile_config: Path, drive: Path) -> Path:
    """The `app` profile with a local destination `usb` and a policy `nightly`."""
    add_destination(profile_config, "usb", path=drive)
    return append_toml(profile_config, POLICY)


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock outlasts the catalog's busy timeout without the test waiting the real 15 s."""
    from tui_backup.catalog import _db

    monkeypatch.setattr(_db, "BUSY_TIMEOUT_MS", 300)


@pytest.fixture
def psvc(config: Path) -> Iterator[ProfileService]:
    with open_service(config, interface="tui") as service:  # open before the lock, as the TUI is
        yield service


def _actions(config: Path) -> list[str]:
    """The journal's actions, oldest first (through the CLI, as a user reads them)."""
    r = cli("--config", str(config), "journal", "list", "--limit", "1000", "--json")
    assert r.exit_code == 0, r.stderr
    return [e["action"] for e in reversed(r.json())]


def _verify(config: Path) -> None:
    r = cli("--config", str(config), "journal", "verify")
    assert r.exit_code == 0, (r.stdout, r.stderr)


# ---- locked: refused, nothing changed ----


@pytest.mark.usefixtures("short_busy_timeout")
@pytest.mark.parametrize("args", [
    ("config", "set", "volumes.min_free_mb", "5"),
    ("policy", "add", "--name", "weekly", "--destination", "usb", "--include", "config", "--frequency", "weekly"),
    ("policy", "edit", "nightly", "--set", "retention.keep_daily=3"),
    ("policy", "pause", "nightly"),
    ("policy", "remove", "nightly", "--yes"),
], ids=["config-set", "policy-add", "policy-edit", "policy-pause", "policy-remove"])
def test_cli_edit_refused_while_the_catalog_is_locked(config: Path, args: tuple[str, ...]) -> None:
    with open_service(config) as svc:
        catalog = svc.paths.catalog
    before = config.read_bytes()
    entries = _actions(config)
    with catalog_write_lock(catalog):
        r = cli("--config", str(config), *args)
    assert_error(r, 1, "locked by another process")
    assert config.read_bytes() == before
    assert _actions(config) == entries
    # the lock gone, the same edit works and is journaled once
    again = cli("--config", str(config), *args)
    assert again.exit_code == 0, again.stderr
    assert config.read_bytes() != before
    action = "config.change" if args[0] == "config" else {"add": "policy.add", "remove": "policy.remove"}.get(
        args[1], "policy.edit")
    added = _actions(config)[len(entries):]
    assert added.count(action) == 1, added
    _verify(config)


@pytest.mark.usefixtures("short_busy_timeout")
def test_config_set_says_nothing_changed(config: Path) -> None:
    with open_service(config) as svc:
        catalog = svc.paths.catalog
    before = config.read_bytes()
    with catalog_write_lock(catalog):
        r = cli("--config", str(config), "config", "set", "trash.retention_days", "14")
    assert_error(r, 1, "nothing was changed", "locked by another process", "retry when it is done")
    assert config.read_bytes() == before


@pytest.mark.usefixtures("short_busy_timeout")
def test_config_that_does_not_load_is_still_repaired_while_locked(config: Path) -> None:
    """`config set` is how a broken config is fixed: with no service to hold the lock, the
    edit is made and its entry journaled best-effort (as before)."""
    with open_service(config) as svc:
        catalog = svc.paths.catalog
    config.write_text(config.read_text().replace("\nkeep = 10\n", "\nkeep = -1\n", 1))
    with catalog_write_lock(catalog):
        r = cli("--config", str(config), "config", "set", "snapshots.keep", "5")
    assert r.exit_code == 0, r.stderr
    assert "\nkeep = 5\n" in config.read_text()


@pytest.mark.usefixtures("short_busy_timeout")
@pytest.mark.parametrize("edit", ["config", "add", "edit", "pause", "remove", "restore"])
def test_open_service_edit_refused_while_the_catalog_is_locked(psvc: ProfileService, config: Path,
                                                               edit: str) -> None:
    """The TUI's path: the service is open (its catalog migrated) when another process takes
    the lock; the edit is refused before the file is touched."""
    item = None
    if edit == "restore":
        item = psvc.remove_policy("nightly").saved_to
        assert item is not None
        item_id = item.parent.name
    before = config.read_bytes()
    count = len(psvc.journal_list(limit=1000))
    calls = {
        "config": lambda: psvc.set_config_value("volumes.min_free_mb", 5),
        "add": lambda: psvc.add_policy({"name": "weekly", "destination": "usb", "include": "config"}),
        "edit": lambda: psvc.edit_policy("nightly", {"retention.keep_daily": 3}),
        "pause": lambda: psvc.set_policy_state("nightly", "paused"),
        "remove": lambda: psvc.remove_policy("nightly"),
        "restore": lambda: psvc.restore_removed_policy(item_id),
    }
    with catalog_write_lock(psvc.paths.catalog), pytest.raises(CatalogLocked) as caught:
        calls[edit]()
    assert "locked by another process" in caught.value.message and caught.value.hint
    assert config.read_bytes() == before
    assert len(psvc.journal_list(limit=1000)) == count
    calls[edit]()  # the lock gone: done, and journaled
    assert config.read_bytes() != before
    assert len(psvc.journal_list(limit=1000)) > count
    assert psvc.journal_verify().ok


# ---- normal: one entry per change; a failed write journals nothing ----


def test_one_entry_per_change_and_the_chain_verifies(config: Path) -> None:
    c = ("--config", str(config))
    steps = [
        (("config", "set", "volumes.min_free_mb", "5"), "config.change"),
        (("config", "set", "volumes.min_free_mb", "5"), None),  # the same value: no change, no entry
        (("policy", "add", "--name", "weekly", "--destination", "usb", "--include", "config",
          "--frequency", "weekly"), "policy.add"),
        (("policy", "edit", "weekly", "--set", "retention.keep_daily=3"), "policy.edit"),
        (("policy", "pause", "weekly"), "policy.edit"),
        (("policy", "pause", "weekly"), None),  # already paused
        (("policy", "resume", "weekly"), "policy.edit"),
        (("policy", "remove", "weekly", "--yes"), "policy.remove"),
    ]
    for args, action in steps:
        before = _actions(config)
        r = cli(*c, *args)
        assert r.exit_code == 0, (args, r.stderr)
        added = [a for a in _actions(config)[len(before):] if a != "trash.put"]  # remove keeps the block
        assert added == ([action] if action else []), (args, added)
    _verify(config)


def test_a_failed_write_journals_nothing(psvc: ProfileService, config: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_backup.config import _edit
    from tui_backup.service import policy_edit

    def no_space(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    before = config.read_bytes()
    count = len(psvc.journal_list(limit=1000))
    monkeypatch.setattr(_edit, "atomic_writer", no_space)
    monkeypatch.setattr(policy_edit, "_write", no_space)
    with pytest.raises(OSError):
        psvc.set_config_value("volumes.min_free_mb", 5)
    with pytest.raises(OSError):
        psvc.edit_policy("nightly", {"retention.keep_daily": 3})
    assert config.read_bytes() == before
    assert len(psvc.journal_list(limit=1000)) == count
    monkeypatch.undo()
    psvc.edit_policy("nightly", {"retention.keep_daily": 3})  # the transaction was rolled back: the next works
    assert [e.action for e in psvc.journal_list(limit=1)] == ["policy.edit"]
    assert psvc.journal_verify().ok


def test_an_edit_moving_the_state_dir_is_journaled_where_the_profile_now_lives(config: Path,
                                                                              tmp_path: Path) -> None:
    new_state = tmp_path / "new-state"
    r = cli("--config", str(config), "config", "set", "profile.state_dir", str(new_state))
    assert r.exit_code == 0, r.stderr
    with open_service(config) as svc:
        assert svc.paths.state_dir == new_state
        (entry,) = svc.journal_list(action="config.change")
        assert entry.target == "profile.state_dir"
