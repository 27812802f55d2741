"""Policy edits through tomlkit: comments and blank lines elsewhere survive byte-for-byte,
an invalid edit changes nothing and says why, and a removed block is kept."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import open_service
from tui_backup import clock
from tui_backup.errors import ConfigError, NotFoundError, UsageError
from tui_backup.policies.durations import Span
from tui_backup.service import ProfileService

POLICIES = """
# ---- my policies ----

# The nightly one: to the USB drive.
[[policy]]
name = "nightly"    # keep this name: monitoring uses it
destination = "usb"
frequency = "daily"   # every night
time = "03:00"

# how long to keep them
[policy.retention]
keep_daily = 7  # a week
keep_weekly = 4

# The weekly one.
[[policy]]
name = "weekly"
destination = "usb"
frequency = "weekly"
weekday = "sunday"

# trailing notes of the user
# (two lines)
"""


@pytest.fixture
def commented(usb_config: Path) -> Path:
    usb_config.write_text(usb_config.read_text() + POLICIES)
    return usb_config


@pytest.fixture
def esvc(commented: Path) -> Iterator[ProfileService]:
    with open_service(commented) as service:
        yield service


def _outside(text: str, block_start: str, block_end: str) -> tuple[str, str]:
    """The text before `block_start` and from `block_end` on."""
    a = text.index(block_start)
    b = text.index(block_end, a)
    return text[:a], text[b:]


def test_edit_keeps_everything_else_byte_for_byte(esvc: ProfileService, commented: Path) -> None:
    before = commented.read_text()
    change = esvc.edit_policy("nightly", {"retention.keep_daily": 30, "time": "04:15", "retention.keep_monthly": 12,
                                          "include": "database"})  # fmt: skip
    after = commented.read_text()
    head_b, tail_b = _outside(before, "[[policy]]\nname = \"nightly\"", "# The weekly one.")
    head_a, tail_a = _outside(after, "[[policy]]\nname = \"nightly\"", "# The weekly one.")
    assert head_a == head_b and tail_a == tail_b
    assert 'name = "nightly"    # keep this name: monitoring uses it\n' in after
    assert 'time = "04:15"\n' in after and 'frequency = "daily"   # every night\n' in after
    assert "keep_daily = 30  # a week\n" in after and "keep_monthly = 12\n" in after
    assert "# how long to keep them\n[policy.retention]" in after
    p = esvc.policy("nightly")  # the service was reloaded
    assert p.retention.keep_daily == 30 and p.retention.keep_monthly == 12 and p.schedule.time == "04:15"
    assert p.include == "database"
    assert change.action == "edit" and change.before is not None and change.after is not None
    assert "keep_daily = 7" in change.before and "keep_daily = 30" in change.after
    assert change.before.startswith("# The nightly one")


def test_add_and_remove_keep_the_rest(esvc: ProfileService, commented: Path) -> None:
    original = commented.read_text()
    change = esvc.add_policy({"name": "monthly", "destination": "usb", "frequency": "monthly", "day": 15,
                              "retention": {"keep_monthly": 12}})  # fmt: skip
    text = commented.read_text()
    assert text.startswith(original.split("# trailing notes")[0].rstrip("\n"))
    assert text.endswith("# trailing notes of the user\n# (two lines)\n")
    assert change.after is not None and "[policy.retention]\nkeep_monthly = 12" in change.after
    assert [p.name for p in esvc.policies()] == ["nightly", "weekly", "monthly"]
    assert esvc.policy("monthly").schedule.day == 15
    removed = esvc.remove_policy("monthly")
    assert commented.read_text() == original
    assert removed.before == change.after


def test_remove_returns_the_block_with_its_comments_and_keeps_it(esvc: ProfileService, commented: Path) -> None:
    original = commented.read_text()
    with clock.pinned(clock.parse_time("2026-03-01T12:00:00Z")):
        change = esvc.remove_policy("nightly")
    text = commented.read_text()
    assert change.before is not None and change.before.startswith("# The nightly one: to the USB drive.\n[[policy]]")
    assert "keep_weekly = 4" in change.before and "# The weekly one" not in change.before
    assert original.replace(change.before, "").replace("\n\n\n", "\n\n") == text
    assert "# The weekly one.\n[[policy]]" in text and "# ---- my policies ----\n\n# The weekly one." in text
    assert [p.name for p in esvc.policies()] == ["weekly"]
    saved = change.saved_to
    assert saved is not None and saved.parent.parent == esvc.paths.state_dir / ".tui-backup-trash"
    assert saved.name == "nightly.toml" and "at 20260301T120000Z" in saved.read_text()
    (item,) = esvc.trash_items(kind="policy")  # the trash (layer 1) keeps the block
    assert item.stored == str(saved) and item.reason == "policy remove"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert change.before in saved.read_text()


def test_invalid_edits_change_nothing_and_say_why(esvc: ProfileService, commented: Path) -> None:
    os.chmod(commented, 0o640)
    original = commented.read_bytes()
    cases: list[tuple[dict[str, object], str]] = [
        ({"retention.keep_daily": "lots"}, "policy.nightly.retention.keep_daily"),
        ({"frequency": "weekly", "time": "99:00"}, "policy.nightly.time"),
        ({"destination": "nas"}, "policy.nightly.destination"),
        ({"name": "weekly"}, "duplicate policy name"),
        ({"colour": "blue"}, "unknown key 'colour'"),
    ]
    for changes, fragment in cases:
        with pytest.raises(ConfigError) as info:
            esvc.edit_policy("nightly", changes)
        assert fragment in info.value.message, info.value.message
        assert str(commented.resolve()) in info.value.message
        assert commented.read_bytes() == original
    with pytest.raises(ConfigError):
        esvc.add_policy({"name": "new", "destination": "usb", "every": "forever"})
    with pytest.raises(UsageError, match="already exists"):
        esvc.add_policy({"name": "weekly", "destination": "usb"})
    with pytest.raises(NotFoundError, match="no policy 'nope'"):
        esvc.edit_policy("nope", {"state": "paused"})
    with pytest.raises(UsageError):
        esvc.set_policy_state("nightly", "sleeping")
    assert commented.read_bytes() == original
    assert [p.name for p in esvc.policies()] == ["nightly", "weekly"]
    esvc.edit_policy("nightly", {"time": "05:00"})
    assert stat.S_IMODE(commented.stat().st_mode) == 0o640  # the file's own mode is kept
    assert not [p for p in commented.parent.iterdir() if p.name.startswith(".tui-backup-tmp")]


def test_pause_resume_and_unset(esvc: ProfileService, commented: Path) -> None:
    change = esvc.set_policy_state("weekly", "paused")
    assert change.action == "pause" and change.changed and not esvc.policy("weekly").active
    assert esvc.set_policy_state("weekly", "paused").changed is False
    assert esvc.set_policy_state("weekly", "active").action == "resume"
    assert esvc.policy("weekly").active
    esvc.edit_policy("nightly", {"retention.keep_weekly": None, "retention.keep_within": "14d"})
    r = esvc.policy("nightly").retention
    assert r.keep_weekly is None and r.keep_within == Span(days=14) and r.keep_daily == 7
    esvc.edit_policy("weekly", {"hooks.before": ["/bin/true"], "retention.keep_last": 3})
    text = commented.read_text()
    assert "[policy.hooks]\nbefore = [\"/bin/true\"]" in text and "[policy.retention]\nkeep_last = 3" in text
    assert text.endswith("# trailing notes of the user\n# (two lines)\n")
    assert esvc.policy("weekly").hooks.before[0].argv == ("/bin/true",)
