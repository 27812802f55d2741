"""`tui-backup status`: the profile's health in one report."""

from __future__ import annotations

from typing import Annotated

import typer

from tui_backup.cli._state import state


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Profile, sources, snapshots (count, newest and its age) and volume states."""
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        report = svc.status()
    if as_json:
        print_json(report.to_json())
        return

    from tui_backup.cli._output import escape, print_fields, say
    from tui_backup.tui.formatting import (
        age,
        health_label,
        human_bytes,
        local_time,
        utc_clock,
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
                f" ({age(report.newest_snapshot_at, utc_clock())})",
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
