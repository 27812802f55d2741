"""The Jobs pane's one-line widgets draw what Textual's Label and ProgressBar draw, cheaper."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.renderables.bar import Bar as BarRenderable
from textual.widgets import Label, ProgressBar

from tests.tui.conftest import SIZE, RecordingApp, settle
from tui_backup.tui.widgets import JobsPane
from tui_backup.tui.widgets.job_lines import JobBar, LineBar, LineLabel, _bar_segments

HIGH, BACK = Style(color="green"), Style(color="grey23")


def textual_bar(width: int, end: float) -> list[tuple[str, Style | None]]:
    console = Console(width=width, color_system="truecolor", legacy_windows=False)
    renderable = BarRenderable(highlight_range=(0, end), highlight_style=HIGH, background_style=BACK, width=width)
    segments = list(Segment.simplify(console.render(renderable, console.options.update_width(width))))
    return [(s.text, s.style) for s in segments if s.text and s.text != "\n"]


@pytest.mark.parametrize("width", [1, 7, 20])
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.1, 0.26, 0.5, 0.74, 0.99, 1.0])
def test_the_bar_has_the_cells_of_textuals_bar(width: int, fraction: float) -> None:
    ours = list(Segment.simplify(_bar_segments(width, width * fraction, HIGH, BACK, draw_background=True)))
    assert [(s.text, s.style) for s in ours] == textual_bar(width, width * fraction)


async def test_labels_and_bar_keep_their_face_and_cut_long_lines(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = app.query_one(JobsPane)
        for timer in list(pane._timers):
            timer.pause()
        title = app.query_one("#job-title", Label)  # still a Label, and the bar a ProgressBar
        assert isinstance(title, LineLabel) and isinstance(app.query_one("#job-bar", ProgressBar), JobBar)
        pane._set_text("#job-title", "x" * 200, "$job-running")
        pane._set_bar(42)
        await pilot.pause()
        line = title.render_line(0)
        assert line.cell_length == title.size.width and line.text.endswith("x…")
        assert str(title.content) == "x" * 200
        assert app.query_one("#job-bar", ProgressBar).progress == 42
        bar_text = pane.query_one(LineBar).render_line(0).text
        assert len(bar_text) == 20 and bar_text.startswith("━" * 8)
        pane._set_text("#job-title", "short")
        await pilot.pause()
        assert title.render_line(0).text.rstrip() == "short"
