"""`tui-backup stats`: per destination, restore points, storage used and space saved;
then the recent policy runs and jobs. Lists every destination: may be slow for remote ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.stats import StatsReport


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
    recent: Annotated[
        int, typer.Option("--recent", "-n", metavar="N", min=0, help="How many recent runs and jobs to show.")
    ] = 10,
) -> None:
    """Restore points, storage used and space saved per destination; recent activity."""
    from tui_backup.cli._output import print_json
    from tui_backup.service.stats import profile_stats

    with state(ctx).service(check_paths=False) as svc:
        report = profile_stats(svc, recent=recent)
    if as_json:
        print_json(report.to_json())
        return
    _render(report)


def _render(report: StatsReport) -> None:
    from tui_backup import clock
    from tui_backup.cli._output import escape, print_table, say
    from tui_backup.tui.formatting import human_bytes, human_duration, short_time

    now = clock.now()
    if not report.destinations:
        say("no destinations yet: add a [[destination]] or a policy to the profile's config")
    else:
        rows = []
        for d in report.destinations:
            points = "—" if d.point_count is None else str(d.point_count)
            if d.point_count is not None and d.own_point_count != d.point_count:
                points += f" ({d.own_point_count} ours)"
            saved = human_bytes(d.saved_bytes)
            if d.saved_bytes is not None and d.logical_bytes:
                saved += f" ({d.saved_bytes / d.logical_bytes:.0%})"
            rows.append((d.name, d.type, points, short_time(d.newest_point_at, now), human_bytes(d.stored_bytes),
                         human_bytes(d.logical_bytes), saved, ", ".join(d.policies) or "—"))
        say("destinations:")
        print_table(("destination", "type", "restore points", "newest", "stored", "in full", "saved", "policies"),
                    rows, right=("stored", "in full", "saved"))
        for d in report.destinations:
            if d.error:
                say(f"  [red]✖[/] {escape(d.name)}: {escape(d.error)}")
            for note in d.notes:
                say(f"  [yellow]•[/] {escape(d.name)}: {escape(note)}")
            if d.method and d.stored_bytes is not None:
                say(f"  [dim]{escape(d.name)}: {escape(d.method)}[/]")
    if report.recent_runs:
        say("recent policy runs:")
        print_table(
            ("id", "policy", "kind", "started", "status", "size", "took", "error"),
            [(str(r.id), r.policy, r.kind, short_time(r.started_at, now), r.status, human_bytes(r.size_bytes),
              human_duration(r.duration_s) if r.duration_s is not None else "—", r.error or "")
             for r in report.recent_runs],
            right=("id", "size"),
        )
    if report.recent_jobs:
        say("recent jobs:")
        print_table(
            ("id", "kind", "target", "started", "status", "took"),
            [(str(j.id), j.kind, j.target, short_time(j.started_at, now), j.status,
              human_duration(j.duration_s) if j.duration_s is not None else "—") for j in report.recent_jobs],
            right=("id",),
        )
