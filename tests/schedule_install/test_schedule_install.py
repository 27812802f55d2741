"""Installing the schedule: systemd units checked by the real `systemd-analyze verify`, and
crontab editing on real crontab files (a plain file, and the real `crontab` binary)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tui_backup.errors import UsageError
from tui_backup.policies.durations import Interval
from tui_backup.service import ProfileService
from tui_backup.service import schedule_install as si

OTHER_CRONTAB = (
    "# m h  dom mon dow   command\n"
    "MAILTO=ops@example.org\n"
    "\n"
    "*/10 * * * * /usr/local/bin/sync-things --quiet   # keep this comment\n"
    "# BEGIN tui-backup other\n"
    "*/5 * * * * /usr/bin/tui-backup --config /etc/other.toml run-due\n"
    "# END tui-backup other\n"
    "@reboot /bin/echo 'hi %s'\n"
)


@pytest.fixture
def not_booted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Detection sees no running systemd (as in this container), wherever the tests run."""
    monkeypatch.setattr(si, "SYSTEMD_RUNNING_DIR", tmp_path / "no-systemd")


def verify(*units: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", "--", *map(str, units)], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    assert not any(u.name in result.stderr for u in units), result.stderr


def test_systemd_user_units_verify_and_are_idempotent(svc: ProfileService, not_booted: None, isolated_home: Path) -> None:
    report = si.install_schedule(svc, "systemd", user=True)
    directory = isolated_home / ".config" / "systemd" / "user"
    service, timer = directory / "tui-backup-app.service", directory / "tui-backup-app.timer"
    assert report.changed and report.installed[0].files == [str(service), str(timer)]
    verify(service, timer)
    text = service.read_text()
    command = si.run_due_command(svc)
    assert os.path.isabs(command[0]) and command[-3:] == ["--config", str(svc.config.file), "run-due"]
    assert "Type=oneshot" in text and "Nice=19" in text and "IOSchedulingClass=idle" in text
    assert "ExecStart=" + " ".join(si.systemd_quote(a, command=i == 0) for i, a in enumerate(command)) in text
    assert "Persistent=true" in timer.read_text() and "OnCalendar=*-*-* *:00/5:00" in timer.read_text()
    assert stat.S_IMODE(service.stat().st_mode) == 0o600
    # systemd is not PID 1 here: the files are written, the commands handed over.
    assert report.commands_run == []
    assert report.commands_to_run == [
        "systemctl --user daemon-reload", "systemctl --user enable --now tui-backup-app.timer",
    ]  # fmt: skip
    assert "systemd is not running" in report.notes[0]

    before = {p: p.read_bytes() for p in (service, timer)}
    again = si.install_schedule(svc, "systemd", user=True)
    assert not again.changed and {p: p.read_bytes() for p in (service, timer)} == before
    assert sorted(os.listdir(directory)) == ["tui-backup-app.service", "tui-backup-app.timer"]

    shown = si.show_schedule(svc)
    assert [(i.method, i.scope) for i in shown.installed] == [("systemd", "user")]
    removed = si.uninstall_schedule(svc)
    assert [i.method for i in removed.removed] == ["systemd"] and os.listdir(directory) == []


def test_system_units_other_intervals_and_odd_paths(svc: ProfileService, not_booted: None, tmp_path: Path) -> None:
    """System scope (network wanted), an hourly timer, a monotonic one, and an executable
    whose path holds a blank, a `%` and a `$` (escaped for systemd): all verify."""
    odd = tmp_path / "my tools %x $HOME"
    odd.mkdir()
    exe = odd / "tui-backup"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    units = tmp_path / "system"
    for every, expected in ((Interval(7200), "OnCalendar=*-*-* 00/2:00:00"), (Interval(420), "OnUnitActiveSec=420s")):
        si.install_schedule(svc, "systemd", every=every, command=[str(exe)], directory=units)
        service, timer = units / "tui-backup-app.service", units / "tui-backup-app.timer"
        verify(service, timer)
        assert expected in timer.read_text()
        assert "After=network-online.target" in service.read_text()
    assert '"' + str(exe).replace("%", "%%") + '"' in service.read_text()  # a command's $ is literal
    # The same directory holding someone else's unit of that name: refused, left alone.
    si.uninstall_schedule(svc, "systemd", user=False, system_dir=units)
    assert os.listdir(units) == []
    (units / "tui-backup-app.timer").write_text("[Timer]\nOnCalendar=daily\n")
    with pytest.raises(UsageError, match="not written by tui-backup"):
        si.install_schedule(svc, "systemd", directory=units)
    assert si.uninstall_schedule(svc, "systemd", user=False, system_dir=units).removed == []
    assert (units / "tui-backup-app.timer").read_text() == "[Timer]\nOnCalendar=daily\n"


def test_crontab_file_install_twice_uninstall(svc: ProfileService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "crontab"
    table.write_text(OTHER_CRONTAB)
    table.chmod(0o640)
    monkeypatch.setenv(si.CRONTAB_FILE_ENV, str(table))
    first = si.install_schedule(svc, "cron")
    assert first.changed
    text = table.read_text()
    assert text.startswith(OTHER_CRONTAB) and text.count("# BEGIN tui-backup app\n") == 1
    block = text[len(OTHER_CRONTAB) :]
    lines = block.splitlines()
    assert lines[0] == "# BEGIN tui-backup app" and lines[-1] == "# END tui-backup app"
    assert lines[2].startswith("*/5 * * * * ") and lines[2].endswith(" run-due >/dev/null")
    assert shlex.split(lines[2])[5:-1] == si.run_due_command(svc)

    second = si.install_schedule(svc, "cron")
    assert not second.changed and table.read_text() == text
    si.install_schedule(svc, "cron", every=Interval(900))  # updated in place, still one block
    updated = table.read_text()
    assert updated.count("# BEGIN tui-backup app") == 1 and "\n*/15 * * * * " in updated
    assert stat.S_IMODE(table.stat().st_mode) == 0o640

    assert [i.method for i in si.show_schedule(svc).installed] == ["cron"]
    removed = si.uninstall_schedule(svc, "cron")
    assert removed.removed and table.read_text() == OTHER_CRONTAB
    assert si.uninstall_schedule(svc, "cron").removed == [] and table.read_text() == OTHER_CRONTAB


def test_crontab_block_in_the_middle_is_replaced_in_place(svc: ProfileService, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    table = tmp_path / "crontab"
    head, tail = "SHELL=/bin/sh\n", "0 3 * * * /bin/true\n# trailing comment without newline"
    table.write_text(head + "# BEGIN tui-backup app\nold line\n# END tui-backup app\n" + tail)
    monkeypatch.setenv(si.CRONTAB_FILE_ENV, str(table))
    si.install_schedule(svc, "cron")
    text = table.read_text()
    assert text.startswith(head + "# BEGIN tui-backup app\n") and text.endswith("# END tui-backup app\n" + tail)
    assert "old line" not in text
    si.uninstall_schedule(svc, "cron")
    assert table.read_text() == head + tail


def test_unterminated_block_is_refused(svc: ProfileService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "crontab"
    broken = "# BEGIN tui-backup app\n*/5 * * * * x\n"
    table.write_text(broken)
    monkeypatch.setenv(si.CRONTAB_FILE_ENV, str(table))
    with pytest.raises(si.ScheduleInstallError, match="without"):
        si.install_schedule(svc, "cron")
    assert table.read_text() == broken


def test_cron_quoting() -> None:
    args = ["/opt/my tools/tui-backup", "--config", "/srv/50%/app's.toml", "run-due"]
    line = " ".join(si.cron_quote(a) for a in args)
    assert "%" not in line.replace("\\%", "")  # cron would turn a bare % into a newline
    assert shlex.split(line.replace("\\%", "%")) == args  # what sh runs once cron unescaped it
    assert si.cron_schedule(Interval(60)) == "* * * * *" and si.cron_schedule(Interval(21600)) == "0 */6 * * *"
    with pytest.raises(UsageError, match="every 7m"):
        si.cron_schedule(Interval(420))


@pytest.fixture
def real_crontab() -> Iterator[None]:
    """The real `crontab` of this user, saved and put back afterwards."""
    assert shutil.which("crontab"), "cron is in scripts/test.sh's package list"
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    subprocess.run(["crontab", "-"], input=OTHER_CRONTAB, text=True, check=True)
    try:
        yield
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


def _crontab() -> str:
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout


def test_real_crontab_through_the_cli(profile_config: Path, real_crontab: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(si.CRONTAB_FILE_ENV, raising=False)
    assert _crontab() == OTHER_CRONTAB
    for _ in range(2):
        r = cli("--config", str(profile_config), "schedule", "install", "--cron", "--every", "10m")
        assert r.exit_code == 0, r.stderr
    assert "already installed" in r.stdout
    text = _crontab()
    assert text.startswith(OTHER_CRONTAB) and text.count("# BEGIN tui-backup app\n") == 1 and "*/10 * * * *" in text
    shown = cli("--config", str(profile_config), "schedule", "show", "--json")
    assert [i["method"] for i in json.loads(shown.stdout)["installed"]] == ["cron"]
    r = cli("--config", str(profile_config), "schedule", "uninstall", "--cron")
    assert r.exit_code == 0 and "removed: cron" in r.stdout
    assert _crontab() == OTHER_CRONTAB


def test_cli_systemd_without_systemd(profile_config: Path, not_booted: None, isolated_home: Path) -> None:
    r = cli("--config", str(profile_config), "schedule", "install", "--systemd", "--user")
    assert r.exit_code == 0, r.stderr
    assert "systemd is not running" in r.stderr and "systemctl --user enable --now tui-backup-app.timer" in r.stdout
    assert (isolated_home / ".config" / "systemd" / "user" / "tui-backup-app.timer").is_file()
    shown = cli("--config", str(profile_config), "schedule", "show")
    assert "systemd (user)" in shown.stdout and "Persistent=true" in shown.stdout
    r = cli("--config", str(profile_config), "schedule", "uninstall")
    assert "removed: systemd (user)" in r.stdout
    assert "nothing to remove" in cli("--config", str(profile_config), "schedule", "uninstall").stdout
    bad = cli("--config", str(profile_config), "schedule", "install", "--cron", "--systemd")
    assert bad.exit_code != 0 and "choose one" in bad.stderr
    assert "shorter than a minute" in cli("--config", str(profile_config), "schedule", "install", "--every", "30s").stderr
