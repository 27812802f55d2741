"""The command line as a whole: global options, exit codes, error format, colour, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from tests.cli.helpers import BIN, assert_error, cli, run_bin
from tui_backup import __version__
from tui_backup.cli._group import RootGroup
from tui_backup.errors import SnapshotError


def test_version() -> None:
    r = cli("--version")
    assert r.exit_code == 0
    assert r.stdout == f"tui-backup {__version__}\n"


def test_console_script_and_module_both_run() -> None:
    assert run_bin("--version").stdout.strip() == f"tui-backup {__version__}"
    p = subprocess.run(
        [sys.executable, "-m", "tui_backup", "--version"], capture_output=True, text=True, check=True
    )
    assert p.stdout.strip() == f"tui-backup {__version__}"


def test_help_lists_every_command_group() -> None:
    r = cli("--help")
    assert r.exit_code == 0
    for name in ("init", "status", "snapshot", "volumes", "config", "profiles", "jobs", "tui", "demo"):
        assert name in r.stdout


def test_usage_errors_exit_2() -> None:
    assert cli("no-such-command").exit_code == 2
    assert cli("snapshot", "create", "--no-such-option").exit_code == 2
    assert cli("jobs", "show", "not-a-number").exit_code == 2
    assert cli("jobs", "list", "--limit", "0").exit_code == 2
    assert cli("init", "--name", "x").exit_code == 2  # --db missing


def test_no_profile_yet_is_a_usage_error() -> None:
    assert_error(cli("status"), 2, "no profile yet", "tui-backup init")


def test_profile_and_config_together_are_refused(profile_config: Path) -> None:
    assert_error(cli("--profile", "app", "--config", str(profile_config), "status"), 2, "only one")


def test_unknown_profile(profile_config: Path) -> None:
    assert_error(cli("--profile", "nope", "status"), 2, "profile 'nope'")


def test_two_profiles_need_a_choice(profile_config: Path, app_dir: Path) -> None:
    assert cli("init", "--name", "other", "--db", f"sqlite://{app_dir / 'app.db'}").exit_code == 0
    assert_error(cli("status"), 2, "2 profiles exist", "--profile")
    assert cli("--profile", "other", "status", "--json").json()["profile"] == "other"


def test_profile_from_environment(profile_config: Path, app_dir: Path) -> None:
    assert cli("init", "--name", "other", "--db", f"sqlite://{app_dir / 'app.db'}").exit_code == 0
    r = run_bin("status", "--json", env={"TUI_BACKUP_PROFILE": "other"})
    assert r.exit_code == 1, r.stderr  # no snapshot yet: a warning (status's exit code is a monitoring check)
    assert '"profile": "other"' in r.stdout
    r = run_bin("status", "--json", env={"TUI_BACKUP_CONFIG": str(profile_config)})
    assert '"profile": "app"' in r.stdout


def test_errors_of_a_real_process_are_one_line(tmp_path: Path) -> None:
    r = run_bin("--config", str(tmp_path / "missing.toml"), "status")
    assert_error(r, 2, "no config file at")


def _failing_app(exc: Exception) -> typer.Typer:
    """A tiny app on the real root group, with one command that raises `exc`."""
    app = typer.Typer(cls=RootGroup, pretty_exceptions_enable=False)

    @app.callback()
    def root(verbose: bool = typer.Option(False, "--verbose")) -> None:
        pass

    @app.command()
    def boom() -> None:
        raise exc

    return app


def test_unexpected_exception_is_one_line_with_a_hint() -> None:
    from typer.testing import CliRunner

    app = _failing_app(RuntimeError("disk on fire"))
    r = CliRunner().invoke(app, ["boom"], catch_exceptions=False)
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[0] == "error: unexpected RuntimeError: disk on fire"
    assert "--verbose" in r.stderr
    r = CliRunner().invoke(app, ["--verbose", "boom"], catch_exceptions=False)
    assert r.exit_code == 1
    assert "Traceback" in r.stderr and "disk on fire" in r.stderr


def test_tool_errors_use_their_exit_code_and_verbose_adds_the_traceback() -> None:
    from typer.testing import CliRunner

    app = _failing_app(SnapshotError("the copy failed", "try again"))
    r = CliRunner().invoke(app, ["boom"], catch_exceptions=False)
    assert (r.exit_code, r.stderr) == (1, "error: the copy failed\nhint: try again\n")
    r = CliRunner().invoke(app, ["--verbose", "boom"], catch_exceptions=False)
    assert "Traceback" in r.stderr and r.stderr.endswith("error: the copy failed\nhint: try again\n")


def test_long_messages_are_not_wrapped(tmp_path: Path) -> None:
    deep = tmp_path / ("very-long-directory-name-" * 8) / "missing.toml"
    r = run_bin("--config", str(deep), "status")
    assert_error(r, 2, str(deep))


def test_no_color_is_honoured(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.toml")
    coloured = run_bin("--config", missing, "status", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in coloured.stderr  # the check below would prove nothing without colour here
    plain = run_bin("--config", missing, "status", env={"FORCE_COLOR": "1", "NO_COLOR": "1", "TERM": "xterm-256color"})
    assert plain.exit_code == 2
    assert "\x1b[31" not in plain.stderr and "\x1b[38" not in plain.stderr and "\x1b[91" not in plain.stderr
    assert "error:" in plain.stderr


def test_one_shot_commands_never_import_textual(profile_config: Path, tmp_path: Path) -> None:
    """`status --json` in a real process: report which modules it imported."""
    script = tmp_path / "modules.py"
    report = tmp_path / "modules.txt"
    script.write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(report)!r}, 'w').write('\\n'.join(sorted(sys.modules))))\n"
        "sys.argv = ['tui-backup', 'status', '--json']\n"
        "from tui_backup.cli import main\n"
        "main()\n"
    )
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=os.environ.copy())
    assert p.returncode == 1, p.stderr  # no snapshot yet: status's monitoring exit code says "warning"
    modules = set(report.read_text().split())
    assert "tui_backup.cli" in modules
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}
    # Start-up cost: pydantic (Typer's coercion) and rich are kept off this path too.
    assert "pydantic" not in modules
    assert "rich.progress" not in modules


def test_json_output_is_only_json(profile_config: Path) -> None:
    for args in (
        ("status", "--json"),
        ("volumes", "--json"),
        ("profiles", "--json"),
        ("config", "show", "--json"),
        ("jobs", "list", "--json"),
    ):
        r = run_bin(*args)
        # status exits 1 on a warning (here: no snapshot yet), as a monitoring check does
        assert r.exit_code == (1 if args[0] == "status" else 0), (args, r.stderr)
        assert isinstance(json.loads(r.stdout), (dict, list)), args


def test_installed_script_exists() -> None:
    assert BIN.is_file()
