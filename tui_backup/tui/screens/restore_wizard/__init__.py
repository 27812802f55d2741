"""The restore wizard (issue 6): one flow for snapshots and every destination, one module
per step — point_step, scope_step, target_step, plan_step, run_step — driven by screen."""

from tui_backup.tui.screens.restore_wizard.model import SNAPSHOTS, Candidate
from tui_backup.tui.screens.restore_wizard.screen import RestoreWizard, open_restore_wizard

__all__ = ["SNAPSHOTS", "Candidate", "RestoreWizard", "open_restore_wizard"]
