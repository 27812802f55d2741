"""Replacing a Static's content so that its size always follows the new content."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


def update_static(widget: Static, content: VisualType) -> None:
    """`widget.update(content)`, with the size measured for the old content forgotten.

    Textual (8.2) keys a widget's size cache on a layout counter that `refresh(layout=True)`
    only advances when no layout of that widget is pending. Content set while the layout
    asked for at mount is still pending (a worker's first result on a busy machine) kept
    the old size for good: the profile's three-line summary showed as its first line only.
    """
    widget.update(content)
    widget._layout_updates += 1
    widget.clear_cached_dimensions()
