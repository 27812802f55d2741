"""`trash restore ID` of a removed policy puts its block (comments kept) back into the
config: validated first, refused over a policy of that name unless --overwrite, journaled
`policy.add` "restored from trash"; `--to FILE` still writes the block to a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tests.helpers import append_toml, open_service
from tui_backup.errors import ConfigError
from tui_backup.service.trash import TrashConflictError

NIGHTLY = """# Every night, kept for a month.
[[policy]]
name = "nightly"
destination = "usb"  # the USB drive
frequency = "daily"

[policy.retention]
keep_daily = 30  # a month
"""


def _has_nightly(text: str) -> int:
    """How many policies named nightly (the init template has one commented out)."""
    return text.splitlines().count('name = "nightly"')


@pytest.fixture
def config(usb_config: Path) -> Path:
    append_toml(usb_config, NIGHTLY)
    append_toml(usb_config, "# the trailer comment stays last\n")
    return usb_config


def test_restore_puts_the_block_back_with_its_comments(config: Path) -> None:
    original = config.read_text()
    with open_service(config) as svc:
        svc.remove_policy("nightly")
        assert not _has_nightly(config.read_text()) and [p.name for p in svc.policies()] == []
        (item,) = svc.trash_items(kind="policy")
        done = svc.trash_restore(item.id)
        assert done.state == "restored" and done.details["policy"] == "nightly"
        assert done.details["restored_to"] == str(config.resolve())
        assert [p.name for p in svc.policies()] == ["nightly"]  # the service's config is reloaded
        assert svc.policy("nightly").retention.keep_daily == 30
        text = config.read_text()
        assert (
            NIGHTLY in text and "removed from" not in text
        )  # the item's own header is not put back
        assert text.rstrip().endswith(
            NIGHTLY.rstrip()
        )  # no policy left: it goes at the end, as `policy add` does
        assert sorted(text.splitlines()) == sorted(original.splitlines())
        assert svc.trash_items() == [] and not Path(item.stored).exists()
        (added,) = svc.journal_list(action="policy.add")
        assert added.target == "nightly" and added.details["note"] == "restored from trash"
        assert added.details["restored_from_trash"] == item.id and NIGHTLY in added.details["after"]
        assert [e.details["item"] for e in svc.journal_list(action="trash.restore")] == [item.id]
        # restored is restored: a second restore is refused
        with pytest.raises(Exception, match="not in the trash"):
            svc.trash_restore(item.id)


def test_a_policy_of_that_name_is_a_conflict_unless_overwrite(config: Path) -> None:
    with open_service(config) as svc:
        svc.remove_policy("nightly")
        (item,) = svc.trash_items(kind="policy")
        svc.add_policy({"name": "nightly", "destination": "usb", "frequency": "hourly"})
        before = config.read_text()
        with pytest.raises(TrashConflictError, match="already exists"):
            svc.trash_restore(item.id)
        assert config.read_text() == before and svc.trash_item(item.id).state == "trashed"
        svc.trash_restore(item.id, overwrite=True)
        assert svc.policy("nightly").retention.keep_daily == 30 and len(svc.policies()) == 1
        assert NIGHTLY in config.read_text() and 'frequency = "hourly"' not in config.read_text()
        (replaced,) = svc.trash_items(kind="policy")  # the block it replaced is in the trash now
        assert 'frequency = "hourly"' in Path(replaced.stored).read_text()
        (added,) = svc.journal_list(action="policy.add")[:1]
        assert (
            added.details["replaced_by_trash_item"] == replaced.id
            and "hourly" in added.details["before"]
        )


def test_an_invalid_result_changes_nothing(config: Path) -> None:
    with open_service(config) as svc:
        svc.remove_policy("nightly")
        (item,) = svc.trash_items(kind="policy")
    # its destination is gone from the config meanwhile
    text = config.read_text()
    start = text.index('\n[[destination]]\nname = "usb"')
    config.write_text(text[:start] + text[start:].split("\n\n", 1)[1])
    without = config.read_text()
    with open_service(config) as svc:
        with pytest.raises(ConfigError, match="usb"):
            svc.trash_restore(item.id)
        assert config.read_text() == without and svc.trash_item(item.id).state == "trashed"
        assert svc.journal_list(action="policy.add") == []


def test_restore_among_other_policies_goes_after_the_last(config: Path) -> None:
    with open_service(config) as svc:
        svc.remove_policy("nightly")
        svc.add_policy({"name": "weekly", "destination": "usb", "frequency": "weekly"})
        (item,) = svc.trash_items(kind="policy")
        svc.trash_restore(item.id)
        assert [p.name for p in svc.policies()] == ["weekly", "nightly"]


def test_cli_restore_and_to_file(config: Path, tmp_path: Path) -> None:
    c = ["--config", str(config)]
    assert cli(*c, "policy", "remove", "nightly", "--yes").exit_code == 0
    (item,) = cli(*c, "trash", "list", "--kind", "policy", "--json").json()
    out = tmp_path / "nightly.toml"
    r = cli(*c, "trash", "restore", item["id"], "--to", str(out))
    assert r.exit_code == 0, r.stderr
    assert NIGHTLY in out.read_text() and not _has_nightly(config.read_text())
    assert (
        cli(*c, "policy", "remove", "nightly", "--yes").exit_code != 0
    )  # still gone from the config
    # back into the config from a second removal
    append_toml(config, NIGHTLY)
    assert cli(*c, "policy", "remove", "nightly", "--yes").exit_code == 0
    (item,) = cli(*c, "trash", "list", "--kind", "policy", "--json").json()
    append_toml(config, NIGHTLY)
    assert_error(cli(*c, "trash", "restore", item["id"]), 1, "already exists", "--overwrite")
    r = cli(*c, "trash", "restore", item["id"], "--overwrite")
    assert r.exit_code == 0, r.stderr
    assert "restored" in r.stdout and str(config.resolve()) in " ".join(r.stdout.split())
    assert _has_nightly(config.read_text()) == 1
