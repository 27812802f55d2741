"""Installing the schedule: what makes `tui-backup run-due` run every few minutes.

Two ways, both idempotent (installing twice gives the same result) and both removed exactly
(`uninstall` touches only what `install` wrote):

- systemd: `tui-backup-<profile>.service` (Type=oneshot, idle CPU and I/O priority, the
  absolute path of the executable, no secret) and `tui-backup-<profile>.timer`
  (`Persistent=true`: a run missed while the machine was off happens at boot), in
  ~/.config/systemd/user/ (`--user`) or /etc/systemd/system/. When systemd is running
  (it is PID 1) the units are enabled with `systemctl`; otherwise the files are written and
  the commands to run are returned, not run.
- cron: a block in the user's crontab (`crontab -l` / `crontab -`), between
  `# BEGIN tui-backup <profile>` and `# END tui-backup <profile>`; every other byte of the
  crontab is kept as it was. `TUI_BACKUP_CRONTAB_FILE` names a plain file to edit instead
  (tests, and systems without cron).

The command is `<executable> --config <profile file> run-due`: the config file's absolute
path, so neither cron's nor systemd's environment (no XDG_CONFIG_HOME) changes which
profile runs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui_backup.errors import TuiBackupError, UsageError
from tui_backup.fsutil import atomic_write_text, make_private_dir
from tui_backup.policies.durations import DurationError, Interval

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

Method = Literal["systemd", "cron"]
CRONTAB_FILE_ENV = "TUI_BACKUP_CRONTAB_FILE"
SYSTEMD_RUNNING_DIR = Path("/run/systemd/system")  # exists iff systemd is PID 1 (sd_booted)
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
UNIT_MARKER = "# Written by `tui-backup schedule install`; `tui-backup schedule uninstall` removes it."
DEFAULT_EVERY = Interval(300)
TOOL_TIMEOUT_S = 30.0


class ScheduleInstallError(TuiBackupError):
    """Writing or removing the schedule failed (crontab refused it, systemctl failed...)."""


@dataclass(frozen=True)
class Installed:
    """One way the schedule is installed (or would be)."""

    method: Method
    scope: str  # "user" | "system" (systemd); "user" (cron: the user's crontab)
    location: str  # the unit directory, "crontab of USER", or the crontab file
    files: list[str]  # unit files; for cron, the crontab file when it is one
    text: str  # what was written: the units (concatenated) or the crontab block
    every: str = ""


@dataclass(frozen=True)
class ScheduleReport:
    """What install / uninstall did, or what show found."""

    action: str  # install | uninstall | show
    profile: str
    installed: list[Installed] = field(default_factory=list)  # install/show: what is there now
    removed: list[Installed] = field(default_factory=list)  # uninstall
    changed: bool = False  # False: it was already so
    commands_run: list[str] = field(default_factory=list)
    commands_to_run: list[str] = field(default_factory=list)  # systemd not usable here: the user runs them
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---- what runs ----


def default_method() -> Method:
    return "systemd" if SYSTEMD_RUNNING_DIR.is_dir() else "cron"


def executable_command() -> list[str]:
    """The absolute command for `tui-backup`: this very executable when it is one, else the
    one on PATH, else `python -m tui_backup` with this interpreter."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name.startswith("tui-backup"):
        candidate = Path(os.path.abspath(argv0))
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    found = shutil.which("tui-backup")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "tui_backup"]


def run_due_command(svc: ProfileService, command: Sequence[str] | None = None) -> list[str]:
    return [*(command or executable_command()), "--config", str(Path(os.path.abspath(svc.config.file))), "run-due"]


def parse_every(text: str) -> Interval:
    try:
        every = Interval.parse(text)
    except DurationError as exc:
        raise UsageError(f"--every {text}: {exc}", 'give an interval like "5m", "15m" or "1h"') from None
    if every.seconds < 60:
        raise UsageError(f"--every {text} is shorter than a minute", "the schedule runs at most once a minute")
    return every


# ---- systemd ----


def unit_names(profile: str) -> tuple[str, str]:
    return f"tui-backup-{profile}.service", f"tui-backup-{profile}.timer"


def user_unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def unit_dir(user: bool) -> Path:
    return user_unit_dir() if user else SYSTEM_UNIT_DIR


def systemd_quote(arg: str, *, command: bool = False) -> str:
    """One argument of an Exec= line: systemd's specifiers (%) and, past the command itself
    (systemd expands no variable there, checked with systemd-analyze), variables ($)
    escaped; quoted when it holds blanks or quotes."""
    if "\n" in arg:
        raise UsageError(f"{arg!r} holds a newline", "rename the path")
    out = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    if not command:
        out = out.replace("$", "$$")
    return f'"{out}"' if not out or any(c in out for c in " \t'\"\\") else out


