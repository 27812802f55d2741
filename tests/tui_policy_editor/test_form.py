"""The policy editor through the real app, at 80x24 and 120x40: every field, inline
messages, the diff before saving (comments kept), going back, and a file that changed
between the diff and the save."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tests.tui.conftest import RecordingApp, notes, screen_text, settle
from tests.tui_policy_editor.test_preview import COMMENTS
from tui_backup.tui.screens.policy_fields import FIELDS
from tui_backup.tui.screens.policy_form import PolicyFormScreen
from tui_backup.tui.screens.policy_screens import PolicyDiffScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def text_of(screen: PolicyFormScreen | PolicyDiffScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_editor(pilot, app: RecordingApp) -> PolicyFormScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("3", "e")  # the Policies pane; edit the first policy (nightly)
    form = app.screen
    assert isinstance(form, PolicyFormScreen)
    return form


@pytest.mark.parametrize("size", SIZES)
async def test_edit_shows_the_diff_then_saves_keeping_comments(editor_app: RecordingApp, editor_config: Path,
                                                                size: tuple[int, int]) -> None:
    async with editor_app.run_test(size=size) as pilot:
        form = await open_editor(pilot, editor_app)
        assert form.query_one("#keep_within_weekly", Input).value == "74d"
        assert form.query_one("#hooks-before", Input).value == '["/usr/bin/true", "--check"]'
        form.query_one("#keep_last", Input).value = "9"
        form.query_one("#timeout", Input).value = "2h"
        form.query_one("#notify-on", Input).value = "failure, success"
        before = editor_config.read_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        diff = editor_app.screen
        assert isinstance(diff, PolicyDiffScreen)
        shown = text_of(diff, "#diff")
        assert "-keep_last = 7      # a week of nights" in shown
        assert "+keep_last = 9      # a week of nights" in shown
        assert '+timeout = "2h"' in shown and '+on = ["failure", "success"]' in shown
        assert "Save to" in screen_text(pilot) and "nothing written yet" in screen_text(pilot)
        assert editor_config.read_text() == before  # nothing written yet
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(editor_app.screen, (PolicyDiffScreen, PolicyFormScreen))
        assert [n for n in notes(pilot) if "policy edit" in n[0]], notes(pilot)
    after = editor_config.read_text()
    assert after == diff.after
    for comment in COMMENTS:
        assert comment in after, comment


async def test_back_from_the_diff_keeps_the_form_and_the_file(editor_app: RecordingApp, editor_config: Path) -> None:
    before = editor_config.read_text()
    async with editor_app.run_test(size=(80, 24)) as pilot:
        form = await open_editor(pilot, editor_app)
        form.query_one("#keep_last", Input).value = "3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(editor_app.screen, PolicyDiffScreen)
        await pilot.press("enter")  # a stray Enter does not save
        await pilot.press("escape")
        await settle(pilot)
        assert editor_app.screen is form
        assert form.query_one("#keep_last", Input).value == "3"
        assert not form.query_one("#save").disabled
        await pilot.press("escape")
        assert not isinstance(editor_app.screen, PolicyFormScreen)
    assert editor_config.read_text() == before


@pytest.mark.parametrize("size", SIZES)
async def test_inline_messages(editor_app: RecordingApp, editor_config: Path, size: tuple[int, int]) -> None:
    before = editor_config.read_text()
    async with editor_app.run_test(size=size) as pilot:
        form = await open_editor(pilot, editor_app)
        keep = form.query_one("#keep_daily", Input)
        keep.focus()
        await pilot.press("x")
        await pilot.pause()
        error = form.query_one("#error-keep_daily", Static)
        assert error.display and "not a whole number" in str(error.render())
        assert "keep_daily:" in text_of(form, "#help")  # the focused field's help
        await pilot.press("backspace", "3")
        await pilot.pause()
        assert not error.display
        # several fields at once: every one named, nothing checked with the service yet
        form.query_one("#time", Input).value = "7pm"
        form.query_one("#timeout", Input).value = "a while"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert editor_app.screen is form
        assert "fix 2 fields: time, timeout" in text_of(form, "#error")
        assert form.query_one("#error-time").display and form.query_one("#error-timeout").display
        # what only the service can tell is shown under the field it names
        form.query_one("#time", Input).value = "03:00"
        form.query_one("#timeout", Input).value = ""
        form.query_one("#kind", Select).value = "cron"
        await pilot.pause()
        assert not form.query_one("#field-time").display and form.query_one("#field-cron").display
        form.query_one("#cron", Input).value = "0 3 * *"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert editor_app.screen is form
        assert "does not have 5 fields" in str(form.query_one("#error-cron", Static).render())
        assert "Nothing was saved" in text_of(form, "#error")
    assert editor_config.read_text() == before


async def test_every_field_is_reachable(editor_app: RecordingApp) -> None:
    async with editor_app.run_test(size=(80, 24)) as pilot:
        form = await open_editor(pilot, editor_app)
        for f in FIELDS:
            if f.key != "frequency":
                assert form.query(f"#{f.id}"), f.key
        form.query_one("#notify-ping_url").focus()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()  # the scroll to the focused field animates
        await pilot.pause()
        assert "notify.ping_url" in text_of(form, "#help")
        assert form.query_one("#notify-ping_url").region.y < 24  # scrolled into view


async def test_a_file_changed_after_the_diff_is_not_overwritten(editor_app: RecordingApp,
                                                                 editor_config: Path) -> None:
    async with editor_app.run_test(size=(80, 24)) as pilot:
        form = await open_editor(pilot, editor_app)
        form.query_one("#keep_last", Input).value = "9"
        await pilot.press("ctrl+s")
        await settle(pilot)
        first = editor_app.screen
        assert isinstance(first, PolicyDiffScreen)
        edited = editor_config.read_text().replace("# How long restore points stay.", "# Edited meanwhile.")
        editor_config.write_text(edited)
        await pilot.press("y")
        await settle(pilot)
        second = editor_app.screen
        assert isinstance(second, PolicyDiffScreen) and second is not first  # the new diff, to review again
        assert editor_config.read_text() == edited
        assert "# Edited meanwhile." in second.after
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(editor_app.screen, (PolicyDiffScreen, PolicyFormScreen))
    text = editor_config.read_text()
    assert "# Edited meanwhile." in text and "keep_last = 9      # a week of nights" in text


@pytest.mark.parametrize("size", SIZES)
async def test_add_through_the_diff(editor_app: RecordingApp, editor_config: Path, size: tuple[int, int]) -> None:
    async with editor_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("3", "a")
        form = editor_app.screen
        assert isinstance(form, PolicyFormScreen)
        form.query_one("#name", Input).value = "hourly-db"
        form.query_one("#include", Select).value = "database"
        form.query_one("#kind", Select).value = "hourly"
        await pilot.pause()
        form.query_one("#minute", Input).value = "15"
        form.query_one("#hooks-before", Input).value = "[ -d /tmp ]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        diff = editor_app.screen
        assert isinstance(diff, PolicyDiffScreen)
        shown = text_of(diff, "#diff")
        assert '+name = "hourly-db"' in shown and "+minute = 15" in shown and "+time" not in shown
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(editor_app.screen, (PolicyDiffScreen, PolicyFormScreen))
    policy = {p.name: p for p in editor_app.service.config.policies}["hourly-db"]
    assert policy.schedule.frequency == "hourly" and policy.schedule.minute == 15
    assert policy.hooks.before[0].argv == ("sh", "-c", "[ -d /tmp ]")
    assert all(c in editor_config.read_text() for c in COMMENTS)
