"""`tui-backup policy …`: the profile's backup policies — list, show, add, edit, remove,
pause, resume, and run, prune or verify one now.

Changes go through the service (tomlkit, comments kept, validated before they are saved).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.policies.model import Hook, Policy, RetentionSpec, ScheduleSpec

group = typer.Typer(
    help="Backup policies: list, show, add, edit, remove, pause, resume, run, prune, verify.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The policy's name.")]



def register(app: typer.Typer) -> None:
    app.add_typer(group, name="policy")


# ---- reading ----


@group.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the policies: state, destination, what they include, schedule and retention."""
    from tui_backup.cli._output import print_json, print_table, say

    with state(ctx).service(check_paths=False) as svc:
        policies = svc.policies()
    if as_json:
        print_json([policy_json(p) for p in policies])
        return
    if not policies:
        say("no policies yet: add one with `tui-backup policy add`")
        return
    print_table(
        ("NAME", "STATE", "DESTINATION", "INCLUDE", "SCHEDULE", "RETENTION"),
        ((p.name, p.state, p.destination, p.include, schedule_text(p.schedule), retention_text(p.retention))
         for p in policies),
    )  # fmt: skip


@group.command("show")
def show(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Everything about one policy."""
    from tui_backup.cli._output import print_fields, print_json

    with state(ctx).service(check_paths=False) as svc:
        p = svc.policy(name)
    if as_json:
        print_json(policy_json(p))
        return
    fields = [
        ("name", p.name),
        ("state", p.state),
        ("destination", p.destination),
        ("include", p.include),
        ("schedule", schedule_text(p.schedule)),
        ("retention", retention_text(p.retention)),
        ("timeout", p.timeout.text() if p.timeout else "none"),
        ("verify every", p.verify_every.text() if p.verify_every else "never"),
        ("drill every", p.drill_every.text() if p.drill_every else "never"),
        ("stale after", p.stale_after.text() if p.stale_after else "derived from the schedule"),
    ]
    for phase in ("before", "after", "on_failure"):
        for hook in getattr(p.hooks, phase):
            fields.append((f"hook {phase}", _hook_text(hook)))
    if p.notify.urls:
        fields.append(("notify", f"{len(p.notify.urls)} URL(s) on {', '.join(p.notify.on)}"))
    if p.notify.ping_url:
        fields.append(("ping", "set"))
    fields.append(("declared in", f"{p.file}:{p.line}" if p.line else p.file))
    print_fields(fields)


# ---- changing ----


@group.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="The policy's name.")] = None,
    destination: Annotated[
        str | None, typer.Option("--destination", "-d", metavar="DEST", help="A \\[\\[destination]] name.")
    ] = None,
    include: Annotated[
        str | None, typer.Option("--include", metavar="TYPE", help="full | database | files | config.")
    ] = None,
    frequency: Annotated[
        str | None, typer.Option("--frequency", metavar="F", help="hourly | daily | weekly | monthly | yearly.")
    ] = None,
    time_: Annotated[str | None, typer.Option("--time", metavar="HH:MM", help="Time of day (default 02:00).")] = None,
    weekday: Annotated[str | None, typer.Option("--weekday", metavar="DAY", help="Weekly: monday ... sunday.")] = None,
    day: Annotated[int | None, typer.Option("--day", metavar="N", help="Monthly/yearly: day of the month.")] = None,
    cron: Annotated[str | None, typer.Option("--cron", metavar="EXPR", help='A cron expression: "0 3 * * 1-5".')] = None,
    every: Annotated[str | None, typer.Option("--every", metavar="INTERVAL", help='A fixed interval: "6h".')] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", metavar="ZONE", help="IANA zone of the schedule.")] = None,
    keep_last: Annotated[int | None, typer.Option("--keep-last", metavar="N", help="Keep the newest N.")] = None,
    keep_hourly: Annotated[int | None, typer.Option("--keep-hourly", metavar="N", help="Keep N hourly.")] = None,
    keep_daily: Annotated[int | None, typer.Option("--keep-daily", metavar="N", help="Keep N daily.")] = None,
    keep_weekly: Annotated[int | None, typer.Option("--keep-weekly", metavar="N", help="Keep N weekly.")] = None,
    keep_monthly: Annotated[int | None, typer.Option("--keep-monthly", metavar="N", help="Keep N monthly.")] = None,
    keep_yearly: Annotated[int | None, typer.Option("--keep-yearly", metavar="N", help="Keep N yearly.")] = None,
    keep_within: Annotated[
        str | None, typer.Option("--keep-within", metavar="SPAN", help='Keep all within SPAN of the newest: "14d".')
    ] = None,
    keep_within_weekly: Annotated[
        str | None, typer.Option("--keep-within-weekly", metavar="SPAN", help='One per week within SPAN: "74d".')
    ] = None,
    max_age: Annotated[str | None, typer.Option("--max-age", metavar="SPAN", help='Remove older than SPAN: "90d".')] = None,
    max_count: Annotated[int | None, typer.Option("--max-count", metavar="N", help="Keep at most N.")] = None,
    timeout: Annotated[str | None, typer.Option("--timeout", metavar="INTERVAL", help='Cancel runs longer: "2h".')] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Add it paused (the scheduler leaves it alone).")] = False,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Ask for each field (the default on a terminal).")
    ] = False,
) -> None:
    """Add a policy: asks for each field on a terminal; takes flags for scripts."""
    from tui_backup.cli._output import escape, say

    given: dict[str, Any] = {
        "name": name, "destination": destination, "include": include, "frequency": frequency, "time": time_,
        "weekday": weekday, "day": day, "cron": cron, "every": every, "timezone": timezone, "timeout": timeout,
    }  # fmt: skip
    retention: dict[str, Any] = {
        "keep_last": keep_last, "keep_hourly": keep_hourly, "keep_daily": keep_daily, "keep_weekly": keep_weekly,
        "keep_monthly": keep_monthly, "keep_yearly": keep_yearly, "keep_within": keep_within,
        "keep_within_weekly": keep_within_weekly, "max_age": max_age, "max_count": max_count,
    }  # fmt: skip
    ask = interactive or sys.stdin.isatty()
    with state(ctx).service(check_paths=False) as svc:
        if ask:
            _prompt_fields(given, retention, [d.name for d in svc.config.destinations])
        missing = [f"--{k}" for k in ("name", "destination") if not given.get(k)]
        if missing:
            from tui_backup.errors import UsageError

            raise UsageError(
                f"policy add needs {' and '.join(missing)}",
                "give them as flags (e.g. --name nightly --destination usb --frequency daily), "
                "or run it on a terminal to be asked",
            )
        table = build_table(given, retention, paused=paused)
        change = svc.add_policy(table)
        file = svc.config.file
    say(f"added policy [bold]{escape(change.policy)}[/] to {escape(str(file))}")
    _print_block(change.after)


@group.command("edit")
def edit(
    ctx: typer.Context,
    name: NameArgument,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE",
                     help="Set a key; dotted for tables (retention.keep_daily=30). Values are TOML, else strings."),
    ] = None,
    unsets: Annotated[
        list[str] | None, typer.Option("--unset", metavar="KEY", help="Remove a key (back to its default).")
    ] = None,
) -> None:
    """Change keys of a policy (validated before it is saved; comments kept)."""
    from tui_backup.cli._output import escape, say
    from tui_backup.errors import UsageError

    changes: dict[str, object] = {}
    for item in sets or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r} is not KEY=VALUE", "e.g. --set retention.keep_daily=30")
        changes[key.strip()] = parse_value(raw.strip())
    for key in unsets or []:
        changes[key.strip()] = None
    if not changes:
        raise UsageError("nothing to change", "give --set KEY=VALUE or --unset KEY")
    with state(ctx).service(check_paths=False) as svc:
        change = svc.edit_policy(name, changes)
    if not change.changed:
        say(f"policy [bold]{escape(name)}[/]: nothing changed")
        return
    say(f"changed policy [bold]{escape(change.policy)}[/]")
    _print_block(change.after)


@group.command("remove")
def remove(
    ctx: typer.Context,
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking.")] = False,
) -> None:
    """Remove a policy from the config (its restore points stay where they are)."""
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._output import escape, say

    with state(ctx).service(check_paths=False) as svc:
        policy = svc.policy(name)
        confirm(f"Remove policy {name!r} (to {policy.destination}) from the config?", yes=yes,
                what=f"removing policy {name!r}")
        change = svc.remove_policy(name)
    say(f"removed policy [bold]{escape(name)}[/]; its restore points at {escape(policy.destination)} stay")
    if change.saved_to is not None:
        say(f"the removed block is kept in {escape(str(change.saved_to))}")


@group.command("pause")
def pause(ctx: typer.Context, name: NameArgument) -> None:
    """Pause a policy: the scheduler leaves it alone (it can still be run by hand)."""
    _set_state(ctx, name, "paused")


@group.command("resume")
def resume(ctx: typer.Context, name: NameArgument) -> None:
    """Resume a paused policy."""
    _set_state(ctx, name, "active")


def _set_state(ctx: typer.Context, name: str, new: str) -> None:
    from tui_backup.cli._output import escape, say

    with state(ctx).service(check_paths=False) as svc:
        change = svc.set_policy_state(name, new)
    word = "paused" if new == "paused" else "resumed"
    if change.changed:
        say(f"{word} policy [bold]{escape(name)}[/]")
    else:
        say(f"policy [bold]{escape(name)}[/] was already {escape(new)}")


# ---- running ----


@group.command("run")
def run(
    ctx: typer.Context,
    name: NameArgument,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines of the job's events on stdout.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait if another job is using the destination.")] = False,
) -> None:
    """Run a policy now: hooks, backup, retention (Ctrl-C cancels cleanly)."""
    from tui_backup.cli._jobview import job_view

    with state(ctx).service(check_paths=False) as svc:
        svc.policy(name)  # an unknown name is a usage error before anything starts
        with job_view(f"policy {name}", as_json=as_json) as on_event:
            outcome = svc.run_policy(name, on_event, wait=wait)
    _finish_outcome(outcome, as_json=as_json)


@group.command("verify")
def verify(
    ctx: typer.Context,
    name: NameArgument,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines of the job's events on stdout.")] = False,
) -> None:
    """Check the integrity of the policy's destination now (recorded as a verify run)."""
    from tui_backup.cli._jobview import job_view

    with state(ctx).service(check_paths=False) as svc:
        svc.policy(name)
        with job_view(f"verify {name}", as_json=as_json) as on_event:
            outcome = svc.verify_policy(name, on_event)
    _finish_outcome(outcome, as_json=as_json)


@group.command("prune")
def prune(
    ctx: typer.Context,
    name: NameArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be removed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply the policy's retention: every restore point with keep/remove and the rules that keep it."""
    from tui_backup.cli._jobview import finish, job_view
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        if dry_run:
            plan = svc.plan_prune(name)
        else:
            svc.policy(name)
            with job_view(f"prune {name}", as_json=False) as on_event:
                plan = svc.prune_policy(name, on_event)
    if as_json:
        print_json(plan.to_json())
    else:
        _print_plan(plan)
    if plan.finished is not None and not plan.finished.ok:
        finish(plan.finished, as_json=as_json)


# ---- presentation ----


def schedule_text(spec: ScheduleSpec) -> str:
    try:
        from tui_backup.policies.schedule import schedule_of
    except ImportError:  # until the schedules land
        return "manual" if spec.manual else (spec.cron or (spec.every.text() if spec.every else str(spec.frequency)))
    return schedule_of(spec).describe()


def retention_text(rules: RetentionSpec) -> str:
    try:
        from tui_backup.policies.retention import describe_retention
    except ImportError:  # until retention lands
        return "keep all" if rules.keeps_everything else "custom"
    return describe_retention(rules)


def _hook_text(hook: Hook) -> str:
    import shlex

    cmd = hook.argv[2] if hook.shell and len(hook.argv) == 3 else shlex.join(hook.argv)
    return f"{cmd}  (on error: {hook.on_error}, timeout {hook.timeout_s:g}s)"


def policy_json(p: Policy) -> dict[str, Any]:
    """A policy for scripts: its keys, the schedule and retention in words too."""
    from tui_backup.policies.model import WEEKDAYS

    s, r = p.schedule, p.retention

    def text(v: Any) -> Any:
        return v.text() if v is not None else None

    return {
        "name": p.name,
        "state": p.state,
        "destination": p.destination,
        "include": p.include,
        "schedule": {
            "text": schedule_text(s),
            "frequency": s.frequency,
            "time": s.time if s.frequency not in (None, "hourly") else None,
            "weekday": WEEKDAYS[s.weekday] if s.frequency == "weekly" else None,
            "day": s.day if s.frequency in ("monthly", "yearly") else None,
            "month": s.month if s.frequency == "yearly" else None,
            "minute": s.minute if s.frequency == "hourly" else None,
            "cron": s.cron,
            "every": text(s.every),
            "timezone": s.timezone,
        },
        "retention": {
            "text": retention_text(r),
            **{k: (v.text() if hasattr(v, "text") else v) for k, v in vars(r).items() if v is not None},
        },
        "hooks": {
            phase: [{"argv": list(h.argv), "shell": h.shell, "on_error": h.on_error, "timeout_s": h.timeout_s}
                    for h in getattr(p.hooks, phase)]
            for phase in ("before", "after", "on_failure")
        },
        "timeout": text(p.timeout),
        "verify_every": text(p.verify_every),
        "verify_read_data_subset": p.verify_read_data_subset,
        "drill_every": text(p.drill_every),
        "stale_after": text(p.stale_after),
        "notify": {"urls": len(p.notify.urls), "on": list(p.notify.on), "ping_url": p.notify.ping_url is not None},
        "file": p.file,
        "line": p.line,
    }


def _print_plan(plan: Any) -> None:
    from tui_backup.cli._output import print_table, say
    from tui_backup.tui.formatting import local_time

    if not plan.decisions:
        say(f"policy {plan.policy}: no restore points at {plan.destination} yet")
        return
    gone = "would remove" if plan.dry_run else "removed"
    print_table(
        ("ID", "CREATED", "DECISION", "WHY"),
        ((d.id, local_time(d.time.isoformat()), "keep" if d.keep else gone, ", ".join(d.reasons))
         for d in plan.decisions),
    )  # fmt: skip
    removing = sum(1 for d in plan.decisions if not d.keep)
    kept = len(plan.decisions) - removing
    if removing == 0:
        say(f"nothing to prune: all {kept} restore point(s) are kept")
    elif plan.dry_run:
        say(f"{kept} kept, {removing} would be removed (dry run: nothing was changed)")
    else:
        say(f"{kept} kept, {len(plan.removed)} removed")
        if plan.trash_items:  # layer 1: they wait in the destination's trash
            say(f"the removed points are in the trash ({', '.join(plan.trash_items)}): "
                "`tui-backup trash restore ID` brings one back")


def _finish_outcome(outcome: Any, *, as_json: bool) -> None:
    """The job's end as `backup run` shows it, then what the policy run added (hooks,
    skipped, pruned) and the exit code of the run as a whole."""
    import json

    from tui_backup.cli._jobview import finish
    from tui_backup.cli._output import escape, print_error, say
    from tui_backup.jobs.errors import exit_code_for

    run = outcome.run
    if as_json:
        sys.stdout.write(json.dumps({"event": "policy-run", **outcome.to_json()}, default=str) + "\n")
        sys.stdout.flush()
    if outcome.busy:  # not a failure of the policy, but it did not run: say so, exit as busy (75)
        if not as_json:
            hint = outcome.finished.hint if outcome.finished is not None else ""
            print_error(f"policy {run.policy} did not run (skipped): {outcome.skipped_reason}", hint or "")
        raise typer.Exit(exit_code_for(run.status, run.error_kind))
    if outcome.skipped_reason is not None:
        if not as_json:
            say(f"skipped: {escape(outcome.skipped_reason)}")
        return
    if outcome.finished is not None and (not outcome.finished.ok or run.ok):
        try:
            finish(outcome.finished, as_json=as_json)
        finally:
            if outcome.pruned is not None and outcome.pruned.removed and not as_json:
                say(f"retention removed {len(outcome.pruned.removed)} old restore point(s)")
        return
    code = exit_code_for(run.status, run.error_kind)
    if code and not as_json:
        print_error(run.error or f"policy run {run.status}", "see `tui-backup status` and the run's log")
    if code:
        raise typer.Exit(code)


def _print_block(block: str | None) -> None:
    from tui_backup.cli._output import escape, stdout_console

    if block:
        stdout_console().print(f"[dim]{escape(block.rstrip())}[/]")


# ---- `policy add` helpers ----


def parse_value(raw: str) -> object:
    """A `--set` value: a TOML literal (30, true, ["a", "b"], "text") or else the text itself."""
    import tomlkit
    import tomlkit.exceptions

    try:
        value = tomlkit.parse(f"v = {raw}")["v"]
    except Exception:  # not a TOML literal: a bare word such as weekly or 02:00
        return raw
    unwrapped = value.unwrap() if hasattr(value, "unwrap") else value
    if isinstance(unwrapped, (bool, int, float, str, list, dict)):
        return unwrapped
    return raw  # dates and times stay the text the user typed


def build_table(given: dict[str, Any], retention: dict[str, Any], *, paused: bool) -> dict[str, object]:
    """The new [[policy]] table: only what was given (defaults stay implicit)."""
    table: dict[str, object] = {k: v for k, v in given.items() if v not in (None, "")}
    if paused:
        table["state"] = "paused"
    keep = {k: v for k, v in retention.items() if v not in (None, "")}
    if keep:
        table["retention"] = keep
    return table


def _prompt_fields(given: dict[str, Any], retention: dict[str, Any], destinations: list[str]) -> None:
    """Ask on the terminal for every field not given as a flag (Enter keeps the default)."""

    def ask(label: str, default: str = "") -> str:
        return str(typer.prompt(label, default=default, show_default=bool(default), err=True)).strip()

    def ask_int(label: str) -> int | None:
        while True:
            text = ask(f"{label} (blank: none)")
            if not text:
                return None
            if text.isdigit() and int(text) > 0:
                return int(text)
            typer.echo("  a positive whole number, please", err=True)

    if not given["name"]:
        given["name"] = ask("Policy name", "nightly")
    if not given["destination"]:
        hint = f" ({', '.join(destinations)})" if destinations else ""
        given["destination"] = ask(f"Destination{hint}", destinations[0] if destinations else "")
    if not given["include"]:
        given["include"] = ask("Include (full, database, files, config)", "full")
    if not (given["frequency"] or given["cron"] or given["every"]):
        kind = ask("Schedule (hourly, daily, weekly, monthly, yearly, cron, every, manual)", "daily")
        if kind == "cron":
            given["cron"] = ask("Cron expression", "0 2 * * *")
        elif kind == "every":
            given["every"] = ask("Every (e.g. 6h)", "6h")
        elif kind != "manual":
            given["frequency"] = kind
    freq = given["frequency"]
    if freq in ("daily", "weekly", "monthly", "yearly") and not given["time"]:
        given["time"] = ask("Time of day (HH:MM)", "02:00")
    if freq == "weekly" and not given["weekday"]:
        given["weekday"] = ask("Weekday", "sunday")
    if freq in ("monthly", "yearly") and given["day"] is None:
        given["day"] = int(ask("Day of the month", "1"))
    if all(v is None for v in retention.values()):
        typer.echo("Retention (Enter for none; a restore point is kept when any rule keeps it):", err=True)
        for key in ("keep_last", "keep_daily", "keep_weekly", "keep_monthly", "max_count"):
            retention[key] = ask_int(key.replace("_", " "))
        for key, example in (("keep_within", "14d"), ("max_age", "90d")):
            text = ask(f"{key.replace('_', ' ')} (e.g. {example}; blank: none)")
            retention[key] = text or None
