"""Start-up cost of one-shot commands: lazily loaded command groups, and what `journal list`
imports (a real process, on a pipe)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import typer
from typer.main import get_group

import tui_backup.cli
from tests.cli.helpers import cli
from tui_backup.cli import COMMANDS
from tui_backup.service import ProfileService, journal


def _imported_by(args: list[str], tmp_path: Path) -> set[str]:
    """The modules a real `tui-backup ARGS` process imported (stdout to a pipe)."""
    script = tmp_path / "modules.py"
    report = tmp_path / "modules.txt"
    script.write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(report)!r}, 'w').write('\\n'.join(sorted(sys.modules))))\n"
        f"sys.argv = ['tui-backup', *{args!r}]\n"
        "from tui_backup.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE")}
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=False)
    assert p.returncode == 0, p.stderr
    assert "SEQ" in p.stdout or p.stdout.startswith("["), p.stdout
    return set(report.read_text().split())


def _family(modules: set[str], *names: str) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


def test_journal_list_imports_only_what_it_uses(svc: ProfileService, tmp_path: Path) -> None:
    for i in range(3):
        journal.try_record(svc, "verify", f"dest:usb{i}", {"ok": True})
    for args in (["journal", "list", "--limit", "50"], ["journal", "list", "--json"]):
        modules = _imported_by(args, tmp_path)
        assert "tui_backup.cli.journal" in modules
        assert not _family(modules, "textual", "zstandard", "apprise", "pydantic"), args
        # No other command group, nor the policy editor, the restore code or the job runner.
        others = {f"tui_backup.cli.{m}" for m in set(COMMANDS.values()) - {"journal"}}
        assert not modules & others, (args, modules & others)
        assert not _family(modules, "tui_backup.service.policy_edit", "tui_backup.service.restore", "tui_backup.jobs.runner")
        # On a pipe the table is printed without rich's console (a third of the start-up).
        assert "rich.console" not in modules, args


def test_every_command_module_is_in_the_table() -> None:
    """Each tui_backup/cli module with a `register(app)` is listed in COMMANDS under exactly
    the names it registers (modules registered by another module, like backup_restore, aside)."""
    package = Path(tui_backup.cli.__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(package)]) if not m.name.startswith("_")]
    sources = {n: (package / f"{n}.py").read_text(encoding="utf-8") for n in names}
    nested = {n for n in names if any(f"from tui_backup.cli import {n}" in src for m, src in sources.items() if m != n)}
    for name in names:
        module = importlib.import_module(f"tui_backup.cli.{name}")
        if not hasattr(module, "register") or name in nested:
            continue
        holder = typer.Typer()
        module.register(holder)
        registered = set(get_group(holder).commands)
        listed = {cmd for cmd, mod in COMMANDS.items() if mod == name}
        assert registered == listed, (
            f"tui_backup/cli/{name}.py registers {sorted(registered)}: list each in COMMANDS in "
            f'tui_backup/cli/__init__.py, e.g. "{sorted(registered)[0]}": "{name}",'
        )
    assert set(COMMANDS.values()) <= set(names)


def test_help_lists_every_command_in_table_order() -> None:
    r = cli("--help")
    assert r.exit_code == 0
    positions = [r.stdout.find(f"│ {name} ") for name in COMMANDS]
    assert all(p >= 0 for p in positions), [n for n, p in zip(COMMANDS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


def test_a_mistyped_command_still_gets_a_suggestion() -> None:
    r = cli("jornal", "list")
    assert r.exit_code == 2
    assert "journal" in r.stderr
