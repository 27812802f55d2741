"""The root command group: error reporting for the whole command tree, and a fast start.

Every command (and the tests that call `app` through CliRunner) runs inside
`RootGroup.invoke`, so every failure is reported the same way (see `_errors`).

Command groups are loaded lazily: `lazy_commands` maps each top-level command name to the
module of tui_backup/cli that registers it, and a module is imported (and its commands
built) only when one of its names is used — `journal list` never imports the policy
editor, the restore code or their dependencies. `--help` and a mistyped name load all.
"""

from __future__ import annotations

import errno
import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup

from tui_backup.cli._errors import is_framework, report
from tui_backup.errors import TuiBackupError

EXIT_INTERRUPTED = 130  # the shell's code for SIGINT


class RootGroup(TyperGroup):
    """The `tui-backup` command group."""

    # command name -> module (in tui_backup.cli) whose `register(app)` adds it; see cli/__init__.
    lazy_commands: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._help_names = list((self.context_settings or {}).get("help_option_names", ["--help"]))
        _install_plain_coercion(self, self._help_names)

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        self._load_all()
        return super().list_commands(ctx)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name not in self.commands:
            module = self.lazy_commands.get(cmd_name)
            if module is not None:
                self._load(module)
            else:
                self._load_all()  # an unknown name: Typer suggests close matches from them all
        return super().get_command(ctx, cmd_name)

    def _load_all(self) -> None:
        for name, module in self.lazy_commands.items():
            if name not in self.commands:
                self._load(module)
        # Keep the table's order (`--help` lists commands in it), eager commands first.
        order = [n for n in self.commands if n not in self.lazy_commands] + list(self.lazy_commands)
        self.commands = {n: self.commands[n] for n in order if n in self.commands}

    def _load(self, module_name: str) -> None:
        """Import one command module and add the click commands its `register` makes."""
        import typer.main
        from typer.models import TyperInfo

        module = importlib.import_module(f"tui_backup.cli.{module_name}")
        holder = typer.Typer()
        module.register(holder)
        built = typer.main.get_group_from_info(
            TyperInfo(holder),
            pretty_exceptions_short=True,
            rich_markup_mode=self.rich_markup_mode,
            suggest_commands=self.suggest_commands,
        )
        for name, command in built.commands.items():
            _install_plain_coercion(command, self._help_names)
            self.commands[name] = command

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except TuiBackupError as exc:
            raise typer.Exit(report(exc, verbose=_verbose(ctx))) from None
        except KeyboardInterrupt:
            from tui_backup.cli._output import print_error

            print_error("interrupted", "")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if is_framework(exc) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
                raise
            raise typer.Exit(report(exc, verbose=_verbose(ctx))) from None


def _verbose(ctx: typer.Context) -> bool:
    from tui_backup.cli._state import CliState

    obj = ctx.obj
    if isinstance(obj, CliState):
        return obj.verbose
    return bool(ctx.params.get("verbose"))


class _PlainCoercion:
    """Converts a flag, str or Path parameter without validation (there is nothing to check).

    Why: Typer 0.29 coerces every parameter that is not a given flag — even an absent one —
    through a pydantic TypeAdapter, and importing pydantic and building the adapters costs
    ~90 ms of CPU on every start, about a third of `tui-backup status --json`. Parameters
    that need real checks (numbers with bounds, paths that must exist) keep Typer's own.
    """

    def __init__(self, convert: Callable[[Any], Any], multiple: bool) -> None:
        self.convert = convert
        self.multiple = multiple

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if self.multiple else None
        if self.multiple:
            return [self.convert(v) for v in value]
        return self.convert(value)


def _plain_converter(param: Any) -> Callable[[Any], Any] | None:
    desc = param.type_descriptor
    info = desc.parameter_info
    if info.parser is not None:
        return None
    annotation = desc.annotation
    if annotation is bool:
        return bool if param.is_flag else None
    if getattr(annotation, "__origin__", None) is list:
        (annotation,) = annotation.__args__
    if annotation is str:
        return str
    if annotation is Path and not (info.exists or info.resolve_path or info.allow_dash or info.writable or info.path_type):
        return Path
    return None


def _install_plain_coercion(command: Any, help_names: list[str]) -> None:
    """Give the plain coercion to the flag, str and Path parameters of the whole command
    tree, where this Typer has the hook for it (`_runtime_param`); otherwise change nothing."""
    params = list(getattr(command, "params", ()))
    if hasattr(command, "get_help_option"):
        # The help flag is made on first use; make it now so it gets the plain coercion too.
        help_option = command.get_help_option(SimpleNamespace(help_option_names=help_names))
        if help_option is not None:
            params.append(help_option)
    for param in params:
        if getattr(param, "type_descriptor", None) is None or getattr(param, "_runtime_param", False) is not None:
            continue
        convert = _plain_converter(param)
        if convert is not None:
            param._runtime_param = _PlainCoercion(convert, param.multiple or param.nargs == -1)
    for sub in getattr(command, "commands", {}).values():
        _install_plain_coercion(sub, help_names)
