"""A pane whose layer has not landed yet: it says what will appear there."""

from __future__ import annotations

from textual.widgets import Static


class ComingSoon(Static):
    DEFAULT_CSS = """
    ComingSoon {
        padding: 1 2;
        color: $text-muted;
    }
    """

    def __init__(self, what: str, *, id: str | None = None) -> None:
        super().__init__(what, id=id, markup=False)
