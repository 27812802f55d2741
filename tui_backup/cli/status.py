"""`tui-backup status`: the profile's health in one report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.status import StatusReport


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Profile, sources, snapshots, volumes and every policy's health.

    Exit code, for monitoring checks: 0 all ok, 1 any warning, 2 any failing.
    """
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        report = svc.status()
    if as_json:
        print_json(report.to_json())
    else:
        _render(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


# a policy's health as a light: a symbol and a word, never colour alone
_LIGHTS = {"ok": "✔ ok", "warning": "▲ warning", "failing": "✖ failing"}


def _render(report: StatusReport) -> None:
    from tui_backup import clock
    from tui_backup.cli._output import escape, print_fields, say
    from tui_backup.tui.formatting import (
        age,
        health_label,
        human_bytes,
        local_time,
        volume_label,
    )

    fields = [
        ("profile", report.profile),
        ("health", health_label(report.health)),
        ("config", report.config_file),
        ("database", f"{report.database} ({report.database_kind})"),
        ("files", ", ".join(report.files) or "—"),
        ("config files", ", ".join(report.config_files) or "—"),
        ("state dir", report.state_dir),
        ("snapshots", str(report.snapshot_count)),
    ]
    if report.newest_snapshot_id:
        fields.append(
            (
                "newest",
                f"{report.newest_snapshot_id}  {local_time(report.newest_snapshot_at)}"
                f" ({age(report.newest_snapshot_at, clock.now())})",
            )
        )
    if report.running_jobs:
        fields.append(("running jobs", str(report.running_jobs)))
    print_fields(fields)
    say("volumes:")
    for v in report.volumes:
        free = f", {human_bytes(v.free_bytes)} free" if v.free_bytes is not None else ""
        say(f"  {escape(v.name)}: {escape(volume_label(str(v.state)))}{escape(free)}  {escape(v.path)}")
    if report.problems:
        say("problems:")
        for p in report.problems:
            say(f"  [yellow]•[/] {escape(p)}")
    if report.policies:
        _render_policies(report.policies)


def _render_policies(policies: list[PolicyStatus]) -> None:
    from tui_backup import clock
    from tui_backup.cli._output import escape, print_table, say
    from tui_backup.tui.formatting import age, human_bytes, short_time

    now = clock.now()
    rows = []
    for p in policies:
        last = p.last_run
        last_text = "never"
        if last is not None:
            size = f", {human_bytes(last.size_bytes)}" if last.size_bytes is not None else ""
            took = f", {last.duration_s:.0f}s" if last.duration_s is not None else ""
            last_text = f"{short_time(last.finished_at or last.started_at, now)} {last.status}{size}{took}"
        rows.append(
            (
                _LIGHTS.get(p.health, p.health),
                p.name,
                p.state,
                p.destination,
                p.schedule,
                last_text,
                short_time(p.next_run, now) if p.next_run else "—",
                f"{p.point_count}, newest {age(p.newest_point_at, now)}" if p.newest_point_at else str(p.point_count),
                age(p.last_proven_at, now) if p.last_proven_at else "never",
            )
        )
    say("policies:")
    print_table(
        ("health", "policy", "state", "destination", "schedule", "last run", "next run", "restore points", "proven"),
        rows,
    )
    for p in policies:
        for reason in p.reasons:
            say(f"  [yellow]•[/] {escape(p.name)}: {escape(reason)}")
