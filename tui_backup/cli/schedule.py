"""`tui-backup schedule install|show|uninstall`: make `run-due` run every few minutes, through
a systemd timer or a crontab block (tui_backup/service/schedule_install.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.schedule_install import Method, ScheduleReport

group = typer.Typer(
    help="Run the due policies automatically: a systemd timer or a crontab entry.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
SystemdOption = Annotated[bool, typer.Option("--systemd", help="A systemd service + timer (default when systemd runs).")]
CronOption = Annotated[bool, typer.Option("--cron", help="A block in your crontab (default without systemd).")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="schedule")


def _method(systemd: bool, cron: bool) -> Method | None:
    from tui_backup.errors import UsageError

    if systemd and cron:
        raise UsageError("--systemd and --cron together", "choose one")
    return "systemd" if systemd else "cron" if cron else None


@group.command("install")
def install(
    ctx: typer.Context,
    systemd: SystemdOption = False,
    cron: CronOption = False,
    user: Annotated[
        bool, typer.Option("--user", help="systemd: your user's units (~/.config/systemd/user) instead of the system's.")
    ] = False,
    every: Annotated[str, typer.Option("--every", metavar="INTERVAL", help="How often to check (5m, 15m, 1h).")] = "5m",
    as_json: JsonOption = False,
) -> None:
    """Install (or update) what runs `tui-backup run-due` for this profile every few minutes."""
    from tui_backup.service import schedule_install as si

    method = _method(systemd, cron)
    interval = si.parse_every(every)
    with state(ctx).service(check_paths=False) as svc:
        report = si.install_schedule(svc, method, user=user, every=interval)
    _render(report, as_json)


@group.command("show")
def show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show how this profile's schedule is installed, and where."""
    from tui_backup.service import schedule_install as si

    with state(ctx).service(check_paths=False) as svc:
        report = si.show_schedule(svc)
    _render(report, as_json)


@group.command("uninstall")
def uninstall(
    ctx: typer.Context,
    systemd: SystemdOption = False,
    cron: CronOption = False,
    user: Annotated[bool | None, typer.Option("--user/--system", help="systemd: only your user's / the system's units.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Remove exactly what `schedule install` wrote for this profile (by default: wherever it is)."""
    from tui_backup.service import schedule_install as si

    method = _method(systemd, cron)
    with state(ctx).service(check_paths=False) as svc:
        report = si.uninstall_schedule(svc, method, user=user)
    _render(report, as_json)


def _render(report: ScheduleReport, as_json: bool) -> None:
    from tui_backup.cli._output import escape, print_json, print_warnings, say

    if as_json:
        print_json(report.to_json())
        return
    print_warnings(report.notes)
    if report.action == "show":
        if not report.installed:
            say(f"the schedule of profile {escape(report.profile)} is not installed "
                "([dim]tui-backup schedule install[/])")  # fmt: skip
        for item in report.installed:
            say(f"[bold]{item.method}[/] ({item.scope}) in {escape(item.location)}")
            typer.echo(item.text.rstrip("\n"))
        return
    if report.action == "install":
        verb = "installed" if report.changed else "already installed, unchanged"
        for item in report.installed:
            where = ", ".join(item.files) or item.location
            say(f"{verb}: {item.method} ({item.scope}), every {escape(item.every)}, in {escape(where)}")
    else:
        if not report.removed:
            say(f"nothing to remove: the schedule of profile {escape(report.profile)} is not installed")
        for item in report.removed:
            where = ", ".join(item.files) or item.location
            say(f"removed: {item.method} ({item.scope}) from {escape(where)}")
    for command in report.commands_run:
        say(f"[dim]ran:[/] {escape(command)}")
    if report.commands_to_run:
        say("run these to activate it:")
        for command in report.commands_to_run:
            typer.echo(f"  {command}")