def _timer_lines(every: Interval) -> list[str]:
    """OnCalendar (with Persistent=true) when the interval divides the hour or the day,
    else a monotonic timer."""
    s = every.seconds
    if s % 60 == 0 and s < 3600 and 3600 % s == 0:
        return [f"OnCalendar=*-*-* *:00/{s // 60}:00", "Persistent=true"]
    if s % 3600 == 0 and s <= 86400 and 86400 % s == 0:
        return [f"OnCalendar=*-*-* 00/{s // 3600}:00:00", "Persistent=true"]
    # Persistent= only applies to OnCalendar; OnBootSec catches up after a reboot instead.
    return [f"OnBootSec={min(s, 300)}s", f"OnUnitActiveSec={s}s", "Persistent=true"]


def render_units(profile: str, command: Sequence[str], every: Interval, *, user: bool) -> tuple[str, str]:
    """(service, timer) unit texts. No secret goes in: run-due reads them as it always does."""
    service_name, timer_name = unit_names(profile)
    exec_start = " ".join(systemd_quote(a, command=i == 0) for i, a in enumerate(command))
    network = [] if user else ["Wants=network-online.target", "After=network-online.target"]
    service = "\n".join([
        UNIT_MARKER,
        "[Unit]",
        f"Description=tui-backup: run the due backup policies of profile {profile}",
        *network,
        "",
        "[Service]",
        "Type=oneshot",
        f"ExecStart={exec_start}",
        "Nice=19",
        "IOSchedulingClass=idle",
        "",
    ])  # fmt: skip
    timer = "\n".join([
        UNIT_MARKER,
        "[Unit]",
        f"Description=tui-backup: check profile {profile}'s backup policies every {every.text()}",
        "",
        "[Timer]",
        *_timer_lines(every),
        f"Unit={service_name}",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])  # fmt: skip
    return service, timer


def systemd_usable() -> tuple[bool, str]:
    """Whether `systemctl` can act here, and why not."""
    if shutil.which("systemctl") is None:
        return False, "systemctl is not installed here"
    if not SYSTEMD_RUNNING_DIR.is_dir():
        pid1 = ""
        try:
            pid1 = Path("/proc/1/comm").read_text(encoding="utf-8").strip()
        except OSError:
            pass
        return False, f"systemd is not running on this machine (PID 1 is {pid1 or 'not systemd'})"
    return True, ""


def _systemctl(user: bool, *args: str) -> list[str]:
    return ["systemctl", *(["--user"] if user else []), *args]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=TOOL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(argv, 127, "", str(exc))


