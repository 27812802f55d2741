"""A policy's hooks: the user's commands run before a backup, after it, or on its failure.

Each hook is an argv run without a shell (a hook the user wrote as a string already arrives
as ("sh", "-c", text)), with stdin closed, in its own process group (so a timeout kills the
whole tree it started), with the environment of tui-backup plus TUI_BACKUP_* variables that
describe the run — and without the secrets tui-backup holds (restic passwords, notification
URLs). Its output goes line by line to the caller's `log` (the job log).

Error policy per hook (`on_error`): `fail` stops the hooks and fails the run, `ignore` logs a
warning and goes on, `skip` stops the hooks and skips the run without counting as a failure
(e.g. a removable drive that is not plugged in).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui_backup.policies.model import Hook, Policy

HookStatus = Literal["ok", "failed", "skip"]
PHASES: tuple[str, ...] = ("before", "after", "on_failure")
KILL_GRACE_S = 5.0  # after SIGTERM to the hook's process group, before SIGKILL
_OUTPUT_LINE_MAX = 2000  # one log line; a hook printing a huge blob stays readable

# Variables that carry a restic password (or how to get one): never handed to a hook.
ALWAYS_HIDDEN: frozenset[str] = frozenset({"RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_PASSWORD_FILE"})


@dataclass(frozen=True)
class HookResult:
    status: HookStatus
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class HookSecrets:
    """What must not reach a hook: variables by name, and any variable holding one of `values`."""

    names: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()


def hook_env(
    policy: Policy,
    *,
    status: str,
    point_id: str | None = None,
    error: str | None = None,
    run_id: int | None = None,
    profile: str | None = None,
) -> dict[str, str]:
    """The TUI_BACKUP_* variables describing a run (`profile` defaults to the config file's stem)."""
    if profile is None:
        profile = Path(policy.file).stem if policy.file else ""
    return {
        "TUI_BACKUP_POLICY": policy.name,
        "TUI_BACKUP_TYPE": policy.include,
        "TUI_BACKUP_STATUS": status,
        "TUI_BACKUP_POINT": point_id or "",
        "TUI_BACKUP_ERROR": error or "",
        "TUI_BACKUP_PROFILE": profile,
        "TUI_BACKUP_RUN_ID": "" if run_id is None else str(run_id),
    }


def secrets_of(svc: object, policy: Policy | None = None) -> HookSecrets:
    """The secrets of a profile that a hook must not see: the variables named by restic
    destinations' `password_env`, and every notification / ping URL (they hold tokens)."""
    config = getattr(svc, "config", None)
    names: set[str] = set()
    values: set[str] = set()
    for dest in getattr(config, "destinations", ()):
        env_name = dest.table.get("password_env") if isinstance(dest.table, Mapping) else None
        if isinstance(env_name, str) and env_name:
            names.add(env_name)
    specs = [getattr(config, "notify", None)] + [p.notify for p in getattr(config, "policies", ())]
    if policy is not None:
        specs.append(policy.notify)
    for spec in specs:
        if spec is None:
            continue
        values.update(u for u in spec.urls if u)
        if spec.ping_url:
            values.add(spec.ping_url)
    return HookSecrets(frozenset(names), frozenset(values))


def child_env(env: Mapping[str, str], secrets: HookSecrets | None = None) -> dict[str, str]:
    """tui-backup's environment + `env`, less every secret."""
    secrets = secrets or HookSecrets()
    merged = {**os.environ, **env}
    hidden = ALWAYS_HIDDEN | secrets.names
    return {
        k: v
        for k, v in merged.items()
        if k not in hidden and not any(s and s in v for s in secrets.values)
    }


def describe_hook(phase: str, index: int, hook: Hook) -> str:
    """`before[1] (mountpoint)`: the program's name only — arguments may hold anything."""
    if hook.shell or (len(hook.argv) == 3 and hook.argv[:2] == ("sh", "-c")):
        words = hook.argv[-1].split()
        name = f"sh -c {words[0]}…" if words else "sh -c"
    else:
        name = Path(hook.argv[0]).name if hook.argv else "?"
    return f"{phase}[{index}] ({name})"


def run_hooks(
    phase: str,
    hooks: tuple[Hook, ...],
    env: Mapping[str, str],
    log: Callable[[str], None],
    *,
    secrets: HookSecrets | None = None,
    cwd: Path | None = None,
) -> HookResult:
    """Run the hooks of one phase in order; the first `fail` or `skip` outcome stops them.

    `skip` is meant for `before` hooks; in other phases the caller decides what it means.
    """
    child = child_env(env, secrets)
    for i, hook in enumerate(hooks, start=1):
        what = describe_hook(phase, i, hook)
        problem = _run_one(hook, what, child, log, cwd)
        if problem is None:
            continue
        if hook.on_error == "ignore":
            log(f"warning: hook {problem} (on_error = ignore: going on)")
            continue
        if hook.on_error == "skip":
            log(f"hook {problem}: skipping the run (on_error = skip)")
            return HookResult("skip", f"hook {problem}")
        log(f"hook {problem}")
        return HookResult("failed", f"hook {problem}")
    return HookResult("ok", "")


def _run_one(
    hook: Hook, what: str, env: dict[str, str], log: Callable[[str], None], cwd: Path | None
) -> str | None:
    """Run one hook; None when it succeeded, else what went wrong (one line)."""
    if not hook.argv:
        return f"{what}: empty command"
    log(f"hook {what}: running")
    try:
        proc = subprocess.Popen(
            list(hook.argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: a timeout kills everything it started
        )
    except FileNotFoundError:
        return f"{what}: command not found: {hook.argv[0]} (not installed, or not on PATH)"
    except PermissionError:
        return f"{what}: permission denied running {hook.argv[0]} (is it executable?)"
    except OSError as exc:
        return f"{what}: could not start: {exc.strerror or exc}"
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=hook.timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        out = _kill_group(proc)
    _log_output(what, out, log)
    if timed_out:
        return f"{what}: timed out after {hook.timeout_s:g}s (killed)"
    if proc.returncode != 0:
        code = proc.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return f"{what}: {how}"
    log(f"hook {what}: ok")
    return None


def _kill_group(proc: subprocess.Popen[bytes]) -> bytes:
    """SIGTERM the hook's process group, SIGKILL it after a grace period; the output so far."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            out, _ = proc.communicate(timeout=KILL_GRACE_S)
            return out or b""
        except subprocess.TimeoutExpired:
            continue
    # Something that left the group still holds the output pipe: stop reading it.
    if proc.stdout is not None:
        proc.stdout.close()
    proc.wait()
    return b""


def _log_output(what: str, out: bytes | None, log: Callable[[str], None]) -> None:
    for line in (out or b"").decode("utf-8", errors="replace").splitlines():
        if line.strip():
            log(f"hook {what}: {line[:_OUTPUT_LINE_MAX]}")
