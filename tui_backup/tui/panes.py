"""The app's panes: which widget each tab holds, built when first needed.

Start-up paints the first pane only: the other tabs hold a `PendingPane` stand-in until
they are shown, or until the app mounts them in the background after its first paint
(benchmarks/tui.py: start to first full paint). Their modules are imported then too.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.dom import DOMNode
from textual.widget import Widget

from tui_backup.service.profile import ProfileService
from tui_backup.tui.formatting import Clock


@dataclass(frozen=True)
class PaneSpec:
    """One tab: its TabPane id and the pane widget it holds (by module and class name)."""

    pane: str
    module: str
    cls: str

    @property
    def widget_id(self) -> str:
        return f"{self.pane}-view"


PANE_SPECS: dict[str, PaneSpec] = {
    spec.pane: spec
    for spec in (
        PaneSpec("dashboard", "tui_backup.tui.widgets.dashboard", "Dashboard"),
        PaneSpec("snapshots", "tui_backup.tui.widgets.snapshots", "SnapshotsPane"),
        # The policies, and (d) the destinations they back up to.
        PaneSpec("policies", "tui_backup.tui.widgets.policies", "PoliciesPane"),
        PaneSpec("jobs", "tui_backup.tui.widgets.jobs", "JobsPane"),
        PaneSpec("trash", "tui_backup.tui.widgets.trash", "TrashPane"),
        PaneSpec("journal", "tui_backup.tui.widgets.journal", "JournalPane"),
    )
}


class PendingPane(Widget):
    """Holds a tab's place until its pane is mounted (an empty area, no work)."""

    DEFAULT_CSS = """
    PendingPane {
        height: 1fr;
    }
    """

    def __init__(self, spec: PaneSpec) -> None:
        super().__init__(id=f"{spec.pane}-pending")
        self.spec = spec


def build_pane(spec: PaneSpec, service: ProfileService, clock: Clock) -> Widget:
    """The pane widget of `spec` (its module imported now)."""
    cls = getattr(importlib.import_module(spec.module), spec.cls)
    pane: Widget = cls(service, clock=clock, id=spec.widget_id)
    return pane


def shown(node: DOMNode) -> bool:
    """Whether `node` and all its ancestors are displayed: a hidden tab's pane is not.

    Panes check it before periodic work (a hidden pane refreshes when shown again).
    """
    current: DOMNode | None = node
    while current is not None:
        if not current.display:
            return False
        parent = current.parent
        current = parent if isinstance(parent, DOMNode) else None
    return True
