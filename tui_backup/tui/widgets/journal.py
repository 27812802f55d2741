"""The Journal pane (layer 2): the change journal, newest first, as a virtual list.

The list pages from the catalog (`svc.journal_list(..., limit, before_seq)`): one page when
the pane opens, the next when the cursor nears the end of what is loaded — it never loads
the whole journal, so it opens as fast with a million entries as with ten. Keys: f filter
(action, target glob, since/until), v verify the chain, e export, h (or Enter) on a file
entry: that file's history, and bring a version of it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Label, ProgressBar, Static

from tui_backup.catalog.journal import JournalEntry
from tui_backup.jobs.events import Finished
from tui_backup.tui.formatting import Clock, display_path, full_time, short_time, utc_clock
from tui_backup.tui.messages import DataChanged
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.file_history import FileHistoryScreen, holder_text
from tui_backup.tui.screens.prompts import (
    ExportPromptScreen,
    JournalFilter,
    JournalFilterScreen,
    PathPromptScreen,
)
from tui_backup.tui.widgets._operations import OperationPane, selected_key
from tui_backup.tui.widgets.destinations import FixedColumnTable

if TYPE_CHECKING:
    from tui_backup.service.history import FileHistory, VersionHolder
    from tui_backup.service.journal import VerifyReport
    from tui_backup.service.profile import ProfileService

OP_GROUP = "journal-op"
LOAD_GROUP = "journal-load"
LOAD_ACTION = "list the journal"
PAGE = 100  # entries per catalog read
PREFETCH = 20  # read the next page when the cursor is this close to the end of what is loaded
FILE_ACTIONS = ("file.added", "file.modified", "file.deleted", "file.renamed")
EXPORT_FORMATS = ("json", "csv")
TARGET_WIDTH = 26


@dataclass(frozen=True)
class JournalRow:
    """One entry as the pane shows it; its name (the row key) is the seq as text."""

    entry: JournalEntry

    @property
    def name(self) -> str:
        return str(self.entry.seq)


# ---- messages (posted from worker threads) ----


class JournalPage(Message):
    """One page of entries; `reset`: the first page (the list starts again)."""

    def __init__(self, generation: int, entries: list[JournalEntry], *, reset: bool, complete: bool) -> None:
        super().__init__()
        self.generation = generation
        self.entries = entries
        self.reset = reset
        self.complete = complete  # nothing older matches the filter


class ChainVerified(Message):
    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report


class HistoryLoaded(Message):
    def __init__(self, history: FileHistory) -> None:
        super().__init__()
        self.history = history


class JournalOpDone(Message):
    def __init__(self, action: str, text: str, *, title: str = "", changed: bool = False) -> None:
        super().__init__()
        self.action = action
        self.text = text
        self.title = title
        self.changed = changed  # the profile's data changed: reload (and tell the app)


# ---- rendering ----


def short_target(target: str, width: int = TARGET_WIDTH) -> str:
    """A target cut from the left (a path's end says the most)."""
    shown = display_path(target)
    return shown if len(shown) <= width else "…" + shown[-(width - 1):]


def render_entry(entry: JournalEntry) -> RenderableType:
    """The entry's fields and its details as pretty JSON."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    a = entry.actor
    grid.add_row("Entry", f"{entry.seq} · {full_time(entry.at)} UTC · {entry.action}")
    grid.add_row("Target", display_path(entry.target))
    grid.add_row("By", f"{a.get('who', '?')} · {a.get('interface', '?')} · pid {a.get('pid', '?')}")
    grid.add_row("Hash", entry.hash)
    if entry.action in FILE_ACTIONS:
        grid.add_row("Keys", Text("h: this file's history and its versions", style="dim"))
    details = json.dumps(entry.details, indent=2, sort_keys=True, ensure_ascii=False)
    return Group(grid, Text(details))


def verify_line(report: VerifyReport) -> str:
    if report.ok:
        return f"✔ chain ok: {report.checked:,} entries checked"
    return f"✖ chain broken at entry {report.first_bad_seq} ({report.kind})"


class JournalTable(FixedColumnTable):
    """The loaded entries, newest first; the row key is the seq."""

    DEFAULT_CSS = """
    JournalTable {
        height: 3fr;
        min-height: 3;
    }
    """

    # Fixed widths for 80 columns.
    COLUMNS = (("Seq", "seq", 7), ("Time", "time", 11), ("Action", "action", 15),
               ("Target", "target", TARGET_WIDTH), ("By", "by", 6))

    def add_entries(self, entries: list[JournalEntry]) -> None:
        now = self.clock()
        for e in entries:
            self.add_row(str(e.seq), short_time(e.at, now), e.action, escape(short_target(e.target)),  # "[...]" in paths
                         str(e.actor.get("interface", "?")), key=str(e.seq))


class JournalPane(OperationPane[JournalRow]):
    """Keyboard-first: f filter, c clear it, v verify, e export, h history of a file entry."""

    DEFAULT_CSS = """
    JournalPane {
        height: 1fr;
    }
    JournalPane > #journal-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JournalPane > #journal-details {
        height: 2fr;
        padding: 0 1;
        border-top: hkey $panel;
    }
    JournalPane > #journal-activity {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    JournalPane > #journal-activity > #journal-activity-label {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JournalPane > #journal-activity > ProgressBar {
        width: auto;
        display: none;
    }
    JournalPane.-busy > #journal-activity > ProgressBar {
        display: block;
    }
    """

    BINDINGS = [
        Binding("f", "filter", "Filter", id="journal.filter"),
        Binding("c", "clear_filter", "Clear filter", id="journal.clear_filter", show=False),
        Binding("v", "verify", "Verify chain", id="journal.verify"),
        Binding("e", "export", "Export", show=False, id="journal.export"),
        Binding("h", "history", "File history", id="journal.history"),
    ]

    OP_GROUP = OP_GROUP
    LOAD_ACTION = LOAD_ACTION
    ACTIVITY_LABEL = "#journal-activity-label"
    PROGRESS_BAR = "#journal-progress"
    NO_ROW = "No journal entry selected."
    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({"journal.history"})

    def selection_label(self) -> str | None:
        seq = selected_key(self.table)
        return f"of journal entry {seq}" if seq else None

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(service, clock=clock, id=id)
        self.filter = JournalFilter()
        self.by_seq: dict[str, JournalRow] = {}
        self.generation = 0  # bumped by every fresh start: older pages are dropped
        self.loading = False
        self.complete = False  # every matching entry is loaded
        self.verified: VerifyReport | None = None

    def compose(self) -> ComposeResult:
        yield Label("Journal", id="journal-title", markup=False)
        yield JournalTable(clock=self.clock, id="journal-table")
        with VerticalScroll(id="journal-details"):
            yield Static("", id="journal-details-text")
        with Horizontal(id="journal-activity"):
            yield Label("Loading the journal…", id="journal-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="journal-progress")

    def on_mount(self) -> None:
        self._load()

    # ---- hooks ----

    @property
    def table(self) -> JournalTable:
        return self.query_one(JournalTable)

    def focus_table(self) -> None:
        self.table.focus()

    def reload(self) -> None:
        self._load()

    def _row(self, name: str | None) -> JournalRow | None:
        return self.by_seq.get(name or "")

    def _summary(self) -> str:
        if not self.rows:
            return "No entries match the filter (c clears it)" if self.filter.active else "The journal is empty"
        newest, oldest = self.rows[0].entry.seq, self.rows[-1].entry.seq
        more = "" if self.complete else ", more below"
        text = f"entries {newest}…{oldest} loaded{more}"
        if self.verified is not None:
            text += f" · {verify_line(self.verified)}"
        return text

    def _busy_host(self) -> Widget:
        return self

    def _job_failed(self, action: str, message: str, finished: Finished) -> Message:
        return JournalOpDone(action, message)  # never reached: no journal operation is a job

    def _load(self) -> None:
        """Start the list again from the newest matching entry."""
        self.generation += 1
        self.loading = True
        self._load_page(self.generation, self.filter, None)

    def _load_more(self) -> None:
        if self.loading or self.complete or not self.rows:
            return
        self.loading = True
        self._load_page(self.generation, self.filter, self.rows[-1].entry.seq)

    # ---- workers ----

    @work(thread=True, group=LOAD_GROUP, exit_on_error=False)
    def _load_page(self, generation: int, flt: JournalFilter, before_seq: int | None) -> None:
        entries = self._guarded(LOAD_ACTION, None, lambda: self.service.journal_list(
            flt.since, flt.until, flt.action, flt.target, PAGE, before_seq))
        self.post_message(JournalPage(generation, entries or [], reset=before_seq is None,
                                      complete=entries is None or len(entries) < PAGE))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _verify_worker(self) -> None:
        report = self._guarded("verify the journal", None, self.service.journal_verify)
        if report is not None:
            self.post_message(ChainVerified(report))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _export_worker(self, fmt: str, out: Path) -> None:
        n = self._guarded("export the journal", None, lambda: self.service.journal_export(fmt, out))
        if n is not None:
            self.post_message(JournalOpDone("export", f"{n:,} entries written to {display_path(out)} ({fmt}).",
                                            title="✔ Journal exported"))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _history_worker(self, path: str) -> None:
        history = self._guarded("file history", None, lambda: self.service.file_history(path))
        if history is not None:
            self.post_message(HistoryLoaded(history))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _bring_back_worker(self, path: str, holder: VersionHolder, to: Path | None) -> None:
        where = self._guarded("bring back a version", None, lambda: self.service.bring_back_version(
            path, holder, to=to, overwrite=to is None))
        if where is not None:
            self.post_message(JournalOpDone("bring back", f"The version from {holder_text(holder)} is at "
                                            f"{display_path(where)}.", title="✔ Version brought back", changed=True))

    # ---- actions ----

    def action_filter(self) -> None:
        def chosen(flt: JournalFilter | None) -> None:
            if flt is not None:
                self._set_filter(flt)

        self.app.push_screen(JournalFilterScreen(self.filter), chosen)

    def action_clear_filter(self) -> None:
        self._set_filter(JournalFilter())

    def _set_filter(self, flt: JournalFilter) -> None:
        self.filter = flt
        self._show_title()
        self._load()

    def action_verify(self) -> None:
        if self._start("Verifying the journal's hash chain"):
            self._verify_worker()

    def action_export(self) -> None:
        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None and self._start("Exporting the journal"):
                self._export_worker(answer[0], Path(answer[1]).expanduser())

        self.app.push_screen(ExportPromptScreen(
            "Export the journal", "Every entry, oldest first (the filter does not apply), with its hash.",
            EXPORT_FORMATS, value="~/tui-backup-journal.json"), chosen)

    def action_history(self) -> None:
        row = self._selected()
        if row is None:
            return
        e = row.entry
        if e.action not in FILE_ACTIONS:
            self._say(f"History is for file entries ({', '.join(FILE_ACTIONS)}); this one is {e.action}.",
                      severity="warning")
            return
        if self._start(f"Reading the history of {display_path(e.target)}"):
            self._history_worker(e.target)

    @on(DataTable.RowSelected, "JournalTable")
    def _selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._row(selected_key(self.table))
        if row is not None and row.entry.action in FILE_ACTIONS:
            self.action_history()

    # ---- results (UI thread) ----

    def _show_title(self) -> None:
        text = "Journal" if not self.filter.active else f"Journal · filter: {self.filter.describe()}  (c clears)"
        self.query_one("#journal-title", Label).update(text)

    def on_journal_page(self, message: JournalPage) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # a page of a list started before the filter changed
        self.loading = False
        self.complete = message.complete
        table = self.table
        if message.reset:
            keep = selected_key(table)
            table.clear()
            self.rows, self.by_seq = [], {}
        else:
            keep = None
        new = [JournalRow(e) for e in message.entries]
        self.rows.extend(new)
        self.by_seq.update((r.name, r) for r in new)
        table.add_entries(message.entries)
        if keep is not None:
            table._reselect(keep, set(self.by_seq))
        if message.reset:
            self._show_details()
        self._show_status()

    @on(DataTable.RowHighlighted, "JournalTable")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()
        if event.cursor_row >= self.table.row_count - PREFETCH:
            self._load_more()

    def _show_details(self) -> None:
        row = self._row(selected_key(self.table))
        text = self.query_one("#journal-details-text", Static)
        if row is not None:
            text.update(render_entry(row.entry))
        elif self.filter.active:
            text.update(f"No entry matches {self.filter.describe()}. f changes the filter, c clears it.")
        else:
            text.update("Nothing is in the journal yet. Every change the tool makes, and every change a snapshot "
                        "or backup finds in the protected files and database, is recorded here.")

    def on_chain_verified(self, message: ChainVerified) -> None:
        message.stop()
        r = self.verified = message.report
        self._last_result = verify_line(r)
        if r.ok:
            self._say(f"{r.checked:,} entries checked: none was altered, deleted or inserted.",
                      title="✔ Journal chain ok")
        else:
            self._say(r.problem, title=f"✖ Journal chain broken at entry {r.first_bad_seq}", severity="error",
                      timeout=20)
        self._show_status()

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        message.stop()
        history = message.history

        def chosen(holder: VersionHolder | None) -> None:
            if holder is not None:
                self._ask_where(history, holder)

        self.app.push_screen(FileHistoryScreen(history, clock=self.clock), chosen)

    def _ask_where(self, history: FileHistory, holder: VersionHolder) -> None:
        path = history.path

        def where(answer: str | None) -> None:
            if answer is None:
                return
            to = Path(answer).expanduser() if answer else None
            self._confirm_bring_back(path, holder, to)

        self.app.push_screen(PathPromptScreen(
            f"Bring back {display_path(path)} from {holder_text(holder)}",
            "Leave empty to put it back in place (what is there now goes to the trash), or name a "
            "directory to receive it.", allow_empty=True, placeholder="empty: in place · or a directory",
            ok_label="Next"), where)

    def _confirm_bring_back(self, path: str, holder: VersionHolder, to: Path | None) -> None:
        def go(yes: bool | None) -> None:
            if yes and self._start(f"Bringing back {display_path(path)}"):
                self._bring_back_worker(path, holder, to)

        if to is None:
            body = (f"{display_path(path)} is replaced by the version {holder_text(holder)} holds. The file there now "
                    "goes to the trash first, so this can be undone.")
        else:
            body = f"The version {holder_text(holder)} holds is written into {display_path(to)}; {display_path(path)} " \
                   "is not touched."
        self.app.push_screen(ConfirmScreen("Bring this version back?", f"{body}\n\n$ {holder.command}",
                                           confirm_label="Bring back"), go)

    def on_journal_op_done(self, message: JournalOpDone) -> None:
        message.stop()
        self._last_result = f"✔ {message.action}"
        self._say(message.text, title=message.title or f"✔ {message.action}")
        if message.changed:
            self.post_message(DataChanged())
            self._load()
        else:
            self._show_status()
