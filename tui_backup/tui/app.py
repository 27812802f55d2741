"""The terminal app: a header with the profile's health, a tabbed body, a footer of keys.

The app holds no business logic: it shows what the service layer reports and calls it in
thread workers.
"""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.theme import Theme
from textual.widgets import TabbedContent, TabPane

from tui_backup.errors import TuiBackupError
from tui_backup.service.profile import ProfileService
from tui_backup.tui.commands import PaneCommands
from tui_backup.tui.formatting import Clock, utc_clock
from tui_backup.tui.frame_timer import frames_at_once
from tui_backup.tui.messages import DataChanged, OperationFailed, StatusLoaded
from tui_backup.tui.panes import PANE_SPECS, PendingPane, build_pane
from tui_backup.tui.preferences import remember_theme, remembered_theme
from tui_backup.tui.themes import APP_VARIABLES, choose_theme, load_themes
from tui_backup.tui.widgets.dashboard import Dashboard
from tui_backup.tui.widgets.footer import ReadyFooter
from tui_backup.tui.widgets.header import ProfileHeader

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

    from tui_backup.tui.widgets.jobs import JobsPane

STATUS_REFRESH_S = 30.0
TOAST_DELAY_S = 0.15
RECENT_JOBS = 100
# After the first paint, the hidden panes are mounted one per this interval (keys stay live).
BACKGROUND_MOUNT_S = 0.05

PANES: tuple[tuple[str, str], ...] = (
    ("dashboard", "Dashboard"),
    ("snapshots", "Snapshots"),
    ("policies", "Policies"),
    ("jobs", "Jobs"),
    ("trash", "Trash"),
    ("journal", "Journal"),
)


class _TablePane(Protocol):
    def reload(self) -> None: ...
    def focus_table(self) -> None: ...


