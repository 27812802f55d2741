"""The Schedule screen (`tui-backup schedule show|install|uninstall` in the app): how this
profile's due policies run unattended — a systemd timer or a crontab block that runs
`tui-backup run-due` every few minutes; install (or update) it, or remove it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select

from tui_backup.tui.screens._report import ReportScreen
from tui_backup.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from tui_backup.service.schedule_install import Method, ScheduleReport

METHODS: tuple[tuple[str, Method], ...] = (("systemd timer", "systemd"), ("crontab", "cron"))
SCOPES = (("system units", "system"), ("user units", "user"))
DEFAULT_EVERY = "5m"


def describe(report: ScheduleReport) -> str:
    """What is installed (for `show`) or what an install/uninstall did, as the CLI says it."""
    lines = [f"▲ {n}" for n in report.notes]
    if report.action == "show":
        if not report.installed:
            lines.append(f"The schedule of profile {report.profile} is not installed: due policies run only while "
                         "something runs `tui-backup run-due` (install it below).")
        for item in report.installed:
            lines.append(f"✔ {item.method} ({item.scope}) in {item.location}")
            lines.extend(f"    {line}" for line in item.text.rstrip("\n").splitlines())
        return "\n".join(lines)
    if report.action == "install":
        verb = "installed" if report.changed else "already installed, unchanged"
        for item in report.installed:
            lines.append(f"{verb}: {item.method} ({item.scope}), every {item.every}, in "
                         f"{', '.join(item.files) or item.location}")
    else:
        if not report.removed:
            lines.append(f"nothing to remove: the schedule of profile {report.profile} is not installed")
        for item in report.removed:
            lines.append(f"removed: {item.method} ({item.scope}) from {', '.join(item.files) or item.location}")
    lines.extend(f"ran: {c}" for c in report.commands_run)
    if report.commands_to_run:
        lines.append("run these to activate it: " + "; ".join(report.commands_to_run))
    return "\n".join(lines)


class ScheduleScreen(ReportScreen["ScheduleReport"]):
    TITLE_TEXT = "Schedule — run the due policies automatically"

    DEFAULT_CSS = """
    ScheduleScreen #install-form { height: auto; margin-top: 1; }
    ScheduleScreen #install-form > Label { width: auto; padding: 1 1 0 0; }
    ScheduleScreen #method { width: 22; }
    ScheduleScreen #scope { width: 20; }
    ScheduleScreen #every { width: 10; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="schedule.close"),
        Binding("i", "install", "Install", id="schedule.install"),
        Binding("u", "uninstall", "Uninstall…", id="schedule.uninstall"),
        Binding("f5", "reload", "Refresh", id="schedule.refresh"),
    ]

    def fetch(self) -> ScheduleReport:
        from tui_backup.service.schedule_install import show_schedule

        return show_schedule(self.service)

    def render_report(self, data: ScheduleReport) -> RenderableType:
        return Text(describe(data))

    def extra_widgets(self) -> ComposeResult:
        from tui_backup.service.schedule_install import default_method

        with Horizontal(id="install-form"):
            yield Label("with")
            yield Select(METHODS, value=default_method(), allow_blank=False, id="method")
            yield Select(SCOPES, value="system", allow_blank=False, id="scope")
            yield Label("every")
            yield Input(DEFAULT_EVERY, id="every")

    def extra_buttons(self) -> ComposeResult:
        yield Button("Install (i)", id="install", variant="primary")
        yield Button("Uninstall… (u)", id="uninstall", variant="error")

    def on_button(self, button_id: str) -> None:
        if button_id == "install":
            self.action_install()
        elif button_id == "uninstall":
            self.action_uninstall()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_install()

    def action_reload(self) -> None:
        self.reload()

    def action_install(self) -> None:
        method: Method = self.query_one("#method", Select).value  # type: ignore[assignment]  # one of METHODS
        user = self.query_one("#scope", Select).value == "user"
        every = self.query_one("#every", Input).value.strip() or DEFAULT_EVERY
        self.run_service(f"installing the schedule ({method})", lambda: self._install(method, user, every))

    def _install(self, method: Method, user: bool, every: str) -> str:
        from tui_backup.service import schedule_install as si

        return describe(si.install_schedule(self.service, method, user=user, every=si.parse_every(every)))

    def action_uninstall(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service("removing the schedule", self._uninstall)

        self.app.push_screen(
            ConfirmScreen("Remove the schedule?",
                          "Due policies will no longer run by themselves (only what `schedule install` wrote "
                          "for this profile is removed).", confirm_label="Remove"),
            answered,
        )

    def _uninstall(self) -> str:
        from tui_backup.service.schedule_install import uninstall_schedule

        return describe(uninstall_schedule(self.service))
