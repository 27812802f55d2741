"""The footer's keys are in the app's first frame (tui/widgets/footer.py): Textual's Footer
composes nothing until the screen first announces its bindings, a few frames later."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.tui.conftest import SIZE, RecordingApp, fixed_clock
from tui_backup.service import ProfileService
from tui_backup.tui.widgets.footer import ReadyFooter


class KeysApp(App[None]):
    """Records the footer's keys when the app is mounted: before any frame is drawn."""

    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, footer: Footer) -> None:
        super().__init__()
        self.footer = footer
        self.keys_at_mount: list[str] | None = None

    def compose(self) -> ComposeResult:
        yield self.footer

    def on_mount(self) -> None:
        self.keys_at_mount = [k.key for k in self.query(FooterKey)]


async def test_the_ready_footer_has_its_keys_before_the_first_frame() -> None:
    plain, ready = KeysApp(Footer(compact=True)), KeysApp(ReadyFooter(compact=True))
    for app in (plain, ready):
        async with app.run_test():
            pass
    assert plain.keys_at_mount == []  # what the first frame showed before
    assert ready.keys_at_mount == ["q", "ctrl+p"]


async def test_the_app_starts_with_its_keys_and_the_dashboard_focused(demo_service: ProfileService) -> None:
    """The app's own keys at mount, the Dashboard's as soon as it has the focus (at once)."""

    class MountRecorder(RecordingApp):
        keys_at_mount: list[str] = []

        def on_mount(self) -> None:
            super().on_mount()
            self.keys_at_mount = [k.key for k in self.query(FooterKey)]

    app = MountRecorder(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        assert {"q", "R", "ctrl+p"} <= set(app.keys_at_mount)
        await pilot.pause()
        assert type(app.focused).__name__ == "Dashboard"
