"""The root command group: error reporting for the whole command tree, and a fast start.

Every command (and the tests that call `app` through CliRunner) runs inside
`RootGroup.invoke`, so every failure is reported the same way (see `_errors`).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer
from typer.core import TyperGroup

from tui_backup.cli._errors import is_framework, report
from tui_backup.errors import TuiBackupError

EXIT_INTERRUPTED = 130  # the shell's code for SIGINT


class RootGroup(TyperGroup):
    """The `tui-backup` command group."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        help_names = (self.context_settings or {}).get("help_option_names", ["--help"])
        _install_plain_coercion(self, list(help_names))

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
