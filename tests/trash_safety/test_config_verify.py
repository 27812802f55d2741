"""`config.change` for every config write (secrets redacted), and `verify` entries for
destination checks and policy verifications."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tests.helpers import append_toml, open_service
from tui_backup.errors import ConfigError, TuiBackupError, UsageError
from tui_backup.service import ProfileService
from tui_backup.service.journal import REDACTED


def test_set_config_value_is_journaled_with_before_and_after(svc: ProfileService) -> None:
    text = Path(svc.config.file).read_text()
    change = svc.set_config_value("snapshots.keep", "7", raw=True)
    assert change.changed and change.after == 7 and svc.config.snapshots.keep == 7
    (entry,) = svc.journal_list(action="config.change")
    assert entry.target == "snapshots.keep"
    assert entry.details == {
        "setting": "snapshots.keep",
        "before": change.before,
        "after": 7,
        "file": change.file,
    }
    assert entry.actor["interface"] == "cli"
    # the same value again rewrites nothing new: no second entry
    assert not svc.set_config_value("snapshots.keep", 7).changed
    assert len(svc.journal_list(action="config.change")) == 1
    # an invalid value changes nothing and journals nothing
    with pytest.raises((ConfigError, UsageError)):
        svc.set_config_value("snapshots.keep", "-3", raw=True)
    assert len(svc.journal_list(action="config.change")) == 1
    assert (
        Path(svc.config.file).read_text() != text
        and "keep = 7" in Path(svc.config.file).read_text()
    )


def test_secret_bearing_values_are_redacted(svc: ProfileService) -> None:
    token_url = "tgram://123456789:AAHsecretTOKENvalue/987654"
    svc.set_config_value("notify.urls", [token_url])
    svc.set_config_value("notify.ping_url", "https://hc-ping.com/5f1c0b0e-secret-uuid")
    entries = svc.journal_list(action="config.change")
    assert {e.target for e in entries} == {"notify.urls", "notify.ping_url"}
    for e in entries:
        assert e.details["after"] == REDACTED and e.details["before"] in ([], "")
    raw = json.dumps([e.details for e in svc.journal_list(limit=1000)])
    assert "AAHsecretTOKEN" not in raw and "secret-uuid" not in raw
    assert svc.journal_verify().ok


def test_cli_config_set_journals(profile_config: Path) -> None:
    c = ["--config", str(profile_config)]
    r = cli(*c, "config", "set", "trash.retention_days", "14")
    assert r.exit_code == 0, r.stderr
    assert "trash.retention_days = 14" in r.stdout
    assert_error(cli(*c, "config", "set", "trash.retention_days", "soon"), 2, "must be an integer")
    entries = cli(*c, "journal", "list", "--action", "config.change", "--json").json()
    assert [(e["target"], e["details"]["before"], e["details"]["after"]) for e in entries] == [
        ("trash.retention_days", 30, 14)
    ]


def test_cli_config_set_on_a_config_that_does_not_load_yet(profile_config: Path) -> None:
    """`config set` is how a broken config gets fixed: the entry is journaled once it is valid."""
    text = profile_config.read_text()
    profile_config.write_text(text.replace("\nkeep = 10\n", "\nkeep = -1\n", 1))
    c = ["--config", str(profile_config)]
    assert cli(*c, "status").exit_code != 0
    r = cli(*c, "config", "set", "snapshots.keep", "5")
    assert r.exit_code == 0, r.stderr
    (entry,) = cli(*c, "journal", "list", "--action", "config.change", "--json").json()
    assert entry["details"]["before"] == -1 and entry["details"]["after"] == 5


def test_destination_check_is_journaled_with_its_outcome(psvc: ProfileService, drive: Path) -> None:
    assert psvc.check_destination("usb").ok
    (entry,) = psvc.journal_list(action="verify")
    assert (
        entry.target == "dest:usb"
        and entry.details["ok"] is True
        and entry.details["status"].startswith("succeeded")
    )
    # a check that cannot even start (the drive is gone) is journaled as failed
    drive.rename(drive.with_name("unplugged"))
    with pytest.raises(TuiBackupError):
        psvc.check_destination("usb")
    latest = psvc.journal_list(action="verify")[0]
    assert latest.target == "dest:usb" and latest.details["ok"] is False and latest.details["error"]


def test_policy_verify_is_one_entry_naming_the_destination(usb_config: Path) -> None:
    append_toml(usb_config, '[[policy]]\nname = "nightly"\ndestination = "usb"\n')
    with open_service(usb_config) as svc:
        outcome = svc.verify_policy("nightly")
        assert outcome.finished is not None and outcome.finished.ok
        (entry,) = svc.journal_list(action="verify")
        assert entry.target == "policy:nightly"
        assert entry.details["destination"] == "usb" and entry.details["ok"] is True
        assert entry.details["run_id"] == outcome.run.id


def test_cli_destination_check_is_journaled(usb_config: Path) -> None:
    c = ["--config", str(usb_config)]
    r = cli(*c, "destination", "check", "usb")
    assert r.exit_code == 0, r.stderr
    (entry,) = cli(*c, "journal", "list", "--action", "verify", "--json").json()
    assert entry["target"] == "dest:usb" and entry["details"]["ok"] is True
