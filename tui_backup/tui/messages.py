"""Typed messages that workers post back to the UI thread.

Service calls block, so they run in thread workers; a worker never touches a widget, it
posts one of these (post_message is thread-safe) and the handler updates the screen.
"""

from __future__ import annotations

from textual.message import Message

from tui_backup.catalog.jobs import JobRecord
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.jobs.events import Progress
from tui_backup.service.restore import RestorePlan, RestoreResult
from tui_backup.service.snapshots import VerifyResult
from tui_backup.service.status import StatusReport


class StatusLoaded(Message):
    """A fresh status report (header, dashboard) and the recent jobs."""

    def __init__(self, report: StatusReport, jobs: list[JobRecord]) -> None:
        super().__init__()
        self.report = report
        self.jobs = jobs


class DataChanged(Message):
    """Something changed the profile's state: whoever shows it should reload."""


class OperationFailed(Message):
    """A service call raised: `message` and `hint` are what the user sees."""

    def __init__(self, action: str, message: str, hint: str = "") -> None:
        super().__init__()
        self.action = action
        self.message = message
        self.hint = hint


class OperationProgress(Message):
    """Progress of the running operation (coalesced to at most ~10 per second)."""

    def __init__(self, action: str, progress: Progress) -> None:
        super().__init__()
        self.action = action
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued (older) message whether the next one supersedes it: a
        # busy UI then draws only the newest progress of an action, not a backlog.
        return isinstance(message, OperationProgress) and message.action == self.action


class SnapshotsLoaded(Message):
    def __init__(self, snapshots: list[SnapshotRecord]) -> None:
        super().__init__()
        self.snapshots = snapshots


class SnapshotCreated(Message):
    def __init__(self, snapshot: SnapshotRecord) -> None:
        super().__init__()
        self.snapshot = snapshot


class SnapshotsVerified(Message):
    def __init__(self, results: list[VerifyResult]) -> None:
        super().__init__()
        self.results = results


class SnapshotDeleted(Message):
    def __init__(self, snapshot: SnapshotRecord) -> None:
        super().__init__()
        self.snapshot = snapshot


class RestorePlanned(Message):
    def __init__(self, plan: RestorePlan) -> None:
        super().__init__()
        self.plan = plan


class RestoreFinished(Message):
    def __init__(self, result: RestoreResult) -> None:
        super().__init__()
        self.result = result
