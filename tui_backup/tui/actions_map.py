"""Every command of the CLI and where it is in the app: the binding ids that do it, or why
it is not there. tests/tui_completeness walks the Typer app and checks this table against
it (a new command must be added here) and against the app's bindings (every id exists);
README's "Everything the CLI does, in the app" table is this one.

Binding ids are those of tui/app.py and the panes (tui/widgets/): "app.pane.<pane>" opens a
pane, whose table lists the rows and whose details show the selected one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InApp:
    """Done in the app by any of these bindings (ids), where `where` says."""

    bindings: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class NotInApp:
    """A command that makes no sense inside the app, and why."""

    reason: str


Reach = InApp | NotInApp

# "group command" (or "command") -> where it is. Keep in the CLI's order (cli/__init__.COMMANDS).
CLI_ACTIONS: dict[str, Reach] = {
    "init": NotInApp("creates a profile: with no profile the app opens on its first-run screen, which does the "
                     "same; a further profile is created with `tui-backup init`, then picked with P"),
    "status": InApp(("app.pane.dashboard", "app.refresh"), "the header and the Dashboard pane (1); F5 refreshes"),
    "stats": InApp(("dashboard.stats",), "Dashboard (1): s opens the Stats screen"),
    "snapshot create": InApp(("snapshot.create",), "Snapshots (2): c"),
    "snapshot list": InApp(("app.pane.snapshots",), "Snapshots (2): the table"),
    "snapshot show": InApp(("app.pane.snapshots",), "Snapshots (2): the selected snapshot's details"),
    "snapshot verify": InApp(("snapshot.verify", "snapshot.verify_all"), "Snapshots (2): v (selected), V (all)"),
    "snapshot delete": InApp(("snapshot.delete",), "Snapshots (2): d"),
    "snapshot prune": InApp(("snapshot.prune",), "Snapshots (2): p shows the dry run, y prunes"),
    "snapshot diff": InApp(("snapshot.diff",), "Snapshots (2): D, from the snapshot before the selected one"),
    "snapshot restore": InApp(("snapshot.restore", "app.restore_wizard"), "Snapshots (2): r, or the wizard (R)"),
    "backup run": InApp(("backup.run", "policy.run"), "Policies (3): b runs a policy; Destinations (d): b"),
    "backup list": InApp(("policy.switch_view", "policy.restore"),
                         "Policies (3): d shows the destinations and their restore points; r a policy's"),
    "backup restore": InApp(("backup.restore", "policy.restore", "app.restore_wizard"),
                            "the restore wizard (R); Destinations (d): r"),
    "backup remove": InApp(("backup.remove",), "Policies (3) → Destinations (d): x on a restore point (to the trash)"),
    "destination list": InApp(("policy.switch_view",), "Policies (3): d"),
    "destination init": InApp(("destination.init",), "Policies (3) → Destinations (d): i"),
    "destination check": InApp(("destination.check",), "Policies (3) → Destinations (d): k"),
    "policy list": InApp(("app.pane.policies",), "Policies (3): the table"),
    "policy show": InApp(("app.pane.policies",), "Policies (3): the selected policy's details"),
    "policy add": InApp(("policy.add",), "Policies (3): a"),
    "policy edit": InApp(("policy.edit",), "Policies (3): e"),
    "policy remove": InApp(("policy.remove",), "Policies (3): x"),
    "policy pause": InApp(("policy.pause",), "Policies (3): p (pauses or resumes)"),
    "policy resume": InApp(("policy.pause",), "Policies (3): p (pauses or resumes)"),
    "policy run": InApp(("policy.run",), "Policies (3): b"),
    "policy verify": InApp(("policy.verify",), "Policies (3): k"),
    "policy prune": InApp(("policy.prune",), "Policies (3): u"),
    "run-due": NotInApp("what the schedule runs unattended (install it from the Dashboard's Schedule screen, S); "
                        "in the app, b runs a policy now"),
    "drill": InApp(("policy.drill",), "Policies (3): t"),
    "export": InApp(("dashboard.export", "snapshot.export"),
                    "Dashboard (1): e (the live database); Snapshots (2): e (the selected snapshot)"),
    "schedule install": InApp(("dashboard.schedule",), "Dashboard (1): S opens the Schedule screen, i installs"),
    "schedule show": InApp(("dashboard.schedule",), "Dashboard (1): S"),
    "schedule uninstall": InApp(("dashboard.schedule",), "Dashboard (1): S opens the Schedule screen, u removes"),
    "daemon": NotInApp("the long-running scheduler for a service manager; the app shows what it runs (Jobs, 4)"),
    "volumes": InApp(("dashboard.volumes",), "Dashboard (1): v opens the Volumes screen"),
    "volumes adopt": InApp(("dashboard.volumes",), "Dashboard (1): v, then a on the selected volume"),
    "config path": InApp(("dashboard.config",), "Dashboard (1): C opens the Config screen, which names the file"),
    "config show": InApp(("dashboard.config",), "Dashboard (1): C, every key (`default` where unset)"),
    "config get": InApp(("dashboard.config",), "Dashboard (1): C, the selected key"),
    "config set": InApp(("dashboard.config", "policy.edit"),
                        "Dashboard (1): C, e on a key; policies: Policies (3) e (a form and a TOML diff)"),
    "config validate": InApp(("dashboard.config",), "Dashboard (1): C, v"),
    "profiles": InApp(("app.switch_profile",), "P: the profile picker, with each profile's health"),
    "profiles list": InApp(("app.switch_profile",), "P: the profile picker"),
    "jobs list": InApp(("app.pane.jobs",), "Jobs (4): the table"),
    "jobs show": InApp(("app.pane.jobs",), "Jobs (4): the selected job's details and log"),
    "jobs log": InApp(("jobs.log",), "Jobs (4): l, the full log (it follows a running job)"),
    "jobs cancel": InApp(("jobs.cancel",), "Jobs (4): c"),
    "journal list": InApp(("app.pane.journal", "journal.filter"), "Journal (6): the table; f filters"),
    "journal show": InApp(("app.pane.journal",), "Journal (6): the selected entry's details"),
    "journal export": InApp(("journal.export",), "Journal (6): e"),
    "journal verify": InApp(("journal.verify",), "Journal (6): v"),
    "trash put": InApp(("trash.put",), "Trash (5): p"),
    "trash list": InApp(("app.pane.trash", "trash.filter"), "Trash (5): the table; / filters"),
    "trash show": InApp(("app.pane.trash",), "Trash (5): the selected item's details"),
    "trash restore": InApp(("trash.restore", "trash.restore_to"), "Trash (5): r (in place), t (elsewhere)"),
    "trash purge": InApp(("trash.purge", "trash.purge_expired"), "Trash (5): x (selected), e (expired)"),
    "history": InApp(("journal.history",), "Journal (6): h, a file's history and versions"),
    "tui": NotInApp("opens this app"),
    "demo": NotInApp("opens this app on a demo profile"),
}


def binding_ids() -> set[str]:
    """Every binding id the table names."""
    return {b for reach in CLI_ACTIONS.values() if isinstance(reach, InApp) for b in reach.bindings}


def markdown_table() -> str:
    """The README's table: command | in the app."""
    rows = ["| command | in the app |", "|---|---|"]
    for command, reach in CLI_ACTIONS.items():
        where = reach.where if isinstance(reach, InApp) else f"— ({reach.reason})"
        rows.append(f"| `{command}` | {where} |")
    return "\n".join(rows)
