"""LogTailView: the Jobs pane's fixed-size tail (newest lines at the bottom, no layout)."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult

from tui_backup.tui.widgets.log_tail import LogTailView


class TailApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogTailView(max_lines=5, id="tail")


def rows(app: TailApp) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


async def test_shows_the_newest_lines_that_fit_and_keeps_max_lines() -> None:
    app = TailApp()
    async with app.run_test(size=(30, 3)) as pilot:
        tail = app.query_one(LogTailView)
        tail.write_lines([f"line {n}" for n in range(1, 9)])
        await pilot.pause()
        assert tail.lines == ["line 4", "line 5", "line 6", "line 7", "line 8"]
        assert rows(app) == ["line 6", "line 7", "line 8"]
        tail.write_lines(["line 9"])
        await pilot.pause()
        assert rows(app) == ["line 7", "line 8", "line 9"]
        tail.clear()
        await pilot.pause()
        assert tail.line_count == 0 and rows(app) == ["", "", ""]


async def test_few_lines_start_at_the_top_and_long_ones_are_cut() -> None:
    app = TailApp()
    async with app.run_test(size=(10, 3)) as pilot:
        app.query_one(LogTailView).write_lines(["0123456789abcdef"])
        await pilot.pause()
        assert rows(app) == ["0123456789", "", ""]


async def test_control_codes_and_tabs_are_not_sent_to_the_terminal() -> None:
    app = TailApp()
    async with app.run_test(size=(30, 2)) as pilot:
        app.query_one(LogTailView).write_lines(["a\tb", "red \x1b[31mtext\x07 \x1b]0;title\x07end"])
        await pilot.pause()
        shown = rows(app)
        assert shown[0] == "a       b"
        assert shown[1] == "red text end"


async def test_writing_does_not_lay_out_the_screen() -> None:
    app = TailApp()
    async with app.run_test(size=(30, 3)) as pilot:
        tail = app.query_one(LogTailView)
        await pilot.pause()
        before = tail._layout_updates
        for n in range(20):
            tail.write_lines([f"batch {n}"] * 50)
            await pilot.pause()
        assert tail._layout_updates == before


class CountingTail(LogTailView):
    style_reads = 0

    @property
    def rich_style(self) -> Style:
        CountingTail.style_reads += 1
        return super().rich_style


class CountingTailApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTail(max_lines=50, id="tail")


async def test_a_repaint_reads_the_style_once_not_once_per_line() -> None:
    app = CountingTailApp()
    async with app.run_test(size=(30, 8)) as pilot:
        tail = app.query_one(CountingTail)
        tail.write_lines([f"line {n}" for n in range(40)])
        await pilot.pause()
        CountingTail.style_reads = 0
        tail.write_lines(["one more"])
        await pilot.pause()
        assert rows(app)[-1] == "one more"
        assert 1 <= CountingTail.style_reads <= 2  # 8 lines drawn (a repaint may run twice)
