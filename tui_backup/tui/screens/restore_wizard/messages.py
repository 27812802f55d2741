"""Messages the wizard's thread workers post back to it (they never touch a widget)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui_backup.service.backup_restore import BackupRestorePlan, BackupRestoreResult
    from tui_backup.service.point_contents import PointContents
    from tui_backup.service.restore import RestorePlan, RestoreResult
    from tui_backup.tui.screens.restore_wizard.model import Offer


class OfferLoaded(Message):
    def __init__(self, offer: Offer) -> None:
        super().__init__()
        self.offer = offer


class ContentsLoaded(Message):
    def __init__(self, contents: PointContents) -> None:
        super().__init__()
        self.contents = contents


class PlanReady(Message):
    def __init__(self, plan: RestorePlan | BackupRestorePlan) -> None:
        super().__init__()
        self.plan = plan


class RestoreDone(Message):
    def __init__(self, result: RestoreResult | BackupRestoreResult) -> None:
        super().__init__()
        self.result = result


class WizardFailed(Message):
    """A service call raised: shown in the step it happened in."""

    def __init__(self, action: str, message: str, hint: str = "") -> None:
        super().__init__()
        self.action = action
        self.message = message
        self.hint = hint
