"""The last lines of a log, bottom-aligned, for following a job live (not scrollable).

Why not Textual's `Log`: it is a scroll view whose virtual size changes with every batch
written or cleared, and each change lays out the whole screen again (tens of ms at 80x24 —
the key that selects another job waited for it). This widget has a fixed size: writing
lines only repaints its own few rows. The full, scrollable log is `JobLogScreen`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

# Escape sequences (CSI, OSC) and the other control characters a tool may print: never
# passed to the user's terminal (they could move the cursor or retitle the window).
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x1f\x7f]")


class LogTailView(Widget):
    """Keeps the last `max_lines` lines; shows the newest ones that fit, oldest at the top."""

    DEFAULT_CSS = """
    LogTailView {
        height: 1fr;
    }
    """

    def __init__(self, *, max_lines: int = 500, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._repaint_style: Style | None = None  # set while a repaint runs (render_lines)

    @property
    def lines(self) -> list[str]:
        """The lines kept (oldest first), as written."""
        return list(self._lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def write_lines(self, lines: Iterable[str]) -> None:
        """Add lines at the bottom (a batch: one repaint, whatever its length).

        Lines are kept as given (one line each); only the few on screen are cleaned of
        tabs and control codes, when drawn.
        """
        self._lines.extend(lines)
        self.refresh()

    def clear(self) -> None:
        self._lines.clear()
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # The style once per repaint, not once per line: `rich_style` walks every ancestor's
        # colours (~1 ms a line in profiles of a key press's frame during a stream).
        self._repaint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._repaint_style = None

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        first = max(0, len(self._lines) - height)
        index = first + y
        style = self._repaint_style if self._repaint_style is not None else self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        text = _CONTROL.sub("", self._lines[index].expandtabs())
        return Strip([Segment(text, style)]).crop_extend(0, width, style)


__all__ = ["LogTailView"]
