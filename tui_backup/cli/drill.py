"""`tui-backup drill POLICY`: restore the policy's newest restore point into scratch space
and prove it whole (checksums, database integrity, file list); exit 0 ok, 1 failed."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.drill import DrillResult


def register(app: typer.Typer) -> None:
    app.command("drill")(drill)


def drill(
    ctx: typer.Context,
    policy: Annotated[str, typer.Argument(metavar="POLICY", help="The policy's name (a \\[\\[policy]] table).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines of the job's events, then the drill's result, on stdout.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait if another job is using the destination.")] = False,
) -> None:
    """Restore POLICY's newest restore point into scratch space and prove it restorable."""
    from tui_backup.cli._jobview import job_view
    from tui_backup.service import drill as drill_service

    with state(ctx).service(check_paths=False) as svc:
        pol = svc.policy(policy)
        with job_view(f"drill {policy}", as_json=as_json) as on_event:
            result = drill_service.drill_policy(svc, pol, (on_event,), trigger="manual", wait=wait)
    if as_json:
        sys.stdout.write(json.dumps({"event": "drill", **result.to_json()}, default=str) + "\n")
        sys.stdout.flush()
    else:
        _print(result)
    if not result.ok:
        raise typer.Exit(1)


def _print(result: DrillResult) -> None:
    from tui_backup.cli._output import escape, print_error, print_fields, print_warnings, say
    from tui_backup.tui.formatting import local_time

    print_fields(
        [
            ("policy", result.policy),
            ("destination", result.destination),
            ("restore point", result.point_id or "none"),
            ("files checked", str(result.checked_files)),
            ("database", result.database or "not checked"),
            ("job", str(result.run.job_id or "-")),
            ("duration", f"{result.duration_s:.1f} s"),
        ]
    )
    if result.finished is not None:
        print_warnings(result.finished.warnings)
    if result.ok:
        say(f"[green]proven restorable[/] at {escape(local_time(result.proven_at))}")
        return
    for problem in result.problems:
        say(f"[red]problem:[/] {escape(problem)}")
    print_error(f"the drill of {result.policy} failed", result.hint)
