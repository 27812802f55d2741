"""The restore wizard: one flow for snapshots and every destination.

Point → scope → target → dry run (+ typing the profile's name, in place) → run → result.
Escape goes back a step (and closes it from the first). Every service call runs in a
thread worker that posts the wizard's messages; restores from a destination are jobs that
the Jobs pane follows live too. Dismissed with True when a restore ran (the opener reloads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Label

from tui_backup.errors import TuiBackupError
from tui_backup.jobs.runner import Subscriber
from tui_backup.tui.formatting import Clock, display_path, local_time, utc_clock
from tui_backup.tui.messages import OperationProgress
from tui_backup.tui.progress import ProgressRelay
from tui_backup.tui.screens.restore_wizard.messages import (
    ContentsLoaded,
    OfferLoaded,
    PlanReady,
    RestoreDone,
    WizardFailed,
)
from tui_backup.tui.screens.restore_wizard.model import Candidate, Choices, load_candidates
from tui_backup.tui.screens.restore_wizard.plan_step import PlanStep
from tui_backup.tui.screens.restore_wizard.point_step import PointStep
from tui_backup.tui.screens.restore_wizard.run_step import RunStep
from tui_backup.tui.screens.restore_wizard.scope_step import ScopeStep
from tui_backup.tui.screens.restore_wizard.target_step import TargetStep
from tui_backup.tui.widgets._operations import JobTracker

if TYPE_CHECKING:
    from tui_backup.service.backup_restore import BackupRestorePlan, BackupRestoreResult
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.restore import RestorePlan, RestoreResult

T = TypeVar("T")

STEPS: tuple[tuple[str, str], ...] = (
    ("step-point", "Restore point"),
    ("step-scope", "What to restore"),
    ("step-target", "Where to"),
    ("step-plan", "Dry run"),
    ("step-run", "Restore"),
)
WORK_GROUP = "restore-wizard"


class RestoreWizard(Screen[bool]):
    """Keyboard-first; usable at 80x24."""

    DEFAULT_CSS = """
    RestoreWizard > #wizard-title { height: 1; padding: 0 1; background: $panel; text-style: bold;
                                    width: 100%; text-wrap: nowrap; text-overflow: ellipsis; }
    RestoreWizard > #wizard-choices { height: 1; padding: 0 1; color: $text-muted; width: 100%;
                                      text-wrap: nowrap; text-overflow: ellipsis; }
    RestoreWizard > ContentSwitcher { height: 1fr; }
    """

    BINDINGS = [Binding("escape", "back", "Back", id="wizard.back")]
    # Each step focuses its own widget (`_show`); Textual's auto-focus would race it and
    # could leave the search box focused on step 1, eating the keys meant for the table.
    AUTO_FOCUS = None

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock,
                 preselect: Candidate | None = None) -> None:
        super().__init__()
        self.service = service
        self.clock = clock
        self.preselect = preselect
        self.choices = Choices()
        self.step = "step-point"
        self.busy: str | None = None  # the running worker's action ("dry run", "restore")
        self.ran = False  # a restore ran (the opener reloads)
        self.finished = False  # the run step shows its outcome

    def compose(self) -> ComposeResult:
        yield Label("", id="wizard-title", markup=False)
        yield Label("", id="wizard-choices", markup=False)
        with ContentSwitcher(initial="step-point"):
            yield PointStep(clock=self.clock, id="step-point")
            yield ScopeStep(id="step-scope")
            yield TargetStep(id="step-target")
            yield PlanStep(profile=self.service.config.name, id="step-plan")
            yield RunStep(id="step-run")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show("step-point")
        self._load_offer()
        if self.preselect is not None:
            self._choose_point(self.preselect)

    # ---- navigation ----

    def _show(self, step: str) -> None:
        self.step = step
        self.set_focus(None)  # blur before hiding (see BackupApp.action_show_pane)
        self.query_one(ContentSwitcher).current = step
        number = next(i for i, (s, _) in enumerate(STEPS, start=1) if s == step)
        self.query_one("#wizard-title", Label).update(f"Restore wizard · step {number}/{len(STEPS)}: "
                                                      f"{STEPS[number - 1][1]}")
        self._show_choices()
        widget = self.query_one(f"#{step}")
        focus = getattr(widget, "focus_first", None) or getattr(widget, "focus_table", None)
        if focus is not None:
            self.call_after_refresh(focus)

    def _show_choices(self) -> None:
        c = self.choices
        parts: list[str] = []
        if c.candidate is not None and self.step != "step-point":
            src = "snapshot" if c.candidate.is_snapshot else c.candidate.source
            parts.append(f"{src} {c.candidate.id} ({local_time(c.candidate.created_at)})")
            if self.step in ("step-target", "step-plan", "step-run"):
                parts.append(c.scope_text())
            if self.step in ("step-plan", "step-run"):
                parts.append("in place" if c.in_place else f"→ {display_path(c.to) if c.to else ''}")
        self.query_one("#wizard-choices", Label).update(" · ".join(parts) or "Enter picks · Esc closes")

    def _skips_scope(self) -> bool:
        return self.choices.candidate is not None and len(self.choices.candidate.scopes()) == 1

    def action_back(self) -> None:
        if self.busy is not None:
            self.app.notify(f"Wait: the {self.busy} is still running.", severity="warning", markup=False)
            return
        if self.step == "step-run" or self.step == "step-point":
            self.dismiss(self.ran)
        elif self.step == "step-scope":
            scope = self.query_one(ScopeStep)
            if scope.has_class("-paths"):
                scope.set_class(False, "-paths")
                scope.focus_first()
            else:
                self._show("step-point")
        elif self.step == "step-target":
            self._show("step-point" if self._skips_scope() else "step-scope")
        elif self.step == "step-plan":
            self._show("step-target")

    def _choose_point(self, candidate: Candidate) -> None:
        self.choices.candidate = candidate
        scopes = candidate.scopes()
        if len(scopes) == 1:
            self.choices.scope, self.choices.paths = scopes[0], ()
            self._to_target()
            return
        self._show("step-scope")
        self.query_one(ScopeStep).start(candidate)

    def _to_target(self) -> None:
        c = self.choices.candidate
        assert c is not None
        self._show("step-target")
        self.query_one(TargetStep).start(c, in_place_ok=not c.foreign)

    # ---- the steps' messages ----

    @on(PointStep.Chosen)
    def _point_chosen(self, event: PointStep.Chosen) -> None:
        event.stop()
        self._choose_point(event.candidate)

    @on(ScopeStep.WantContents)
    def _want_contents(self, event: ScopeStep.WantContents) -> None:
        event.stop()
        c = self.choices.candidate
        if c is not None and not c.is_snapshot:
            self._load_contents(c.source, c.id)

    @on(ScopeStep.Chosen)
    def _scope_chosen(self, event: ScopeStep.Chosen) -> None:
        event.stop()
        self.choices.scope, self.choices.paths = event.scope, event.paths
        self._to_target()

    @on(TargetStep.Chosen)
    def _target_chosen(self, event: TargetStep.Chosen) -> None:
        event.stop()
        self.choices.to = event.to
        self._show("step-plan")
        self.query_one(PlanStep).planning("Dry run (nothing changes)")
        self.busy = "dry run"
        if self.choices.candidate is not None and self.choices.candidate.is_snapshot:
            self._plan(self.choices, None, [])
        else:
            self._plan(self.choices, *self._subscribers("dry run"))

    @on(PlanStep.Confirmed)
    def _confirmed(self, event: PlanStep.Confirmed) -> None:
        event.stop()
        if self.busy is not None:
            return
        c = self.choices.candidate
        assert c is not None
        self._show("step-run")
        self.query_one(RunStep).running(f"Restoring {c.id}")
        self.busy = "restore"
        self.ran = True
        if c.is_snapshot:
            tracker = JobTracker(self._relay("restore"))
            self._restore(self.choices, tracker, [])
        else:
            self._restore(self.choices, *self._subscribers("restore"))

    # ---- workers ----

    def _relay(self, action: str) -> ProgressRelay:
        return ProgressRelay(lambda p: self.post_message(OperationProgress(action, p)))

    def _subscribers(self, action: str) -> tuple[JobTracker, list[Subscriber]]:
        """Ours, and the Jobs pane's live feed (built here, on the UI thread)."""
        from tui_backup.tui.widgets.jobs import JobsPane

        tracker = JobTracker(self._relay(action))
        subs: list[Subscriber] = [tracker]
        panes = self.app.screen_stack[0].query(JobsPane)
        if panes:
            subs.append(panes.first().live_feed())
        return tracker, subs

    def _guarded(self, action: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except TuiBackupError as exc:
            self.post_message(WizardFailed(action, exc.message, exc.hint))
        except Exception as exc:
            self.post_message(WizardFailed(action, f"{type(exc).__name__}: {exc}", "this is a bug: please report it"))
        return None

    @work(thread=True, exclusive=True, group="restore-wizard-offer", exit_on_error=False)
    def _load_offer(self) -> None:
        offer = self._guarded("list restore points", lambda: load_candidates(self.service))
        if offer is not None:
            self.post_message(OfferLoaded(offer))

    @work(thread=True, exclusive=True, group="restore-wizard-contents", exit_on_error=False)
    def _load_contents(self, destination: str, point: str) -> None:
        contents = self._guarded("list files", lambda: self.service.point_contents(destination, point))
        if contents is not None:
            self.post_message(ContentsLoaded(contents))

    @work(thread=True, group=WORK_GROUP, exit_on_error=False)
    def _plan(self, choices: Choices, tracker: JobTracker | None, subs: list[Subscriber]) -> None:
        c = choices.candidate
        assert c is not None
        svc = self.service
        plan: RestorePlan | BackupRestorePlan | None
        if c.is_snapshot:
            plan = self._guarded("dry run", lambda: svc.plan_restore(c.id, to=choices.to))
        else:
            plan = self._guarded("dry run", lambda: svc.plan_backup_restore(
                c.source, c.id, *subs, scope=choices.restore_scope(), to=choices.to))
        if plan is not None:
            self.post_message(PlanReady(plan))

    @work(thread=True, group=WORK_GROUP, exit_on_error=False)
    def _restore(self, choices: Choices, tracker: JobTracker, subs: list[Subscriber]) -> None:
        c = choices.candidate
        assert c is not None
        svc = self.service
        result: RestoreResult | BackupRestoreResult | None
        if c.is_snapshot:
            result = self._guarded("restore", lambda: svc.restore_snapshot(c.id, to=choices.to, progress=tracker.relay))
        else:
            result = self._guarded("restore", lambda: svc.restore_backup(
                c.source, c.id, *subs, scope=choices.restore_scope(), to=choices.to))
        tracker.relay.flush()
        if result is not None:
            self.post_message(RestoreDone(result))

    # ---- results (UI thread) ----

    def on_offer_loaded(self, message: OfferLoaded) -> None:
        message.stop()
        self.query_one(PointStep).show(message.offer.candidates, message.offer.problems)

    def on_contents_loaded(self, message: ContentsLoaded) -> None:
        message.stop()
        c = self.choices.candidate
        if c is not None and (c.source, c.id) == (message.contents.destination, message.contents.point):
            self.query_one(ScopeStep).show_contents(message.contents)

    def on_operation_progress(self, message: OperationProgress) -> None:
        message.stop()
        if message.action == "dry run" and self.step == "step-plan":
            self.query_one(PlanStep).progress(message.progress)
        elif message.action == "restore" and self.step == "step-run" and not self.finished:
            self.query_one(RunStep).progress(message.progress)

    def on_plan_ready(self, message: PlanReady) -> None:
        message.stop()
        self.busy = None
        self.query_one(PlanStep).show(message.plan)
        self._show_choices()

    def on_restore_done(self, message: RestoreDone) -> None:
        message.stop()
        self.busy = None
        self.finished = True
        self.query_one(RunStep).done(message.result)
        self.app.notify("The restore finished: see the wizard for where the safety copy is.",
                        title="✔ Restored", markup=False)

    def on_wizard_failed(self, message: WizardFailed) -> None:
        message.stop()
        hint = f"\n{message.hint}" if message.hint else ""
        if message.action == "dry run":
            self.busy = None
            self.query_one(PlanStep).failed(f"{message.message}{hint}")
        elif message.action == "restore":
            self.busy = None
            self.finished = True
            self.query_one(RunStep).failed(message.message, message.hint)
        elif message.action == "list files":
            self.query_one(ScopeStep).set_class(False, "-paths")
            self.query_one(ScopeStep).focus_first()
        snapshot = self.choices.candidate is not None and self.choices.candidate.is_snapshot
        if message.action != "restore" or snapshot:  # a destination's restore is a job: the Jobs pane says it
            self.app.notify(f"{message.message}{hint}", title=f"✖ {message.action} failed", severity="error",
                            timeout=12, markup=False)

    def key_enter(self) -> None:
        # On the result, Enter closes (Escape too, through `back`).
        if self.step == "step-run" and self.finished:
            self.dismiss(self.ran)



def open_restore_wizard(app: App[Any], service: ProfileService, *, clock: Clock = utc_clock,
                        preselect: Candidate | None = None) -> None:
    """Push the wizard (on `preselect`, when given); after a restore, the app reloads what it
    shows (its refresh action reloads the panes too)."""

    def done(ran: bool | None) -> None:
        refresh = getattr(app, "action_refresh_status", None)
        if ran and callable(refresh):
            refresh()

    app.push_screen(RestoreWizard(service, clock=clock, preselect=preselect), done)
