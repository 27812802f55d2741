"""How the one-shot commands write: human text and tables on stdout, JSON alone on stdout
with `--json`, and warnings, errors and progress on stderr.

rich is imported only when something is rendered with it, so `status --json` never pays for
it. rich honours NO_COLOR (and colours nothing when the stream is not a terminal).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

PIPE_WIDTH = 200


def print_json(data: Any) -> None:
    """Machine-readable output: the only thing written to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def stdout_console() -> Console:
    from rich.console import Console

    # Consoles are made per call: tests swap sys.stdout under us. Piped output gets a wide
    # page so tables are not folded at rich's default 80 columns.
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=True, width=width)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """Text from the user or the system, printed literally (never as rich markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def say(markup: str) -> None:
    """One line of human output on stdout (rich markup; escape what you interpolate)."""
    stdout_console().print(markup)


def print_warnings(warnings: Iterable[str]) -> None:
    items = list(warnings)
    if items:
        con = stderr_console()
        for w in items:
            con.print(f"[yellow]warning:[/] {escape(w)}")


def print_error(message: str, hint: str = "") -> None:
    """`error: …` and `hint: …`, one line each, on stderr."""
    con = stderr_console()
    con.print(f"[bold red]error:[/] {escape(_one_line(message))}")
    if hint:
        con.print(f"[dim]hint:[/] {escape(_one_line(hint))}")


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text else text


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, right: Sequence[str] = ()) -> Table:
    """A borderless table: columns in `right` are right-aligned (numbers, sizes)."""
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in columns:
        t.add_column(col, justify="right" if col in right else "left", overflow="fold")
    for row in rows:
        t.add_row(*(escape(cell) for cell in row))
    return t


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, right: Sequence[str] = ()) -> None:
    rows = [tuple(row) for row in rows]
    plain = _plain_table(columns, rows, right) if _plain_stdout() else None
    if plain is not None:
        sys.stdout.write(plain)
        sys.stdout.flush()
        return
    stdout_console().print(table(columns, rows, right=right))


def _plain_stdout() -> bool:
    """True when rich would write stdout as plain text at PIPE_WIDTH: not a terminal, and no
    variable that makes rich treat it as one or changes its width."""
    env = os.environ
    if "COLUMNS" in env or "FORCE_COLOR" in env or "TTY_COMPATIBLE" in env:
        return False
    if not (getattr(sys.stdout, "encoding", None) or "").lower().startswith("utf"):
        return False  # rich draws the rule in ASCII then
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # closed
        return False


def _has_emoji_code(text: str) -> bool:
    from rich._emoji_replace import _emoji_replace  # the emoji table only (~3 ms), not the console

    return _emoji_replace(text) != text


def _plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[str]) -> str | None:
    """The exact text rich prints for `table(...)` on a plain stream, without importing rich
    (~0.1 s of start-up: a third of `journal list`). None — rich then renders it — unless
    every cell is printable ASCII without edge spaces and the table fits PIPE_WIDTH.
    tests/cli/test_output.py checks it byte for byte against rich."""
    if not columns or any("[" in c or ":" in c or not (c.isascii() and c.isprintable()) for c in columns):
        return None
    widths = [len(c) for c in columns]
    for row in rows:
        if len(row) != len(columns):
            return None
        for i, cell in enumerate(row):
            if not (cell.isascii() and cell.isprintable()) or cell != cell.strip() or "\\" in cell:
                return None  # wide or control characters; edge spaces (rich trims some)
            if ":" in cell and _has_emoji_code(cell):  # rich shows `:name:` as emoji: leave it to rich
                return None
            widths[i] = max(widths[i], len(cell))
    # SIMPLE_HEAD without edges: cells padded one space each side (not at the outer edges),
    # columns divided by one space, a rule of the table's width under the header.
    total = sum(widths) + 3 * (len(widths) - 1)
    if total > PIPE_WIDTH:
        return None
    last = len(columns) - 1
    justify = [str.rjust if c in right else str.ljust for c in columns]

    def line(cells: Sequence[str]) -> str:
        parts = [justify[i](cell, widths[i]) for i, cell in enumerate(cells)]
        return "   ".join(parts) if last else parts[0]

    out = [line(columns), "\u2500" * total]
    out.extend(line(row) for row in rows)
    return "\n".join(out) + "\n"


def print_fields(fields: Sequence[tuple[str, str]]) -> None:
    """`key   value` lines, keys aligned."""
    width = max((len(k) for k, _ in fields), default=0)
    con = stdout_console()
    for key, value in fields:
        con.print(f"[bold]{escape(key.ljust(width))}[/]  {escape(value)}")
