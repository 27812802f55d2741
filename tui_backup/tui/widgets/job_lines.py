"""One-line widgets of the Jobs pane that draw their line directly (no layout, no Visual).

Why: a key press on the Jobs pane repaints the selected job's title, figures, current file
and progress bar in one frame, and a streaming job repaints the last three four times a
second. Through Textual's general path (`Visual.to_strips`: wrapping, alignment, overflow
for any content; a Rich console render for the bar) each of these single lines cost
0.4-1.1 ms of the UI thread per frame — about a third of a key's frame
(benchmarks/tui_frames.py). These draw the same characters in the same styles from a
ready `Strip`. They keep the public face of what they replace (`Label.content`,
`ProgressBar.progress`), so queries and tests see a Label and a ProgressBar.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.app import ComposeResult
from textual.content import Content
from textual.reactive import reactive
from textual.renderables.bar import Bar as BarRenderable
from textual.strip import Strip
from textual.visual import VisualType
from textual.widgets import Label, ProgressBar
from textual.widgets._progress_bar import Bar

ELLIPSIS = "…"


class LineLabel(Label):
    """A single-line label (nowrap, ellipsis at the right edge) drawn straight to a Strip."""

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        # Never a layout pass: the line has a fixed size (CSS height 1, width 100% / 1fr).
        super().update(content, layout=False)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        visual_style = self.visual_style
        base = visual_style.rich_style
        content = self.content
        if isinstance(content, str):
            content = Content(content)
        elif not isinstance(content, Content):
            return super().render_line(y)  # a Rich renderable: Textual's general path
        if y or not content.plain or width <= 0:
            return Strip.blank(max(width, 0), base)
        # As Textual's own line (content.py `_FormattedLine.to_strip`): CSS variables in the
        # spans resolved by the widget, each cell's offset in its style (text selection).
        segments: list[Segment] = []
        x = 0
        for text, style in content.render(visual_style, end="", parse_style=self._get_style):
            segments.append(Segment(text, (visual_style + style).rich_style_with_offset(x, 0)))
            x += len(text)
        strip = Strip(segments)
        if strip.cell_length > width:  # text-overflow: ellipsis
            kept = list(strip.crop(0, width - 1))
            strip = Strip([*kept, Segment(ELLIPSIS, kept[-1].style if kept else base)])
        return strip.extend_cell_length(width, base)


class LineBar(Bar):
    """ProgressBar's bar, drawn as Textual's `renderables.bar.Bar` draws it (no gradient)."""

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.visual_style.rich_style  # cached per style change (rich_style walks the ancestors)
        if y or width <= 0:
            return Strip.blank(max(width, 0), base)
        percentage = self.percentage
        if percentage is None:  # indeterminate: Textual's animated bar (not used by the pane)
            return super().render_line(y)
        bar_style = self.get_component_rich_style("bar--bar" if percentage < 1 else "bar--complete")
        high = base + RichStyle.from_color(bar_style.color)
        back = base + RichStyle.from_color(bar_style.bgcolor)
        return Strip(_bar_segments(width, width * percentage, high, back, draw_background=not (
            bar_style.bgcolor is not None and bar_style.bgcolor.is_default)))


def _bar_segments(width: int, end: float, high: RichStyle, back: RichStyle, *, draw_background: bool) -> list[Segment]:
    """The cells of a bar filled from 0 to `end` (in cells, half-cell precision)."""
    bar, half_left, half_right = BarRenderable.BAR, BarRenderable.HALF_BAR_LEFT, BarRenderable.HALF_BAR_RIGHT
    end = min(end, width)
    if end <= 0:
        return [Segment(bar * width, back)]
    end = round(end * 2) / 2
    half_end = end - int(end) > 0
    background, background_half_left = (bar, half_left) if draw_background else (" ", " ")
    segments = [Segment(bar * int(end) + (half_right if half_end else ""), high)]
    tail = ""
    if not half_end and end - width != 0:
        tail += background_half_left
    tail += background * (width - int(end) - 1)
    if tail:
        segments.append(Segment(tail, back))
    return [s for s in segments if s.text]


class JobBar(ProgressBar):
    """A ProgressBar (bar only) whose bar is a `LineBar`.

    Its own figures do not repaint it (it draws nothing but its bar, which repaints itself):
    one widget less in every frame that moves the bar.
    """

    progress: reactive[float] = reactive(0.0, repaint=False)
    total: reactive[float | None] = reactive[float | None](None, repaint=False)
    percentage: reactive[float | None] = reactive[float | None](None, repaint=False)

    def compose(self) -> ComposeResult:
        yield LineBar(id="bar", clock=self._clock).data_bind(ProgressBar.percentage).data_bind(ProgressBar.gradient)


__all__ = ["JobBar", "LineBar", "LineLabel"]
