"""Step 4: the dry run — files added / overwritten / deleted and per-table row changes
(nothing has changed yet); in place, the profile's name must be typed to go on."""

from __future__ import annotations

from rich.console import RenderableType
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, ProgressBar, Static

from tui_backup.jobs.events import Progress
from tui_backup.service.backup_restore import BackupRestorePlan
from tui_backup.service.restore import RestorePlan
from tui_backup.tui.screens.backup_screens import render_backup_plan
from tui_backup.tui.screens.restore_plan import render_plan


def render(plan: RestorePlan | BackupRestorePlan) -> RenderableType:
    return render_plan(plan) if isinstance(plan, RestorePlan) else render_backup_plan(plan)


class PlanStep(Vertical):
    """While the dry run runs: its progress. Then the plan and the confirmation."""

    DEFAULT_CSS = """
    PlanStep { height: 1fr; }
    PlanStep > #plan-scroll { height: 1fr; }
    PlanStep > #plan-activity { height: 1; padding: 0 1; background: $panel; }
    PlanStep > #plan-activity > Label { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    PlanStep > #plan-activity > ProgressBar { width: auto; }
    PlanStep > #plan-confirm { height: auto; display: none; }
    PlanStep.-ready > #plan-confirm { display: block; }
    PlanStep.-ready > #plan-activity { display: none; }
    PlanStep #confirm-label { padding: 0 1; text-style: bold; }
    PlanStep #confirm-name { width: 40; }
    PlanStep #plan-buttons { height: auto; align-horizontal: right; }
    """

    class Confirmed(Message):
        pass

    def __init__(self, *, profile: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile = profile
        self.plan: RestorePlan | BackupRestorePlan | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="plan-scroll"):
            yield Static("", id="plan-text")
        with Horizontal(id="plan-activity"):
            yield Label("", id="plan-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="plan-progress")
        with Vertical(id="plan-confirm"):
            yield Label("", id="confirm-label", markup=False)
            yield Input(id="confirm-name")
            with Horizontal(id="plan-buttons"):
                yield Button("Restore (Enter)", id="plan-go", variant="warning")

    def planning(self, what: str) -> None:
        self.plan = None
        self.set_class(False, "-ready")
        self.query_one("#plan-text", Static).update("Dry run: nothing is changed while it runs.")
        self.query_one("#plan-activity-label", Label).update(f"{what}…")
        self.query_one(ProgressBar).update(total=None, progress=0)

    def progress(self, p: Progress) -> None:
        bar = self.query_one(ProgressBar)
        if p.fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(100 * min(max(p.fraction, 0.0), 1.0), 1))
        self.query_one("#plan-activity-label", Label).update(f"Dry run: {p.message or p.current or p.stage}")

    def failed(self, text: str) -> None:
        self.query_one("#plan-text", Static).update(f"✖ {text}\n\nEsc goes back to change the choices.")
        self.query_one("#plan-activity-label", Label).update("✖ the dry run failed")

    def show(self, plan: RestorePlan | BackupRestorePlan) -> None:
        self.plan = plan
        self.query_one("#plan-text", Static).update(render(plan))
        self.set_class(True, "-ready")
        name = self.query_one("#confirm-name", Input)
        button = self.query_one("#plan-go", Button)
        name.value = ""
        if plan.in_place:
            self.query_one("#confirm-label", Label).update(
                f"In place: type the profile's name ({self.profile}) and Enter to restore · Esc goes back")
            name.display = True
            button.display = False
            name.focus()
        else:
            self.query_one("#confirm-label", Label).update("Nothing live is touched · Enter restores · Esc goes back")
            name.display = False
            button.display = True
            button.focus()

    def focus_first(self) -> None:
        if self.plan is None:
            self.query_one("#plan-scroll").focus()
        elif self.plan.in_place:
            self.query_one("#confirm-name", Input).focus()
        else:
            self.query_one("#plan-go", Button).focus()

    @on(Input.Submitted, "#confirm-name")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() != self.profile:
            self.app.notify(f"Type the profile's name, {self.profile}, to restore in place.", severity="warning",
                            markup=False)
            return
        self.post_message(self.Confirmed())

    @on(Button.Pressed, "#plan-go")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Confirmed())
