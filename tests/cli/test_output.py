"""`print_table`'s plain path (no rich import on a pipe) prints exactly what rich prints."""

from __future__ import annotations

import io
import random
import string

import pytest
from rich.console import Console

from tui_backup.cli import _output
from tui_backup.cli._output import PIPE_WIDTH, print_table, table

CELLS = ["", " ", "x", "a b", " lead", "trail ", "[bold]not markup[/]", "back\\", "\\[x]", "1000000",
         "/srv/app/files/dir9/file-1000000.dat", "2026-12-09 16:00:00", "été", "日本", "tab\there"]  # fmt: skip


def _rich(columns: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[str, ...]) -> str:
    buf = io.StringIO()
    Console(file=buf, width=PIPE_WIDTH, highlight=False, soft_wrap=True).print(table(columns, rows, right=right))
    return buf.getvalue()


def _cases() -> list[tuple[tuple[str, ...], list[tuple[str, ...]], tuple[str, ...]]]:
    rnd = random.Random(5)
    cases: list[tuple[tuple[str, ...], list[tuple[str, ...]], tuple[str, ...]]] = [
        (("SEQ", "AT (UTC)", "ACTION", "TARGET", "BY"), [], ("SEQ",)),
        (("ONLY",), [("a",), ("bbbbbb",)], ()),
        (("ONLY",), [("a",), ("bbbbbb",)], ("ONLY",)),
    ]
    for _ in range(200):
        ncols = rnd.randint(1, 6)
        columns = tuple(rnd.choice(["SEQ", "NAME", "AT (UTC)", "SIZE", "X", "A LONGER HEADER"]) + str(i) for i in range(ncols))
        nrows = rnd.randint(0, 6)
        rows = []
        for _ in range(nrows):
            rows.append(tuple(
                rnd.choice(CELLS) if rnd.random() < 0.1
                else "".join(rnd.choice(string.printable[:95]) for _ in range(rnd.randint(0, 70))).strip().replace("\\", "/")
                for _ in range(ncols)
            ))  # fmt: skip
        right = tuple(c for c in columns if rnd.random() < 0.3)
        cases.append((columns, rows, right))
    # Right at the width limit, and one past it (rich folds: the plain path must step aside).
    for extra in (0, 1):
        cell = "w" * (PIPE_WIDTH - 3 - 10 + extra)
        cases.append((("C1", "C2"), [("0123456789", cell)], ()))
    return cases


@pytest.mark.parametrize("case", _cases())
def test_plain_table_is_byte_identical_to_rich(case: tuple[tuple[str, ...], list[tuple[str, ...]], tuple[str, ...]]) -> None:
    columns, rows, right = case
    plain = _output._plain_table(columns, rows, right)
    if plain is not None:
        assert plain == _rich(columns, rows, right)


def test_print_table_on_a_pipe_matches_rich(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(var, raising=False)
    columns = ("SEQ", "ACTION", "TARGET")
    rows = [("12", "file.added", "/srv/a b/[x].txt"), ("3", "verify", "dest:usb")]
    print_table(columns, rows, right=("SEQ",))
    assert capsys.readouterr().out == _rich(columns, rows, ("SEQ",))
    assert _output._plain_table(columns, rows, ("SEQ",)) is not None  # the plain path was the one taken
