"""Policy hooks run as real commands: error policies, environment, timeouts, secrets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers import add_destination, open_service
from tui_backup.policies.model import Hook, NotifySpec, Policy
from tui_backup.service.hooks import HookResult, HookSecrets, hook_env, run_hooks, secrets_of

POLICY = Policy(name="nightly", destination="offsite", include="database", file="/etc/tui-backup/app.toml")


def sh(text: str, on_error: str = "fail", timeout_s: float = 30.0) -> Hook:
    """A hook the user wrote as a string (the parser turns it into sh -c)."""
    # (positional: `shell` is the Hook's marker that the user wrote a string, not subprocess's shell)
    return Hook(("sh", "-c", text), on_error, timeout_s, True)  # type: ignore[arg-type]


class Log(list[str]):
    def __call__(self, line: str) -> None:
        self.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self)


def env_for(status: str = "running") -> dict[str, str]:
    return hook_env(POLICY, status=status, point_id=None, error=None, run_id=7)


def test_ok_hooks_run_in_order_and_their_output_is_logged(tmp_path: Path) -> None:
    log = Log()
    hooks = (Hook(argv=("echo", "first")), sh("echo second; echo to-stderr >&2"))
    assert run_hooks("before", hooks, env_for(), log) == HookResult("ok", "")
    text = log.text
    assert text.index("first") < text.index("second") < text.index("to-stderr")
    assert "hook before[1] (echo): first" in log


def test_fail_stops_at_the_failing_hook(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    log = Log()
    result = run_hooks("before", (sh("echo broken; exit 3"), Hook(argv=("touch", str(marker)))), env_for(), log)
    assert result.status == "failed"
    assert "exited with status 3" in result.message and "before[1]" in result.message
    assert not marker.exists()
    assert "broken" in log.text


def test_ignore_warns_and_goes_on(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    log = Log()
    hooks = (sh("exit 1", on_error="ignore"), Hook(argv=("touch", str(marker))))
    assert run_hooks("after", hooks, env_for(), log).status == "ok"
    assert marker.exists()
    assert any(line.startswith("warning: hook after[1]") and "ignore" in line for line in log)


def test_skip_says_skip_not_failed(tmp_path: Path) -> None:
    # the seed case: a removable drive that is not plugged in
    drive = tmp_path / "usb-drive"
    marker = tmp_path / "ran"
    hook = Hook(argv=("test", "-d", str(drive)), on_error="skip")
    log = Log()
    result = run_hooks("before", (hook, Hook(argv=("touch", str(marker)))), env_for(), log)
    assert result.status == "skip" and "exited with status 1" in result.message
    assert not marker.exists()
    drive.mkdir()
    assert run_hooks("before", (hook,), env_for(), Log()).status == "ok"


def test_missing_executable_is_one_clear_line() -> None:
    result = run_hooks("before", (Hook(argv=("no-such-hook-program-xyz", "--flag")),), env_for(), Log())
    assert result.status == "failed"
    assert "command not found: no-such-hook-program-xyz" in result.message
    assert "\n" not in result.message
    ignored = run_hooks("before", (Hook(argv=("no-such-hook-program-xyz",), on_error="ignore"),), env_for(), Log())
    assert ignored.status == "ok"


def test_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "hook.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    result = run_hooks("before", (Hook(argv=(str(script),)),), env_for(), Log())
    assert result.status == "failed" and "permission denied" in result.message


def test_environment_reaches_the_hook(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    env = hook_env(POLICY, status="failed", point_id="20260310T020000Z", error="disk-full: no space", run_id=42)
    hook = sh(f'env | grep ^TUI_BACKUP_ | sort > "{out}"; echo "PATH=${{PATH:+set}}" >> "{out}"')
    assert run_hooks("on_failure", (hook,), env, Log()).ok
    lines = out.read_text().splitlines()
    assert lines == [
        "TUI_BACKUP_ERROR=disk-full: no space",
        "TUI_BACKUP_POINT=20260310T020000Z",
        "TUI_BACKUP_POLICY=nightly",
        "TUI_BACKUP_PROFILE=app",
        "TUI_BACKUP_RUN_ID=42",
        "TUI_BACKUP_STATUS=failed",
        "TUI_BACKUP_TYPE=database",
        "PATH=set",  # tui-backup's own environment is passed on
    ]
    assert hook_env(POLICY, status="ok", point_id=None, error=None, run_id=None, profile="other")["TUI_BACKUP_PROFILE"] == "other"


def test_stdin_is_closed() -> None:
    log = Log()
    # `cat` with stdin at /dev/null ends at once instead of waiting for input
    assert run_hooks("before", (Hook(argv=("cat",), timeout_s=5),), env_for(), log).ok


def alive(pid: int) -> bool:
    """Running (a killed orphan may stay a zombie until init reaps it: that is dead)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # the hook starts a grandchild that would outlive it; the timeout kills both
    hook = sh(f'sleep 60 & echo $! > "{pidfile}"; echo started; wait', timeout_s=0.5)
    log = Log()
    started = time.monotonic()
    result = run_hooks("before", (hook,), env_for(), log)
    assert time.monotonic() - started < 10
    assert result.status == "failed" and "timed out after 0.5s" in result.message
    assert "started" in log.text
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not alive(child):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the hook's child {child} survived the timeout")


def test_string_hook_runs_through_sh(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # shell syntax (a pipe, a redirect, a variable) works only because it goes through sh -c
    assert run_hooks("after", (sh(f'echo "$TUI_BACKUP_POLICY" | tr a-z A-Z > "{out}"'),), env_for(), Log()).ok
    assert out.read_text() == "NIGHTLY\n"
    # an argv hook is not a shell line: the same text is one literal argument
    res = run_hooks("after", (Hook(argv=("echo", "$TUI_BACKUP_POLICY | tr")),), env_for(), log := Log())
    assert res.ok and "$TUI_BACKUP_POLICY | tr" in log.text


def test_secrets_never_reach_a_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTIC_PASSWORD", "hunter2-restic")
    monkeypatch.setenv("RESTIC_PASSWORD_COMMAND", "pass show restic")
    monkeypatch.setenv("MY_REPO_PW", "hunter3-named")
    monkeypatch.setenv("APPRISE_URLS", "json://127.0.0.1:9/tok-secret")
    monkeypatch.setenv("HARMLESS", "visible")
    secrets = HookSecrets(names=frozenset({"MY_REPO_PW"}), values=frozenset({"json://127.0.0.1:9/tok-secret"}))
    out = tmp_path / "env.txt"
    assert run_hooks("before", (Hook(argv=("sh", "-c", f'env > "{out}"')),), env_for(), Log(), secrets=secrets).ok
    text = out.read_text()
    assert "HARMLESS=visible" in text
    for secret in ("hunter2-restic", "pass show restic", "hunter3-named", "tok-secret", "RESTIC_PASSWORD"):
        assert secret not in text


def test_secrets_of_a_profile(profile_config: Path, tmp_path: Path) -> None:
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo", password_env="MY_VAULT_PASSWORD")
    with open_service(profile_config) as svc:
        policy = Policy(
            name="nightly", destination="vault",
            notify=NotifySpec(urls=("ntfy://example.invalid/topic-token",), ping_url="https://hc.example.invalid/uuid-1"),
        )  # fmt: skip
        secrets = secrets_of(svc, policy)
    assert "MY_VAULT_PASSWORD" in secrets.names
    assert {"ntfy://example.invalid/topic-token", "https://hc.example.invalid/uuid-1"} <= secrets.values
