"""Step 2: the scope — everything, the database, all files, or chosen paths picked in a
browsable tree of the restore point (read from its metadata.json)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from tui_backup.service.point_contents import PointContents
from tui_backup.tui.formatting import human_bytes
from tui_backup.tui.screens.restore_wizard.model import (
    SCOPE_LABELS,
    Candidate,
    ScopeKind,
    minimal,
    tree_of,
)

CHECKED, UNCHECKED = "[x]", "[ ]"  # text, not only colour: readable at 16 colours and NO_COLOR


class PathTree(Tree[str]):
    """The point's files; node data is the layout path. Space marks a path (a directory
    takes everything below it), Enter opens a directory, c continues."""

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", id="wizard.mark_path"),
        Binding("c", "done", "Continue", id="wizard.paths_done"),
    ]

    class Done(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("restore point", id=id)
        self.marked: set[str] = set()
        self.show_root = False
        self.guide_depth = 2

    def fill(self, contents: PointContents) -> None:
        self.clear()
        self.marked.clear()

        def add(node: TreeNode[str], tree: dict[str, object], prefix: str) -> None:
            for name in sorted(tree, key=lambda n: (prefix != "" or n != "files", n)):  # files first
                sub = tree[name]
                path = f"{prefix}/{name}" if prefix else name
                if isinstance(sub, dict):
                    child = node.add(self._label(path, name, None), data=path, expand=path.count("/") <= 1)
                    add(child, sub, path)
                else:
                    node.add_leaf(self._label(path, name, sub if isinstance(sub, int) else None), data=path)

        add(self.root, tree_of(contents), "")
        self.move_cursor_to_line(0)

    def _label(self, path: str, name: str, size: int | None) -> Text:
        mark = CHECKED if self._covered(path) else UNCHECKED
        return Text(f"{mark} {name}" + (f"  {human_bytes(size)}" if size is not None else "/"))

    def _covered(self, path: str) -> bool:
        return any(path == m or path.startswith(m + "/") for m in self.marked)

    def action_toggle_mark(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        path = node.data
        if path in self.marked:
            self.marked.discard(path)
        elif self._covered(path):
            return  # inside a marked directory: unmark the directory instead
        else:
            self.marked = {m for m in self.marked if not m.startswith(path + "/")} | {path}
        self._refresh_marks(self.root)

    def _refresh_marks(self, node: TreeNode[str]) -> None:
        for child in node.children:
            text = str(child.label)
            if child.data is not None:
                rest = text[len(CHECKED) + 1:]
                child.set_label(Text(f"{CHECKED if self._covered(child.data) else UNCHECKED} {rest}"))
            self._refresh_marks(child)

    def action_done(self) -> None:
        self.post_message(self.Done())

    @property
    def chosen(self) -> tuple[str, ...]:
        return minimal(self.marked)


class ScopeStep(Vertical):
    """Enter picks a scope; "chosen paths" opens the tree."""

    DEFAULT_CSS = """
    ScopeStep { height: 1fr; }
    ScopeStep > OptionList { height: auto; max-height: 6; }
    ScopeStep > #scope-note { height: auto; padding: 0 1; color: $text-muted; }
    ScopeStep > PathTree { height: 1fr; display: none; border-top: hkey $panel; }
    ScopeStep.-paths > PathTree { display: block; }
    """

    class Chosen(Message):
        def __init__(self, scope: ScopeKind, paths: tuple[str, ...] = ()) -> None:
            super().__init__()
            self.scope = scope
            self.paths = paths

    class WantContents(Message):
        """The tree needs the point's contents (the screen loads them in a worker)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.candidate: Candidate | None = None
        self.contents: PointContents | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(id="scope-list")
        yield Label("", id="scope-note", markup=False)
        yield PathTree(id="path-tree")

    def start(self, candidate: Candidate) -> None:
        """Show the scopes of `candidate` (the tree is reset when the point changed)."""
        if self.candidate != candidate:
            self.contents = None
            self.set_class(False, "-paths")
            self.query_one(PathTree).clear()
        self.candidate = candidate
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(SCOPE_LABELS[k]), id=k) for k in candidate.scopes()])
        options.highlighted = 0
        note = "A restore point made by another tool: restore it whole into a directory." if candidate.foreign \
            else "Enter picks · Esc goes back"
        self.query_one("#scope-note", Label).update(note)
        options.focus()

    def show_contents(self, contents: PointContents) -> None:
        self.contents = contents
        tree = self.query_one(PathTree)
        tree.fill(contents)
        count = len(contents.file_paths)
        self.query_one("#scope-note", Label).update(
            f"{count} files · Space marks a file or directory · Enter opens a directory · c continues"
            if count else "This restore point holds no files or config files.")
        tree.focus()

    def focus_first(self) -> None:
        if self.has_class("-paths"):
            self.query_one(PathTree).focus()
        else:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#scope-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind = event.option.id
        if kind == "paths":
            self.set_class(True, "-paths")
            if self.contents is None:
                self.query_one("#scope-note", Label).update("Reading the restore point's list of files…")
                self.post_message(self.WantContents())
            else:
                self.query_one(PathTree).focus()
            return
        self.set_class(False, "-paths")
        if kind in SCOPE_LABELS:
            self.post_message(self.Chosen(kind))  # type: ignore[arg-type]

    @on(PathTree.Done)
    def _paths_done(self, event: PathTree.Done) -> None:
        event.stop()
        chosen = self.query_one(PathTree).chosen
        if not chosen:
            self.app.notify("Mark at least one path with Space first.", severity="warning", markup=False)
            return
        self.post_message(self.Chosen("paths", chosen))
