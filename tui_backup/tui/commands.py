"""The command palette's provider: every action of the current pane, titled with the selection.

Nothing is listed by hand: the commands are the bindings (with ids) active where the focus
is — the pane's, its screen's and the app's — so a new binding shows up in the palette and
the help screen by itself, with the key a user keymap gave it. A pane names its selection
through `selection_label()` and the binding ids that act on it in `SELECTION_BINDINGS`,
so the title says what a command will touch: "Restore snapshot 20240301-120000-a1b2".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.dom import DOMNode

PANE_PREFIX = "app.pane."
PREPOSITIONS = frozenset({"to", "from", "into", "in", "on", "of", "for", "with"})
# (action, title) of the app's actions the palette offers even without a binding in effect.
EXTRAS = (("switch_profile", "Switch profile…"), ("change_theme", "Theme…"), ("help", "Keys (help)"),
          ("quit", "Quit"))


@runtime_checkable
class SelectionOwner(Protocol):
    """A pane whose bindings in SELECTION_BINDINGS act on its selected row."""

    SELECTION_BINDINGS: ClassVar[frozenset[str]]

    def selection_label(self) -> str | None:
        """What is selected, as words: "snapshot 20240301-…" (None: nothing is)."""
        ...


@dataclass(frozen=True)
class BindingEntry:
    """One binding in effect, with all its keys (as the footer shows them)."""

    binding_id: str
    keys: tuple[str, ...]
    description: str
    action: str
    node: DOMNode
    enabled: bool
    selection: str | None  # the selection it acts on (None: not a selection action)

    @property
    def scope(self) -> str:
        return "app" if isinstance(self.node, App) else "screen"

    @property
    def label(self) -> str:
        """The help screen's words: the description, as the footer has it ("Restore")."""
        if self.binding_id.startswith(PANE_PREFIX):
            return self.title
        return self.description[:1].upper() + self.description[1:]

    @property
    def title(self) -> str:
        """The palette's title: the description, with what it acts on."""
        if self.binding_id.startswith(PANE_PREFIX):
            return f"Show the {self.description} pane"
        if self.selection is None:
            return self.description
        base, dots = (self.description[:-1].rstrip(), "…") if self.description.endswith("…") else (self.description, "")
        words, noun = base.split(), self.selection.split()[0]
        if words and words[-1].lower() in PREPOSITIONS:  # "Restore to…": the selection is not the target
            return f"{self.description} ({self.selection})"
        if len(words) > 1 and words[-1].lower() == noun.lower():  # "Cancel job" + "job 42"
            base = " ".join(words[:-1])
        return f"{base} {self.selection}{dots}"


def _selection(node: DOMNode, binding_id: str) -> str | None:
    """The selection a binding of `node` acts on: that of the nearest pane claiming the id."""
    for owner in node.ancestors_with_self:
        if isinstance(owner, SelectionOwner) and binding_id in owner.SELECTION_BINDINGS:
            try:
                return owner.selection_label()
            except NoMatches:  # its table is not mounted (yet)
                return None
    return None


def binding_entries(screen: Screen[Any]) -> list[BindingEntry]:
    """The bindings with ids in effect on `screen` (where its focus is), the focused widget's
    first and the app's last; each with every key that still reaches it."""
    app = screen.app
    keys: dict[tuple[int, str], list[str]] = {}
    first: dict[tuple[int, str], tuple[DOMNode, Binding, bool]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.id:  # Textual's own (cursor keys ...): not actions of ours
            continue
        group = (id(active.node), binding.id)
        shown = keys.setdefault(group, [])
        # A key_display ("F5") names the binding's first key only, not "f5,ctrl+r"'s second.
        display = app.get_key_display(binding if not shown else binding.with_key(key, key_display=None))
        if display not in shown:
            shown.append(display)
        first.setdefault(group, (active.node, binding, active.enabled))
    entries = []
    for group, (node, binding, enabled) in first.items():
        entries.append(BindingEntry(
            binding_id=str(binding.id),
            keys=tuple(keys[group]),
            description=binding.description or binding.action,
            action=binding.action,
            node=node,
            enabled=enabled,
            selection=_selection(node, str(binding.id)),
        ))
    return entries


def pane_title(app: App[Any]) -> str:
    """The title of the pane on screen ("Snapshots"), "" when there is none."""
    from textual.widgets import TabbedContent

    found = app.screen_stack[0].query(TabbedContent)
    if not found:
        return ""
    tabs = found.first()
    if not tabs.active:
        return ""
    return str(tabs.get_tab(tabs.active).label.plain).lstrip("0123456789 ")


class PaneCommands(Provider):
    """The current pane's actions and the app's, from their bindings."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, run) of every enabled binding of the screen the palette was opened on."""
        out: list[tuple[str, str, Callable[[], object]]] = []
        where = pane_title(self.app)
        entries = binding_entries(self.screen)
        for entry in entries:
            if not entry.enabled or entry.action in ("command_palette", "app.command_palette"):
                continue
            place = "app" if entry.scope == "app" else (f"{where} pane" if where else "this screen")
            help_text = f"{', '.join(entry.keys)} · {place} · {entry.binding_id}"
            out.append((entry.title, help_text, partial(self._run, entry)))
        # App actions that are always on offer, even where no binding of them is in effect.
        for action, title in EXTRAS:
            method = getattr(self.app, f"action_{action}", None)
            if callable(method) and not any(e.action in (action, f"app.{action}") for e in entries):
                out.append((title, "app", method))
        return out

    def _run(self, entry: BindingEntry) -> None:
        # Through the binding's own namespace, as the key would: its check_action applies.
        self.app.call_later(self.app.run_action, entry.action, entry.node)

    async def discover(self) -> Hits:
        for title, help_text, run in self._commands():
            yield DiscoveryHit(title, run, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = max(matcher.match(title), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=help_text)


__all__ = ["BindingEntry", "PaneCommands", "SelectionOwner", "binding_entries", "pane_title"]