def _ours(path: Path) -> bool:
    try:
        return path.is_file() and path.read_text(encoding="utf-8").startswith(UNIT_MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def _found_units(profile: str, directory: Path, scope: str) -> Installed | None:
    paths = [directory / n for n in unit_names(profile)]
    ours = [p for p in paths if _ours(p)]
    if not ours:
        return None
    text = "".join(f"## {p}\n{p.read_text(encoding='utf-8')}" for p in ours)
    return Installed("systemd", scope, str(directory), [str(p) for p in ours], text)


def install_systemd(
    svc: ProfileService, every: Interval, *, user: bool, command: Sequence[str] | None = None,
    directory: Path | None = None,
) -> ScheduleReport:  # fmt: skip
    profile = svc.config.name
    directory = directory or unit_dir(user)
    scope = "user" if user else "system"
    service_text, timer_text = render_units(profile, run_due_command(svc, command), every, user=user)
    service_name, timer_name = unit_names(profile)
    for name in (service_name, timer_name):  # both checked before either is written
        path = directory / name
        if os.path.lexists(path) and not _ours(path):
            raise UsageError(f"{path} exists and was not written by tui-backup", "move it away, then install again")
    changed = False
    for name, text in ((service_name, service_text), (timer_name, timer_text)):
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            make_private_dir(directory)
            atomic_write_text(path, text)
            changed = True
    installed = _found_units(profile, directory, scope)
    assert installed is not None
    installed = replace(installed, every=every.text())
    commands = [_systemctl(user, "daemon-reload"), _systemctl(user, "enable", "--now", timer_name)]
    report = ScheduleReport("install", profile, [installed], changed=changed)
    _apply(report, commands)
    return report


def _apply(report: ScheduleReport, commands: list[list[str]]) -> None:
    """Run the systemctl commands when systemd is usable, else hand them to the user."""
    usable, why = systemd_usable()
    if not usable:
        report.notes.append(f"{why}: the unit files are written; to activate them, run these on a machine booted with systemd")
        report.commands_to_run.extend(shlex.join(c) for c in commands)
        return
    for argv in commands:
        result = _run(argv)
        report.commands_run.append(shlex.join(argv))
        if result.returncode != 0:
            rest = [shlex.join(c) for c in commands[commands.index(argv) :]]
            raise ScheduleInstallError(
                f"`{shlex.join(argv)}` failed: {(result.stderr or result.stdout).strip()[:300]}",
                "fix that, then run: " + "; ".join(rest),
            )


def uninstall_systemd(svc: ProfileService, *, user: bool, directory: Path | None = None) -> ScheduleReport:
    profile = svc.config.name
    directory = directory or unit_dir(user)
    found = _found_units(profile, directory, "user" if user else "system")
    if found is None:
        return ScheduleReport("uninstall", profile)
    report = ScheduleReport("uninstall", profile, removed=[found], changed=True)
    timer_name = unit_names(profile)[1]
    usable, why = systemd_usable()
    if usable:
        # Stop it first; a timer systemd never loaded is not an error here.
        argv = _systemctl(user, "disable", "--now", timer_name)
        _run(argv)
        report.commands_run.append(shlex.join(argv))
    for f in found.files:
        Path(f).unlink(missing_ok=True)
    if usable:
        argv = _systemctl(user, "daemon-reload")
        _run(argv)
        report.commands_run.append(shlex.join(argv))
    else:
        report.notes.append(f"{why}: the unit files are removed")
    return report


# ---- cron ----


def begin_marker(profile: str) -> str:
    return f"# BEGIN tui-backup {profile}"


def end_marker(profile: str) -> str:
    return f"# END tui-backup {profile}"


def cron_schedule(every: Interval) -> str:
    s = every.seconds
    if s % 60 == 0 and s < 3600 and 3600 % s == 0:
        return "* * * * *" if s == 60 else f"*/{s // 60} * * * *"
    if s % 3600 == 0 and s <= 86400 and 86400 % s == 0:
        return "0 * * * *" if s == 3600 else f"0 */{s // 3600} * * *"
    raise UsageError(
        f"cron cannot run something every {every.text()}",
        "choose an interval that divides an hour (1m, 5m, 15m, 30m) or a day (1h, 2h, 6h, 12h)",
    )


def cron_quote(arg: str) -> str:
    """One argument of a crontab command line: quoted for sh, with cron's `%` escaped."""
    if "\n" in arg:
        raise UsageError(f"{arg!r} holds a newline", "rename the path")
    return shlex.quote(arg).replace("%", "\\%")


def render_cron_block(profile: str, command: Sequence[str], every: Interval) -> str:
    line = " ".join(cron_quote(a) for a in command)
    # stdout (a line per check) is dropped; errors on stderr still reach cron's mail.
    return (
        f"{begin_marker(profile)}\n"
        f"{UNIT_MARKER.replace('removes it', 'removes this block')}\n"
        f"{cron_schedule(every)} {line} >/dev/null\n"
        f"{end_marker(profile)}\n"
    )


def _block_span(lines: list[str], profile: str) -> tuple[int, int] | None:
    """(first, last) line index of our block, markers included; None when absent."""
    begin, end = begin_marker(profile), end_marker(profile)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == begin]
    if not starts:
        return None
    first = starts[0]
    for j in range(first + 1, len(lines)):
        if lines[j].rstrip("\r\n") == end:
            return first, j
    raise ScheduleInstallError(
        f"the crontab has `{begin}` without `{end}`", "fix the crontab by hand (`crontab -e`), then try again"
    )


def replace_block(text: str, profile: str, block: str | None) -> str:
    """The crontab with our block replaced by `block` (None: removed), or appended; every
    other byte unchanged (a last line without a newline gets one before our block)."""
    lines = text.splitlines(keepends=True)
    span = _block_span(lines, profile)
    if span is not None:
        first, last = span
        return "".join(lines[:first]) + (block or "") + "".join(lines[last + 1 :])
    if block is None:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + block


def extract_block(text: str, profile: str) -> str | None:
    lines = text.splitlines(keepends=True)
    span = _block_span(lines, profile)
    return None if span is None else "".join(lines[span[0] : span[1] + 1])