class BackupApp(App[None]):
    """The tui-backup terminal app for one profile."""

    # Absolute, so subclasses defined elsewhere (tests) find it too.
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "tui-backup"
    # Classes on the screen by terminal size, for app.tcss's layouts (-wide: details beside
    # the tables; -tall: taller detail panels). 80x24 is -narrow -short.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    # The profile to open next (the picker sets it, then exits; run_app loops).
    switch_to: Path | None = None
    # Hidden panes mounted after the first paint (tui/panes.py)? None: in a real terminal
    # yes; headless (tests) no, so Pilot code finds every pane at once.
    LAZY_PANES: bool | None = None
    # Freeze what start-up built and turn the garbage collector back on after start-up
    # (tui/__init__.py turns it off)? None: in a real terminal yes; headless (tests) no: one
    # process runs many apps.
    MANAGE_GC: bool | None = None

    # The palette lists the current pane's actions, titled with its selection (tui/commands.py).
    COMMANDS = {PaneCommands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        # At 80 columns the footer fits q, ?, R and the pane's main keys; the rest are in the
        # palette (ctrl+p) and the help screen (?) anyway (tests/tui_sizes).
        Binding("f5,ctrl+r", "refresh_status", "Refresh", key_display="F5", show=False, id="app.refresh"),
        Binding("R", "restore_wizard", "Restore…", id="app.restore_wizard"),
        Binding("ctrl+t", "change_theme", "Theme…", show=False, id="app.theme"),
        Binding("P", "switch_profile", "Profiles…", show=False, id="app.switch_profile"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        # As Textual's own (the footer shows "^p palette"), with an id so it can be remapped.
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, id="app.command_palette",
                tooltip="Open the command palette"),
        *(
            Binding(str(n), f"show_pane('{pane}')", title, show=False, id=f"app.pane.{pane}")
            for n, (pane, title) in enumerate(PANES, start=1)
        ),
    ]

    def __init__(
        self,
        service: ProfileService,
        *,
        clock: Clock = utc_clock,
        theme_dirs: list[Path] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.clock = clock
        self._theme_dirs = theme_dirs
        self.theme_problems: list[str] = []
        self._pending: list[str] = []  # hidden panes not mounted yet, in tab order

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast a few frames later.

        Why: in a real terminal (Textual 8.2.8, seen in tmux) a toast mounted in the same
        frame as other updates — a worker's result refilling a table — can leave those
        updates unpainted until the toast expires (5 s). Letting the updates land first
        avoids it; the tmux test guards this.
        """
        show = partial(App.notify, self, message, title=title, severity=severity, timeout=timeout, markup=markup)
        self.set_timer(TOAST_DELAY_S, show)

    # Our own colour variables ($health-ok ...), which theme files may override.
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        cfg = self.service.config
        yield ProfileHeader(cfg.name, cfg.profile.description)
        lazy = not self.is_headless if self.LAZY_PANES is None else self.LAZY_PANES
        with TabbedContent(initial="dashboard", id="panes"):
            for n, (pane, title) in enumerate(PANES, start=1):
                with TabPane(f"{n} {title}", id=pane):
                    spec = PANE_SPECS[pane]
                    if lazy and pane != "dashboard":
                        self._pending.append(pane)
                        yield PendingPane(spec)
                    else:
                        yield build_pane(spec, self.service, self.clock)
        yield ReadyFooter(compact=True)

    def on_load(self) -> None:
        # Before the widgets are composed: a theme set once they are mounted restyles every
        # widget again (a large part of the start-up's CSS work; benchmarks/tui.py).
        self._apply_themes()

    def on_mount(self) -> None:
        frames_at_once(self)  # a key's frame without waiting for a frame slot (frame_timer.py)
        self._apply_keymap()
        if self._pending:  # a real terminal: the first paint before the status worker's work
            self.call_after_refresh(self.refresh_status)
        else:
            self.refresh_status()
        self.set_interval(STATUS_REFRESH_S, self.refresh_status)
        # The active pane's main widget has the focus (not the tab bar): its keys work at once.
        self._focus_pane("dashboard")
        if self._pending:
            self.call_after_refresh(self.set_timer, BACKGROUND_MOUNT_S, self._mount_next_pending)
        # What start-up built (modules, styles, widgets) lives as long as the app: out of the
        # garbage collector's sight, its full collections stop pausing keys for tens of ms.
        if self._manages_gc:
            self.call_after_refresh(self._freeze_start_up)

    @property
    def _manages_gc(self) -> bool:
        return not self.is_headless if self.MANAGE_GC is None else self.MANAGE_GC

    def _freeze_start_up(self) -> None:
        if self._pending:
            gc.freeze()  # the collector stays off until they are mounted (_mount_next_pending)
        else:
            self._collect_again()

    def _collect_again(self) -> None:
        """Freeze what the app built (the panes live as long as it does) and turn the
        collector back on: tui/__init__.py keeps it off while the app starts."""
        gc.freeze()
        gc.enable()

    def on_unmount(self) -> None:
        if self._manages_gc:
            gc.unfreeze()  # the next app of this process (a profile switch) starts clean

    # ---- themes ----

    def _apply_themes(self) -> None:
        """Register every valid theme file; report all bad ones in one notification."""
        themes, problems = load_themes(self._theme_dirs)
        for theme in themes.values():
            self.register_theme(theme)
        if problems:
            self.theme_problems = [str(p) for p in problems]
            lines = "\n".join(f"• {p.file}: {p.reason}" for p in problems)
            self.notify(f"{lines}\nThese theme files were skipped.", title="Bad theme files",
                        severity="warning", timeout=20, markup=False)
        choice = choose_theme(self.service.config.tui.theme, self.available_themes,
                              remembered=remembered_theme(), config_file=self.service.config.file)
        if choice.warning:
            self.notify(choice.warning, title="Unknown theme", severity="warning", timeout=12, markup=False)
        self.theme = self._start_theme = choice.name
        self._theme_chosen = False
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Theme) -> None:
        """A theme chosen in the app (ctrl+t, the palette) is used next time (preferences.py)."""
        if not self._theme_chosen and theme.name == self._start_theme:
            return  # the start-up theme being applied, not a choice
        self._theme_chosen = True
        try:
            remember_theme(theme.name)
        except OSError as exc:
            self.notify(f"Cannot remember the theme: {exc}", severity="warning", markup=False)
            return
        configured = self.service.config.tui.theme.strip()
        if configured and configured != theme.name:
            self.notify(f"[tui] theme = {configured!r} in {self.service.config.file} still wins at the next start.",
                        title=f"Theme {theme.name!r} remembered", markup=False)

    # ---- keys: the user's keymap, the help screen ----

    def _apply_keymap(self) -> None:
        """[tui.keymap]: the valid entries apply; every problem is named in one notification."""
        if self.service.config.tui.keymap:  # checking imports every screen: only when there is one
            from tui_backup.tui.keymap import apply_keymap

            apply_keymap(self, self.service.config.tui.keymap, str(self.service.config.file))

    def action_help(self) -> None:
        from tui_backup.tui.screens.help import open_help

        open_help(self, str(self.service.config.file))

    # ---- status (header, dashboard, jobs) ----

    def action_refresh_status(self) -> None:
        self.refresh_status()
        for pane in ("snapshots", "policies", "trash", "journal"):
            widget = self._pane(pane)
            if widget is not None:  # (one not mounted yet loads when it is)
                cast(_TablePane, widget).reload()

    def refresh_status(self) -> None:
        self._load_status()

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def _load_status(self) -> None:
        try:
            report = self.service.status()
            jobs = self.service.list_jobs(RECENT_JOBS)
        except TuiBackupError as exc:
            self.post_message(OperationFailed("status", exc.message, exc.hint))
            return
        except NotImplementedError:
            return  # the snapshot engine is still being built: keep "checking"
        self.post_message(StatusLoaded(report, jobs))

    def on_status_loaded(self, message: StatusLoaded) -> None:
        self.query_one(ProfileHeader).show_status(message.report)
        self.query_one(Dashboard).show_status(message.report, self.clock())
        jobs = self._pane("jobs")
        if jobs is not None:  # a fresh read: the report's list may be older than the pane's
            cast("JobsPane", jobs).poll_catalog()

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.refresh_status()

    def on_operation_failed(self, message: OperationFailed) -> None:
        hint = f"\n{message.hint}" if message.hint else ""
        self.notify(f"{message.message}{hint}", title=f"✖ {message.action} failed", severity="error",
                    timeout=12, markup=False)

    # ---- quitting (jobs this session started may go on: screens/quit.py) ----

    async def action_quit(self) -> None:
        from tui_backup.tui.screens.quit import quit_app

        quit_app(self, self.service)

    # ---- the restore wizard ----

    def action_restore_wizard(self) -> None:
        # Imported only when used: the app starts without it.
        from tui_backup.tui.screens.restore_wizard import RestoreWizard, open_restore_wizard

        if not isinstance(self.screen, RestoreWizard):  # R inside the wizard: already there
            open_restore_wizard(self, self.service, clock=self.clock)

    # ---- profiles ----

    def action_switch_profile(self) -> None:
        from tui_backup.tui.screens.profiles import ProfilePicker, open_profile_picker

        if not isinstance(self.screen, ProfilePicker):
            open_profile_picker(self)

    # ---- panes ----

    def action_show_pane(self, pane: str) -> None:
        # Blur first: Textual moves the focus of a widget being hidden to a sibling, and a
        # sibling in the old pane (the Destinations pane has two tables) pulls it back.
        self.screen.set_focus(None)
        self.query_one(TabbedContent).active = pane
        self._focus_pane(pane)

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane is None:
            return
        if not await self._mount_pane(pane):  # (a pane mounted now loads itself)
            self._refresh_shown(pane)
        if not self.query_one(TabbedContent).query("Tabs:focus"):
            self._focus_pane(pane)

    def _refresh_shown(self, pane: str) -> None:
        """A pane shown again catches up: hidden, it did no periodic work; other panes'
        actions add trash items and journal entries."""
        widget = self._pane(pane)
        if pane in ("trash", "journal") and widget is not None:
            cast(_TablePane, widget).reload()
        elif pane == "dashboard":
            self.query_one(Dashboard).refresh_data()
        elif pane == "jobs" and widget is not None:
            cast("JobsPane", widget).poll_catalog()
            cast("JobsPane", widget).poll_selected()

    def _focus_pane(self, pane: str) -> None:
        widget = self._pane(pane)
        if widget is None:
            return  # not mounted yet: focused once it is (_tab_activated)
        if pane == "dashboard":
            widget.focus()
        else:
            cast(_TablePane, widget).focus_table()

    # ---- hidden panes, mounted after the first paint (tui/panes.py) ----

    def _pane(self, pane: str) -> Widget | None:
        """The pane widget of tab `pane`, or None while it is not mounted."""
        base = self._base_screen()
        found = base.query(f"#{PANE_SPECS[pane].widget_id}") if base is not None else None
        return found.first() if found else None

    def _base_screen(self) -> Screen[object] | None:
        """The screen holding the panes (App.query sees only the top one: a modal)."""
        return self.screen_stack[0] if self.screen_stack else None

    async def _mount_pane(self, pane: str) -> bool:
        """Mount tab `pane`'s widget in place of its stand-in; False if it already was."""
        base = self._base_screen()
        if pane not in self._pending or base is None:
            return False
        self._pending.remove(pane)
        tab = base.query_one(f"TabPane#{pane}", TabPane)
        await tab.mount(build_pane(PANE_SPECS[pane], self.service, self.clock))
        await tab.query(PendingPane).remove()
        return True

    async def _mount_next_pending(self) -> None:
        if self._pending:
            await self._mount_pane(self._pending[0])
        if self._pending:
            self.set_timer(BACKGROUND_MOUNT_S, self._mount_next_pending)
        elif self._manages_gc:
            self._collect_again()
