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
    stdout_console().print(table(columns, rows, right=right))


def print_fields(fields: Sequence[tuple[str, str]]) -> None:
    """`key   value` lines, keys aligned."""
    width = max((len(k) for k, _ in fields), default=0)
    con = stdout_console()
    for key, value in fields:
        con.print(f"[bold]{escape(key.ljust(width))}[/]  {escape(value)}")
