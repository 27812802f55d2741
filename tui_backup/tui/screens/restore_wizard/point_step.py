"""Step 1: choose the restore point — snapshots and every destination's points, newest
first, with a search (every word must match) and a time filter."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from tui_backup.tui.formatting import Clock, human_bytes, short_time
from tui_backup.tui.screens.restore_wizard.model import SNAPSHOTS, TIME_FILTERS, Candidate, matches
from tui_backup.tui.widgets._operations import selected_key


class PointTable(DataTable[str]):
    """One row per candidate; the row key is Candidate.key."""

    # Fixed widths for 80 columns (see SnapshotTable: auto widths misdraw in a real terminal).
    COLUMNS = (("Time", "time", 11), ("From", "from", 10), ("ID", "id", 21), ("Type", "type", 7),
               ("Size", "size", 7), ("Note", "note", 8))

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)


class PointStep(Vertical):
    """Enter picks the highlighted point; / searches; t cycles the time filter."""

    DEFAULT_CSS = """
    PointStep { height: 1fr; }
    PointStep > #point-filters { height: 1; }
    PointStep > #point-filters > Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    PointStep > #point-filters > #time-filter { width: auto; padding: 0 1; background: $panel; }
    PointStep > PointTable { height: 1fr; }
    PointStep > #point-count { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                               text-overflow: ellipsis; }
    """

    BINDINGS = [
        Binding("slash", "search", "Search", id="wizard.search"),
        Binding("t", "cycle_time", "Time filter", id="wizard.time_filter"),
    ]

    class Chosen(Message):
        def __init__(self, candidate: Candidate) -> None:
            super().__init__()
            self.candidate = candidate

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.candidates: list[Candidate] = []
        self.problems: list[str] = []
        self.loaded = False
        self.time_filter = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="point-filters"):
            yield Input(placeholder="/ search: destination, id, type, note, date", id="point-search")
            yield Label(f"t: {TIME_FILTERS[0][0]}", id="time-filter")
        yield PointTable(cursor_type="row", zebra_stripes=True, id="point-table")
        yield Label("Finding restore points…", id="point-count", markup=False)

    @property
    def table(self) -> PointTable:
        return self.query_one(PointTable)

    def show(self, candidates: list[Candidate], problems: list[str]) -> None:
        self.candidates, self.problems, self.loaded = candidates, problems, True
        self._fill()

    def matching(self) -> list[Candidate]:
        text = self.query_one("#point-search", Input).value
        max_age = TIME_FILTERS[self.time_filter][1]
        now: datetime = self.clock()
        return [c for c in self.candidates if matches(c, text, max_age, now)]

    def _fill(self) -> None:
        keep = selected_key(self.table)
        shown = self.matching()
        now = self.clock()
        table = self.table
        table.clear()
        for c in shown:
            # escape(): DataTable reads str cells as markup; a note or an id may hold "[...]".
            table.add_row(short_time(c.created_at, now), "snapshot" if c.source == SNAPSHOTS else escape(c.source),
                          escape(c.id), escape(c.type), human_bytes(c.size_bytes) if c.size_bytes is not None else "—",
                          escape(c.note), key=c.key)
        if keep is not None and keep in {c.key for c in shown}:
            table.move_cursor(row=table.get_row_index(keep))
        if not self.loaded:
            return
        count = f"{len(shown)} of {len(self.candidates)} restore points" if shown or self.candidates \
            else "No restore points: take a snapshot (Snapshots, c) or back up (Policies, b) first."
        problems = f" · not listed: {'; '.join(self.problems)}" if self.problems else ""
        self.query_one("#point-count", Label).update(f"{count}{problems}")

    def selected(self) -> Candidate | None:
        key = selected_key(self.table)
        return next((c for c in self.candidates if c.key == key), None)

    def focus_table(self) -> None:
        self.table.focus()

    # ---- keys ----

    def action_search(self) -> None:
        self.query_one("#point-search", Input).focus()

    def action_cycle_time(self) -> None:
        self.time_filter = (self.time_filter + 1) % len(TIME_FILTERS)
        self.query_one("#time-filter", Label).update(f"t: {TIME_FILTERS[self.time_filter][0]}")
        self._fill()

    @on(Input.Changed, "#point-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(Input.Submitted, "#point-search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(DataTable.RowSelected, "PointTable")
    def _picked(self, event: DataTable.RowSelected) -> None:
        event.stop()
        c = self.selected()
        if c is not None:
            self.post_message(self.Chosen(c))
