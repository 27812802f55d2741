"""Quitting while jobs this app started still run: cancel them, leave them running, or stay.

Long jobs (backups, policy runs, prunes, drills, restores from a destination, snapshots)
run as detached children (tui/detached.py): left running, they go on after the app is
gone, visible to `tui-backup jobs` and to the next app session. A job that runs inside the
app itself (a verify, a check, the wizard's restore) cannot outlive it: leaving cancels it.
Cancelling goes through the job's own graceful path (svc.cancel_job: the runner's SIGINT →
SIGTERM → SIGKILL), so a cancelled backup leaves no restore point that looks complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui_backup.catalog.jobs import JobRecord
from tui_backup.tui.screens._dialog import dialog_css

if TYPE_CHECKING:
    from textual.app import App

    from tui_backup.service.background import BackgroundJobs
    from tui_backup.service.profile import ProfileService

QuitChoice = Literal["cancel", "leave", "stay"]
CHOICES: dict[str, QuitChoice] = {"cancel": "cancel", "leave": "leave", "stay": "stay"}  # button id → choice
CANCEL_TIMEOUT_S = 15.0  # then the app quits anyway: what still runs is in `tui-backup jobs`


def job_line(job: JobRecord, *, detached: bool) -> str:
    where = "in the background" if detached else "inside the app: cancelled if you leave"
    return f"• #{job.id} {job.kind} {job.target} ({where})"


class QuitScreen(ModalScreen[QuitChoice]):
    """Dismissed with "cancel", "leave" or "stay". Stay has the focus: a stray Enter stays."""

    DEFAULT_CSS = dialog_css("QuitScreen", border="$warning", width=76, muted_note=True) + """
    QuitScreen #jobs {
        height: auto;
        max-height: 8;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("c", "choose('cancel')", "Cancel jobs", id="quit.cancel_jobs"),
        Binding("l", "choose('leave')", "Leave running", id="quit.leave_running"),
        Binding("escape,s", "choose('stay')", "Stay", id="quit.stay"),
    ]

    def __init__(self, jobs: Sequence[JobRecord], detached: set[int], *, leaving: str = "") -> None:
        super().__init__()
        self.jobs = list(jobs)
        self.detached = detached
        self.leaving = leaving  # what ends this app, when not `q`: "switching to profile x"

    def compose(self) -> ComposeResult:
        n = len(self.jobs)
        with Vertical(id="dialog"):
            title = f"{n} job{'s' if n != 1 else ''} of this session still running"
            yield Label(f"{title} — {self.leaving}" if self.leaving else title, id="title", markup=False)
            with VerticalScroll(id="jobs"):
                yield Static("\n".join(job_line(j, detached=j.id in self.detached) for j in self.jobs), markup=False)
            yield Static("Leave running: they go on, shown by `tui-backup jobs` and next sessions.\n"
                         "Cancel: stopped gracefully; nothing half-done is kept.", id="note", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Stay (Esc)", id="stay")
                yield Button("Leave running (l)", id="leave", variant="primary")
                yield Button("Cancel jobs (c)", id="cancel", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = CHOICES.get(event.button.id or "")
        if choice is not None:
            self.dismiss(choice)

    def action_choose(self, choice: QuitChoice) -> None:
        self.dismiss(choice)


def quit_app(app: App[Any], service: ProfileService) -> None:
    """`q`: quit at once when no job of this session runs; else ask (QuitScreen)."""
    leave_app(app, service)


def leave_app(app: App[Any], service: ProfileService, *, leaving: str = "",
              before_exit: Callable[[], object] | None = None) -> None:
    """End the app (`q`, a profile switch): at once when no job of this session runs; else
    ask — cancel them / leave them running / stay. `before_exit` runs (UI thread) right
    before the app exits, never when the user stays: e.g. setting the profile to open next.
    """
    from tui_backup.tui.detached import background_jobs

    if isinstance(app.screen, QuitScreen):
        return  # already asking

    def exit_app(message: str | None = None) -> None:
        if before_exit is not None:
            before_exit()
        app.exit(message=message)

    bg = background_jobs(app, service)
    jobs = bg.running_jobs()
    if not jobs:
        exit_app()
        return
    detached = {j.id for j in jobs if bg.is_detached(j)}

    def chosen(choice: QuitChoice | None) -> None:
        if choice == "cancel":
            _cancel_then_exit(app, bg, jobs, f"{len(jobs)} job(s) cancelled.", exit_app)
        elif choice == "leave":
            inside = [j for j in jobs if j.id not in detached]
            left = f"{len(detached)} job(s) left running in the background: see `tui-backup jobs list`."
            if inside:  # they cannot outlive the app: cancelled cleanly rather than cut off
                _cancel_then_exit(app, bg, inside, left, exit_app)
            else:
                exit_app(left)

    app.push_screen(QuitScreen(jobs, detached, leaving=leaving), chosen)


def _cancel_then_exit(app: App[Any], bg: BackgroundJobs, jobs: Sequence[JobRecord], message: str,
                      exit_app: Callable[[str | None], None]) -> None:
    app.notify(f"Cancelling {len(jobs)} job(s)…", title="Leaving", markup=False)

    def work() -> None:
        rows = bg.cancel(jobs, timeout=CANCEL_TIMEOUT_S)
        still = [r for r in rows if r.status == "running"]
        text = message if not still else f"{message} Still running: {', '.join(f'#{r.id}' for r in still)}."
        app.call_from_thread(exit_app, text)

    app.run_worker(work, thread=True, group="quit", exit_on_error=False)


__all__ = ["QuitScreen", "job_line", "leave_app", "quit_app"]
