"""preview_policy_change: the config text before and after, exactly as saving writes it,
validated the same way, comments kept; and the form's field conversions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tui_backup.errors import ConfigError, UsageError
from tui_backup.service import ProfileService
from tui_backup.service.policy_edit import policy_table, preview_policy_change
from tui_backup.tui.screens.policy_fields import (
    FIELD_BY_KEY,
    FIELDS,
    FormError,
    errors_of,
    field_of_error_key,
    new_policy_table,
    new_texts,
    parse_field,
    policy_changes,
    texts_of,
)
from tui_backup.tui.screens.policy_screens import unified_diff

COMMENTS = (
    "# --- backups ----", "# The nightly copy to the USB drive.", "# the name in commands",
    "# after the app's own maintenance", "# runs even when nobody is logged in", "# How long restore points stay.",
    "# a week of nights", "# trailing comment, not part of any policy",
)


def test_edit_preview_is_what_saving_writes(editor_service: ProfileService, editor_config: Path) -> None:
    text = editor_config.read_text()
    changes: dict[str, object] = {"time": "04:30", "retention.keep_last": 9, "retention.keep_daily": 14,
                                  "timeout": "2h", "notify.on": ["failure", "success"]}
    before, after = preview_policy_change(editor_service, "nightly", changes)
    assert before == text and editor_config.read_text() == text  # nothing written
    editor_service.edit_policy("nightly", changes)
    assert editor_config.read_text() == after
    for comment in COMMENTS:
        assert comment in after, comment
    assert 'time = "04:30"     # after the app\'s own maintenance' in after
    assert "keep_last = 9      # a week of nights" in after


def test_add_preview_is_what_saving_writes(editor_service: ProfileService, editor_config: Path) -> None:
    table: dict[str, object] = {"name": "weekly", "destination": "usb", "frequency": "weekly",
                                "retention": {"keep_weekly": 8}}
    before, after = preview_policy_change(editor_service, None, table)
    assert editor_config.read_text() == before
    editor_service.add_policy(table)
    assert editor_config.read_text() == after
    assert all(c in after for c in COMMENTS)


def test_preview_refuses_what_saving_refuses(editor_service: ProfileService, editor_config: Path) -> None:
    text = editor_config.read_text()
    with pytest.raises(ConfigError) as info:
        preview_policy_change(editor_service, "nightly", {"frequency": None, "cron": "99 * * * *", "time": None})
    assert info.value.key == "policy.nightly.cron"
    with pytest.raises(UsageError):
        preview_policy_change(editor_service, None, {"name": "nightly", "destination": "usb"})
    assert editor_config.read_text() == text


def test_diff_shows_only_the_change_with_context(editor_service: ProfileService) -> None:
    before, after = preview_policy_change(editor_service, "nightly", {"retention.keep_last": 9})
    lines = unified_diff(before, after, "app.toml")
    assert lines[0] == "--- app.toml (now)" and lines[1] == "+++ app.toml (after saving)"
    assert "-keep_last = 7      # a week of nights" in lines
    assert "+keep_last = 9      # a week of nights" in lines
    assert sum(1 for x in lines if x[:1] in "+-" and x[:3] not in ("+++", "---")) == 2


def test_untouched_form_changes_nothing(editor_config: Path) -> None:
    """Every field shows its key as written, and converts back to the same value."""
    for name in ("nightly", "configs"):
        table = policy_table(editor_config, name)
        assert table is not None
        texts = texts_of(table)
        assert policy_changes(texts, dict(texts)) == {}
    nightly = texts_of(policy_table(editor_config, "nightly") or {})
    assert nightly["hooks.before"] == '["/usr/bin/true", "--check"]'
    assert nightly["retention.keep_within_weekly"] == "74d" and nightly["kind"] == "daily"
    assert nightly["drill_every"] == ""  # not set: the default


def test_changes_are_only_what_the_user_changed(editor_config: Path) -> None:
    texts = texts_of(policy_table(editor_config, "nightly") or {})
    new = {**texts, "kind": "weekly", "weekday": "saturday", "hooks.after": "echo done",
           "hooks.on_failure": '{run = "/bin/alert", on_error = "ignore"}', "notify.on": "failure success",
           "drill_every": "never", "retention.keep_last": ""}
    changes = policy_changes(texts, new)
    assert changes["frequency"] == "weekly" and changes["weekday"] == "saturday"
    assert changes["hooks.after"] == "echo done" and changes["notify.on"] == ["failure", "success"]
    assert changes["hooks.on_failure"] == [{"run": "/bin/alert", "on_error": "ignore"}]
    assert changes["retention.keep_last"] is None and changes["drill_every"] == "never"
    assert set(changes) == {"frequency", "weekday", "hooks.after", "hooks.on_failure", "notify.on", "drill_every",
                            "retention.keep_last"}
    # hourly: the time is not a key of an hourly schedule, so it goes
    assert policy_changes(texts, {**texts, "kind": "hourly"}) == {"frequency": "hourly", "time": None}


def test_saved_form_values_load(editor_service: ProfileService, editor_config: Path) -> None:
    texts = texts_of(policy_table(editor_config, "nightly") or {})
    new = {**texts, "hooks.on_failure": '{run = "/bin/alert", on_error = "ignore"}', "timezone": "UTC",
           "retention.max_age": "90d", "notify.ping_url": "https://hc.example/abc", "stale_after": "3d"}
    editor_service.edit_policy("nightly", policy_changes(texts, new))
    policy = next(p for p in editor_service.config.policies if p.name == "nightly")
    assert policy.hooks.on_failure[0].on_error == "ignore" and policy.hooks.on_failure[0].argv == ("sh", "-c", "/bin/alert")
    assert policy.schedule.timezone == "UTC" and policy.notify.ping_url == "https://hc.example/abc"
    with open(editor_config, "rb") as f:
        raw = next(p for p in tomllib.load(f)["policy"] if p["name"] == "nightly")
    assert raw["hooks"]["on_failure"] == [{"run": "/bin/alert", "on_error": "ignore"}]
    assert "[[policy.hooks.on_failure]]" not in editor_config.read_text()  # kept inline


def test_new_policy_table() -> None:
    texts = {**new_texts("usb"), "name": "db", "include": "database", "retention.keep_daily": "30",
             "hooks.before": "[ -d /mnt/usb ] && true"}
    assert new_policy_table(texts) == {
        "name": "db", "destination": "usb", "include": "database", "state": "active", "frequency": "daily",
        "time": "02:00", "retention": {"keep_daily": 30}, "hooks": {"before": "[ -d /mnt/usb ] && true"},
    }


@pytest.mark.parametrize(("key", "text", "message"), [
    ("retention.keep_last", "0", "at least 1"),
    ("retention.keep_last", "x", "is not a whole number"),
    ("minute", "60", "at most 59"),
    ("time", "25:00", "is not a time of day"),
    ("timeout", "soon", "interval"),
    ("retention.keep_within", "0d", "empty span"),
    ("notify.on", "failure sometimes", "unknown 'sometimes'"),
    ("hooks.before", "[1, 2]", "argv list"),
])
def test_field_checks(key: str, text: str, message: str) -> None:
    with pytest.raises(FormError, match=message):
        parse_field(FIELD_BY_KEY[key], text)


def test_every_policy_key_has_a_field() -> None:
    from tui_backup.policies._parse import HOOKS_KEYS, NOTIFY_KEYS, POLICY_KEYS, RETENTION_KEYS

    keys = {f.key for f in FIELDS}
    want = {k.name for k in POLICY_KEYS if k.type != "table"}
    want |= {f"retention.{k.name}" for k in RETENTION_KEYS} | {f"hooks.{k.name}" for k in HOOKS_KEYS}
    want |= {f"notify.{k.name}" for k in NOTIFY_KEYS}
    assert keys == want
    assert len({f.id for f in FIELDS}) == len(FIELDS)


def test_errors_name_fields() -> None:
    texts = {**new_texts("usb"), "time": "7pm"}
    assert set(errors_of(texts)) == {"name", "time"}
    assert set(errors_of({**texts, "kind": "hourly", "name": "x"})) == set()  # time unused when hourly
    field = field_of_error_key("policy.nightly.hooks.before.run")
    assert field is not None and field.key == "hooks.before"
    assert field_of_error_key("policy.nightly") is None
