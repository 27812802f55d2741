"""The app's footer, with its keys in the very first frame.

Textual's `Footer` composes nothing until the screen first announces its bindings, which in
a real terminal lands a few frames after the first paint (~0.2 s of start-up here, behind
the hidden panes' background mounting): the app looked started but showed no keys. This one
composes the bindings active when it is mounted (the app's own: q, R, ?, ctrl+p) and then
follows every change like Textual's.
"""

from __future__ import annotations

from textual.widgets import Footer


class ReadyFooter(Footer):
    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        # The flag Textual's Footer sets on the first bindings announcement (benchmarks/tui.py
        # counts the first full paint: header, tabs and keys).
        self.set_reactive(Footer._bindings_ready, True)
