"""The Trash pane (layer 1): what the tool removed or overwrote, waiting out its recovery
window — kind, original location, size, when deleted, when it expires — with a filter (text
and kind) and keys to restore an item (in place or elsewhere), purge one, or purge what
has expired. A summary line gives the total size and the next expiry.

Service calls run in thread workers that post the typed messages below (none of these is a
job: they are renames and deletes, quick even for large items).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from tui_backup.catalog.trash import TrashItem
from tui_backup.jobs.events import Finished
from tui_backup.tui.formatting import (
    Clock,
    display_path,
    full_time,
    human_bytes,
    human_duration,
    parse_timestamp,
    short_time,
    utc_clock,
)
from tui_backup.tui.messages import DataChanged
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.prompts import PathPromptScreen
from tui_backup.tui.widgets._operations import OperationPane, selected_key
from tui_backup.tui.widgets.destinations import FixedColumnTable

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

OP_GROUP = "trash-op"
LOAD_GROUP = "trash-load"
LOAD_ACTION = "list the trash"
ALL_KINDS = "all kinds"
MORE_KEYS = "r restore · t restore to… · x purge · e purge expired · / filter · k kind"


@dataclass(frozen=True)
class TrashRow:
    """One trash item as the pane shows it; its name (the row key) is the item id."""

    item: TrashItem

    @property
    def name(self) -> str:
        return self.item.id

    def matches(self, text: str, kind: str | None) -> bool:
        if kind is not None and self.item.kind != kind:
            return False
        if not text:
            return True
        it = self.item
        hay = " ".join((it.id, it.kind, it.original, display_path(it.original), it.reason)).lower()
        return all(word in hay for word in text.lower().split())


# ---- messages (posted from worker threads) ----


class TrashLoaded(Message):
    def __init__(self, items: list[TrashItem]) -> None:
        super().__init__()
        self.items = items


class TrashOpDone(Message):
    def __init__(self, action: str, text: str, *, title: str = "") -> None:
        super().__init__()
        self.action = action
        self.text = text
        self.title = title


class TrashConflict(Message):
    """A restore found something where the item would go: ask before overwriting it."""

    def __init__(self, item_id: str, to: str | None, message: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.to = to
        self.message = message


# ---- rendering ----


def expires_in(expires_at: str, now: datetime) -> str:
    """`29 days`, `5 h 02 min`, or `expired`."""
    try:
        seconds = (parse_timestamp(expires_at) - now).total_seconds()
    except ValueError:
        return "?"
    return human_duration(seconds) if seconds > 0 else "expired"


def _short_location(text: str, width: int) -> str:
    """A location cut from the left (the end of a path says the most)."""
    shown = display_path(text)
    return shown if len(shown) <= width else "…" + shown[-(width - 1):]


def render_item(item: TrashItem, now: datetime) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Item", f"{item.id} · {item.kind} · {human_bytes(item.size_bytes)}")
    grid.add_row("Was at", display_path(item.original))
    grid.add_row("Now at", display_path(item.stored))
    grid.add_row("Deleted", f"{full_time(item.deleted_at)} · {item.reason or 'no reason given'}"
                 + (f" · job {item.job_id}" if item.job_id is not None else ""))
    grid.add_row("Expires", f"{full_time(item.expires_at)} ({expires_in(item.expires_at, now)})")
    if item.sha256:
        grid.add_row("SHA-256", item.sha256)
    extra = {k: v for k, v in item.details.items() if k != "text"}
    if extra:
        grid.add_row("Details", json.dumps(extra, sort_keys=True, ensure_ascii=False))
    grid.add_row("Keys", Text(MORE_KEYS, style="dim"))
    return grid


class TrashTable(FixedColumnTable):
    """One row per trash item, newest first; the row key is the item id."""

    DEFAULT_CSS = """
    TrashTable {
        height: 1fr;
        min-height: 3;
    }
    """

    # Fixed widths for 80 columns.
    COLUMNS = (("Kind", "kind", 13), ("Original location", "original", 26), ("Size", "size", 7),
               ("Deleted", "deleted", 11), ("Expires in", "expires", 10))

    def show_rows(self, rows: list[TrashRow]) -> None:
        keep = self.selected_id
        now = self.clock()
        self.clear()
        for r in rows:
            it = r.item
            self.add_row(it.kind, escape(_short_location(it.original, 26)), human_bytes(it.size_bytes),  # "[...]" in paths
                         short_time(it.deleted_at, now), expires_in(it.expires_at, now), key=it.id)
        self._reselect(keep, {r.name for r in rows})

    @property
    def selected_id(self) -> str | None:
        return selected_key(self)


class TrashPane(OperationPane[TrashRow]):
    """Keyboard-first: r restore, t restore to…, x purge, e purge expired, / filter, k kind."""

    DEFAULT_CSS = """
    TrashPane {
        height: 1fr;
    }
    TrashPane > #trash-filter {
        height: 1;
        padding: 0 1;
    }
    TrashPane > #trash-filter > Label {
        width: auto;
        padding-right: 1;
        text-style: bold;
    }
    TrashPane > #trash-filter > Input {
        width: 1fr;
    }
    TrashPane > #trash-filter > #trash-kind {
        width: auto;
        padding-left: 1;
        text-style: none;
        color: $text-muted;
    }
    TrashPane > #trash-details {
        height: 8;
        padding: 0 1;
        border-top: hkey $panel;
    }
    TrashPane > #trash-activity {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    TrashPane > #trash-activity > #trash-activity-label {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    TrashPane > #trash-activity > ProgressBar {
        width: auto;
        display: none;
    }
    TrashPane.-busy > #trash-activity > ProgressBar {
        display: block;
    }
    """

    BINDINGS = [
        Binding("r", "restore", "Restore", id="trash.restore"),
        Binding("t", "restore_to", "Restore to…", show=False, id="trash.restore_to"),
        Binding("x,delete", "purge", "Purge", id="trash.purge"),
        Binding("e", "purge_expired", "Purge expired", show=False, id="trash.purge_expired"),
        Binding("p", "put", "Put…", id="trash.put"),
        Binding("slash", "filter", "Filter", id="trash.filter"),
        Binding("k", "cycle_kind", "Kind", id="trash.kind", show=False),
        Binding("escape", "leave_filter", "Back to the list", id="trash.leave_filter", show=False),
    ]

    OP_GROUP = OP_GROUP
    LOAD_ACTION = LOAD_ACTION
    ACTIVITY_LABEL = "#trash-activity-label"
    PROGRESS_BAR = "#trash-progress"
    NO_ROW = "No trash item selected."
    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({"trash.restore", "trash.restore_to", "trash.purge"})

    def selection_label(self) -> str | None:
        key = selected_key(self.table)
        return f"trash item {key}" if key else None

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(service, clock=clock, id=id)
        self.all_rows: list[TrashRow] = []  # self.rows: those the filter lets through
        self.kind: str | None = None  # None: every kind

    def compose(self) -> ComposeResult:
        with Horizontal(id="trash-filter"):
            yield Label("Filter", markup=False)
            yield Input(placeholder="/ to type: words in the location, kind, reason or id", id="trash-filter-text",
                        compact=True)
            yield Label(ALL_KINDS, id="trash-kind", markup=False)
        yield TrashTable(clock=self.clock, id="trash-table")
        with VerticalScroll(id="trash-details"):
            yield Static("", id="trash-details-text")
        with Horizontal(id="trash-activity"):
            yield Label("Loading the trash…", id="trash-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="trash-progress")

    def on_mount(self) -> None:
        self._load()

    # ---- hooks ----

    @property
    def table(self) -> TrashTable:
        return self.query_one(TrashTable)

    def focus_table(self) -> None:
        self.table.focus()

    def reload(self) -> None:
        self._load()

    def _summary(self) -> str:
        items = [r.item for r in self.all_rows]
        if not items:
            return "The trash is empty"
        total = sum(it.size_bytes for it in items)
        text = f"{len(items)} item{'s' if len(items) != 1 else ''} · {human_bytes(total)}"
        if len(self.rows) != len(items):
            text = f"{len(self.rows)} of {text} shown"
        now = self.clock()
        expired = sum(1 for it in items if expires_in(it.expires_at, now) == "expired")
        if expired:
            text += f" · {expired} expired (e purges)"
        waiting = [it for it in items if expires_in(it.expires_at, now) != "expired"]
        if waiting:
            soonest = min(waiting, key=lambda it: it.expires_at)
            text += f" · next expiry: {soonest.kind} in {expires_in(soonest.expires_at, now)}"
        return text

    def _busy_host(self) -> Widget:
        return self

    def _job_failed(self, action: str, message: str, finished: Finished) -> Message:
        return TrashOpDone(action, message)  # never reached: no trash operation is a job

    # ---- workers ----

    @work(thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False)
    def _load(self) -> None:
        items = self._guarded(LOAD_ACTION, None, self.service.trash_items)
        if items is not None:
            self.post_message(TrashLoaded(items))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _restore_worker(self, item_id: str, to: str | None, overwrite: bool) -> None:
        from tui_backup.service.trash import TrashConflictError

        where = None if to is None else Path(to).expanduser()

        def call() -> TrashItem | None:
            try:
                return self.service.trash_restore(item_id, to=where, overwrite=overwrite)
            except TrashConflictError as exc:  # asked about, not a failure
                self.post_message(TrashConflict(item_id, to, exc.message))
                return None

        item = self._guarded("restore", None, call)
        if item is None:
            return
        back = item.details.get("restored_to", item.original)
        self.post_message(TrashOpDone("restore", f"{item.kind} {item.id} is back at {display_path(str(back))}.",
                                      title="✔ Restored from the trash"))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _purge_worker(self, ids: list[str] | None) -> None:
        if ids is None:
            gone = self._guarded("purge expired", None, lambda: self.service.trash_purge(expired=True))
        else:
            gone = self._guarded("purge", None, lambda: self.service.trash_purge(ids))
        if gone is None:
            return
        size = human_bytes(sum(it.size_bytes for it in gone))
        if ids is None and not gone:
            text = "Nothing has expired: nothing purged."
        else:
            text = f"{len(gone)} item{'s' if len(gone) != 1 else ''} purged for good ({size} freed)."
        self.post_message(TrashOpDone("purge", text, title="✔ Purged"))

    # ---- actions ----

    def _selected_item(self) -> TrashItem | None:
        row = self._selected()
        return row.item if row is not None else None

    def action_restore(self) -> None:
        item = self._selected_item()
        if item is not None and self._start(f"Restoring {item.id}"):
            self._restore_worker(item.id, None, False)

    def action_restore_to(self) -> None:
        item = self._selected_item()
        if item is None:
            return
        item_id = item.id

        def chosen(to: str | None) -> None:
            if to and self._start(f"Restoring {item_id}"):
                self._restore_worker(item_id, to, False)

        self.app.push_screen(PathPromptScreen(
            f"Restore {item.kind} {item.id} to…",
            f"It was at {display_path(item.original)}. A directory receives it under its own name.",
            placeholder="a path (~ for your home)", ok_label="Restore"), chosen)

    def action_put(self) -> None:
        # `tui-backup trash put`: move a file or directory into the trash (a rename).
        def chosen(path: str | None) -> None:
            if path and self._start(f"Trashing {path}"):
                self._put_worker(path)

        self.app.push_screen(PathPromptScreen(
            "Put into the trash…", "A file or directory: it is moved into the trash (a rename on its own "
            "filesystem) and can be restored until its recovery window ends.",
            placeholder="a path (~ for your home)", ok_label="Put"), chosen)

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _put_worker(self, path: str) -> None:
        item = self._guarded("put", None,
                             lambda: self.service.trash_put(Path(path).expanduser(), kind="user", reason="trash put"))
        if item is not None:
            self.post_message(TrashOpDone("put", f"{display_path(item.original)} is in the trash as {item.id}.",
                                          title="✔ Put into the trash"))

    def action_purge(self) -> None:
        item = self._selected_item()
        if item is None:
            return
        item_id = item.id

        def go(yes: bool | None) -> None:
            if yes and self._start(f"Purging {item_id}"):
                self._purge_worker([item_id])

        self.app.push_screen(ConfirmScreen(
            f"Purge {item.kind} {item.id} for good?",
            f"{display_path(item.original)} ({human_bytes(item.size_bytes)}) is deleted now, not at the end of its "
            "recovery window. This cannot be undone.", confirm_label="Purge"), go)

    def action_purge_expired(self) -> None:
        now = self.clock()
        expired = [r.item for r in self.all_rows if expires_in(r.item.expires_at, now) == "expired"]

        def go(yes: bool | None) -> None:
            if yes and self._start("Purging the expired items"):
                self._purge_worker(None)

        size = human_bytes(sum(it.size_bytes for it in expired))
        self.app.push_screen(ConfirmScreen(
            "Purge the expired items?",
            f"{len(expired)} item{'s' if len(expired) != 1 else ''} ({size}) passed the end of their recovery window;"
            " over [trash] max_size_mb the oldest beyond min_days go too. This cannot be undone.",
            confirm_label="Purge"), go)

    def action_filter(self) -> None:
        self.query_one("#trash-filter-text", Input).focus()

    def action_leave_filter(self) -> None:
        self.table.focus()  # the text stays: the list stays filtered

    def action_cycle_kind(self) -> None:
        kinds = sorted({r.item.kind for r in self.all_rows})
        order: list[str | None] = [None, *kinds]
        self.kind = order[(order.index(self.kind) + 1) % len(order)] if self.kind in order else None
        self.query_one("#trash-kind", Label).update(self.kind or ALL_KINDS)
        self._apply_filter()

    # ---- results (UI thread) ----

    def _apply_filter(self) -> None:
        text = self.query_one("#trash-filter-text", Input).value.strip()
        self.rows = [r for r in self.all_rows if r.matches(text, self.kind)]
        self.table.show_rows(self.rows)
        self._show_details()
        self._show_status()

    @on(Input.Changed, "#trash-filter-text")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply_filter()

    @on(Input.Submitted, "#trash-filter-text")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def on_trash_loaded(self, message: TrashLoaded) -> None:
        message.stop()
        self.all_rows = [TrashRow(it) for it in message.items]
        if self.kind is not None and all(r.item.kind != self.kind for r in self.all_rows):
            self.kind = None
            self.query_one("#trash-kind", Label).update(ALL_KINDS)
        self._apply_filter()

    @on(DataTable.RowHighlighted, "TrashTable")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()

    def _show_details(self) -> None:
        row = self._row(self.table.selected_id)
        text = self.query_one("#trash-details-text", Static)
        if row is not None:
            text.update(render_item(row.item, self.clock()))
        elif self.all_rows:
            text.update("No item matches the filter (/ edits it, k changes the kind).")
        else:
            text.update("Nothing is in the trash. What the tool removes or overwrites waits here for the "
                        f"recovery window ([trash] retention_days, {self.service.config.trash.retention_days} days) "
                        "before it is purged.")

    def on_trash_op_done(self, message: TrashOpDone) -> None:
        message.stop()
        self._last_result = f"✔ {message.action}: {message.text}"
        self._say(message.text, title=message.title or f"✔ {message.action}")
        self.post_message(DataChanged())  # bubbles to the app: the header's and dashboard's counts
        self._load()

    def on_trash_conflict(self, message: TrashConflict) -> None:
        message.stop()

        def go(yes: bool | None) -> None:
            if yes and self._start(f"Restoring {message.item_id}"):
                self._restore_worker(message.item_id, message.to, True)

        self.app.push_screen(ConfirmScreen(
            "Replace what is there?", f"{message.message}. Restoring over it moves what is there now into the "
            "trash (it can be restored in turn).", confirm_label="Replace"), go)