class Crontab:
    """The user's crontab, through `crontab -l` / `crontab -`, or a plain file."""

    def __init__(self) -> None:
        override = os.environ.get(CRONTAB_FILE_ENV)
        self.file = Path(override) if override else None

    @property
    def location(self) -> str:
        if self.file is not None:
            return str(self.file)
        import getpass

        return f"crontab of {getpass.getuser()}"

    def read(self) -> str:
        if self.file is not None:
            try:
                return self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                return ""
        if shutil.which("crontab") is None:
            raise ScheduleInstallError(
                "crontab is not installed here",
                f"install cron, use --systemd, or set {CRONTAB_FILE_ENV} to a file to write the block into",
            )
        result = _run(["crontab", "-l"])
        if result.returncode != 0:
            if "no crontab" in result.stderr.lower():
                return ""
            raise ScheduleInstallError(f"`crontab -l` failed: {result.stderr.strip()[:300]}", "")
        return result.stdout

    def write(self, text: str) -> None:
        if self.file is not None:
            mode = self.file.stat().st_mode & 0o7777 if self.file.exists() else None
            atomic_write_text(self.file, text)
            if mode is not None:
                os.chmod(self.file, mode)  # the user's file keeps its permissions
            return
        try:
            result = subprocess.run(
                ["crontab", "-"], input=text, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ScheduleInstallError(f"`crontab -` failed: {exc}", "") from None
        if result.returncode != 0:
            raise ScheduleInstallError(
                f"crontab refused the new table: {result.stderr.strip()[:300]}", "nothing was changed"
            )


def _cron_installed(crontab: Crontab, block: str) -> Installed:
    files = [str(crontab.file)] if crontab.file is not None else []
    return Installed("cron", "user", crontab.location, files, block)


def install_cron(svc: ProfileService, every: Interval, *, command: Sequence[str] | None = None) -> ScheduleReport:
    profile = svc.config.name
    crontab = Crontab()
    block = render_cron_block(profile, run_due_command(svc, command), every)
    before = crontab.read()
    after = replace_block(before, profile, block)
    if after != before:
        crontab.write(after)
    installed = replace(_cron_installed(crontab, block), every=every.text())
    return ScheduleReport("install", profile, [installed], changed=after != before)


def uninstall_cron(svc: ProfileService) -> ScheduleReport:
    profile = svc.config.name
    crontab = Crontab()
    before = crontab.read() if crontab.file is not None or shutil.which("crontab") else ""
    block = extract_block(before, profile)
    if block is None:
        return ScheduleReport("uninstall", profile)
    crontab.write(replace_block(before, profile, None))
    return ScheduleReport("uninstall", profile, removed=[_cron_installed(crontab, block)], changed=True)


# ---- the three actions ----


def install_schedule(
    svc: ProfileService, method: Method | None = None, *, user: bool = False, every: Interval = DEFAULT_EVERY,
    command: Sequence[str] | None = None, directory: Path | None = None,
) -> ScheduleReport:  # fmt: skip
    """Install (or update in place) what runs `run-due` every `every`."""
    if (method or default_method()) == "systemd":
        return install_systemd(svc, every, user=user, command=command, directory=directory)
    return install_cron(svc, every, command=command)


def show_schedule(
    svc: ProfileService, *, user_dir: Path | None = None, system_dir: Path | None = None
) -> ScheduleReport:
    """Every way the schedule of this profile is installed (systemd user/system, cron)."""
    profile = svc.config.name
    found: list[Installed] = []
    for directory, scope in ((user_dir or user_unit_dir(), "user"), (system_dir or SYSTEM_UNIT_DIR, "system")):
        units = _found_units(profile, directory, scope)
        if units is not None:
            found.append(units)
    notes: list[str] = []
    crontab = Crontab()
    try:
        block = extract_block(crontab.read(), profile) if crontab.file is not None or shutil.which("crontab") else None
    except ScheduleInstallError as exc:
        block = None
        notes.append(exc.message)
    if block is not None:
        found.append(_cron_installed(crontab, block))
    return ScheduleReport("show", profile, found, notes=notes)


def uninstall_schedule(
    svc: ProfileService, method: Method | None = None, *, user: bool | None = None,
    user_dir: Path | None = None, system_dir: Path | None = None,
) -> ScheduleReport:  # fmt: skip
    """Remove what `install_schedule` wrote for this profile: only our units and our crontab
    block. Without a method, every way it is installed; `user` narrows systemd's scope."""
    reports: list[ScheduleReport] = []
    if method in (None, "systemd"):
        for is_user, directory in ((True, user_dir), (False, system_dir)):
            if user is None or user == is_user:
                reports.append(uninstall_systemd(svc, user=is_user, directory=directory))
    if method in (None, "cron"):
        reports.append(uninstall_cron(svc))
    removed = [i for r in reports for i in r.removed]
    return ScheduleReport(
        "uninstall", svc.config.name, removed=removed, changed=bool(removed),
        commands_run=[c for r in reports for c in r.commands_run],
        notes=[n for r in reports if r.removed for n in r.notes],
    )  # fmt: skip
