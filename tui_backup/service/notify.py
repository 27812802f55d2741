"""Telling the user: notifications (Apprise URLs) and healthchecks-style pings.

Which events fire: each NotifySpec (the policy's, and the profile's global `[notify]`)
sends its own URLs the events in its `on` (failure, recovery, stale, success). Repeated
failures are collapsed through the policy's alert state in the catalog (PolicyState
alert_state / alert_reason / alerted_at): a notification goes out when the state changes
(ok -> failing, failing -> ok = recovery, or a different kind of error), and at most once a
day while a failing or stale state lasts. A failed restore drill is a failure ("not
restorable").

Nothing here raises: a notification that cannot be delivered is logged (to the profile's
`logs/notify.log` and, outside the TUI, to stderr) and never fails a backup. URLs hold
tokens: they are never logged and never put in a message.

Apprise is imported only when something is sent (it takes ~150 ms to import), so one-shot
commands that notify nothing never load it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from tui_backup import clock
from tui_backup.catalog import policy_runs as runs
from tui_backup.catalog.policy_runs import PolicyRun, PolicyState
from tui_backup.fsutil import FILE_MODE, make_private_dir
from tui_backup.policies.model import NotifyEvent, NotifySpec, Policy

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

PingEvent = Literal["start", "success", "fail"]
PING_SUFFIX: dict[str, str] = {"start": "/start", "success": "", "fail": "/fail"}
PING_TIMEOUT_S = 10.0
PING_BODY_MAX = 10_000  # healthchecks keeps the first 100 kB; a short text is enough
REMIND_EVERY = timedelta(days=1)  # while a failing/stale state lasts
LOG_NAME = "notify.log"

# alert states (PolicyState.alert_state)
OK = "ok"
FAILING = "failing"
STALE = "stale"

_logger = logging.getLogger("tui_backup.notify")


@dataclass(frozen=True)
class Message:
    event: NotifyEvent
    title: str
    body: str
    level: Literal["info", "success", "warning", "failure"]


@dataclass(frozen=True)
class Decision:
    """What a run or a staleness check means for the policy's alert state."""

    event: NotifyEvent | None  # what to send, if anything
    alert_state: str
    alert_reason: str | None
    changed: bool  # the alert state or reason changed


# ---- public entry points (never raise) ----


def after_run(svc: ProfileService, policy: Policy, run: PolicyRun) -> None:
    """Notify what a finished run means: failure, recovery, or success (when enabled)."""
    try:
        state = runs.get_state(svc.catalog, policy.name)
        now = clock.now()
        decision = decide_after_run(state, run, now)
        if decision is None:
            return
        message = None
        if decision.event is not None:
            message = run_message(svc, policy, run, decision.event, reminder=not decision.changed)
        _apply(svc, policy, state, decision, message, now)
        if decision.event == "recovery" and run.kind == runs.BACKUP:
            # a recovery is a success too: URLs that want successes but not recoveries hear of it
            told = targets(svc, policy, "recovery")
            extra = [u for u in targets(svc, policy, "success") if u not in told]
            if extra:
                send(svc, policy, run_message(svc, policy, run, "success"), extra)
    except Exception as exc:
        _log(svc, f"{policy.name}: notifying after run {run.id} failed: {type(exc).__name__}: {exc}", policy)


def stale(svc: ProfileService, policy: Policy, reasons: Sequence[str]) -> None:
    """The policy's backups are stale for `reasons` (no successful backup within the expected
    interval); an empty `reasons` says they are fresh again (a recovery, if it was stale)."""
    try:
        state = runs.get_state(svc.catalog, policy.name)
        now = clock.now()
        decision = decide_stale(state, bool(reasons), now)
        if decision is None:
            return
        message = None
        if decision.event is not None:
            message = stale_message(svc, policy, decision.event, list(reasons), reminder=not decision.changed)
        _apply(svc, policy, state, decision, message, now)
    except Exception as exc:
        _log(svc, f"{policy.name}: notifying staleness failed: {type(exc).__name__}: {exc}", policy)


def ping(svc: ProfileService, policy: Policy, event: str, text: str = "") -> None:
    """POST `text` to the policy's (else the global) ping URL: <url>/start, <url>, <url>/fail."""
    try:
        url = ping_url(svc, policy)
        if url is None:
            return
        if event not in PING_SUFFIX:
            _log(svc, f"{policy.name}: unknown ping event {event!r} (start, success or fail)", policy)
            return
        _post(url.rstrip("/") + PING_SUFFIX[event], _redact(text, _secrets(svc, policy))[:PING_BODY_MAX])
    except Exception as exc:
        _log(svc, f"{policy.name}: ping {event} could not be delivered: {exc}", policy)


# ---- decisions (pure) ----


def alert_reason(run: PolicyRun) -> str:
    """What failed, as stable text: `backup:destination-unreachable`, `drill:failed`."""
    return f"{run.kind}:{run.error_kind or 'failed'}"


def decide_after_run(state: PolicyState, run: PolicyRun, now: datetime) -> Decision | None:
    """None: the run says nothing about the alert state (still running, skipped, cancelled)."""
    if run.ok:
        if state.alert_state != OK and _resolves(state, run.kind):
            return Decision("recovery", OK, None, changed=True)
        return Decision("success" if run.kind == runs.BACKUP else None, state.alert_state, state.alert_reason, False)
    if run.status != "failed":
        return None
    reason = alert_reason(run)
    if state.alert_state != FAILING or state.alert_reason != reason:
        return Decision("failure", FAILING, reason, changed=True)
    return Decision("failure" if _remind_due(state, now) else None, FAILING, reason, changed=False)


def decide_stale(state: PolicyState, is_stale: bool, now: datetime) -> Decision | None:
    if not is_stale:
        return Decision("recovery", OK, None, changed=True) if state.alert_state == STALE else None
    if state.alert_state == FAILING:
        return None  # the failure was told; staleness is its consequence
    if state.alert_state != STALE:
        return Decision("stale", STALE, "stale", changed=True)
    return Decision("stale" if _remind_due(state, now) else None, STALE, "stale", changed=False)


def _resolves(state: PolicyState, kind: str) -> bool:
    """Does a successful run of `kind` end the current alert? A backup ends staleness and a
    backup failure; a drill ends a drill failure (and so on per kind)."""
    if state.alert_state == STALE:
        return kind == runs.BACKUP
    failed_kind = (state.alert_reason or "").partition(":")[0]
    return failed_kind in ("", kind)


def _remind_due(state: PolicyState, now: datetime) -> bool:
    if state.alerted_at is None:
        return True
    try:
        return now - clock.from_catalog(state.alerted_at) >= REMIND_EVERY
    except ValueError:
        return True


# ---- messages ----


def _profile(svc: ProfileService) -> str:
    return str(svc.config.name)


def run_message(svc: ProfileService, policy: Policy, run: PolicyRun, event: NotifyEvent, *, reminder: bool = False) -> Message:
    where = f"{_profile(svc)}/{policy.name}"
    if event == "failure":
        title = {
            runs.DRILL: f"tui-backup: {where} not restorable (restore drill failed)",
            runs.VERIFY: f"tui-backup: {where} verification failed",
            runs.PRUNE: f"tui-backup: {where} prune failed",
        }.get(run.kind, f"tui-backup: {where} failed")
        lines = ["Still failing (reminder: at most one a day)." if reminder else f"The {run.kind} run failed."]
        lines += [f"error: {run.error_kind or 'failed'}", f"message: {run.error or '(no message)'}"]
        lines.append(f"hint: {_hint(policy, run)}")
        level: Literal["info", "success", "warning", "failure"] = "failure"
    elif event == "recovery":
        title = f"tui-backup: {where} recovered"
        lines = [f"The {run.kind} run succeeded again."]
        level = "success"
    else:
        title = f"tui-backup: {where} succeeded"
        lines = [f"The {run.kind} run succeeded."]
        level = "success"
    if run.ok:
        if run.point_id:
            lines.append(f"restore point: {run.point_id}")
        if run.size_bytes is not None:
            lines.append(f"size: {run.size_bytes} bytes")
        if run.duration_s is not None:
            lines.append(f"duration: {run.duration_s:.1f}s")
    lines.append(f"run: #{run.id} ({run.kind}, {run.trigger}) started {run.started_at}")
    lines += _footer(policy)
    return Message(event, title, "\n".join(lines), level)


def stale_message(
    svc: ProfileService, policy: Policy, event: NotifyEvent, reasons: list[str], *, reminder: bool = False
) -> Message:
    where = f"{_profile(svc)}/{policy.name}"
    if event == "recovery":
        lines = ["Its backups are fresh again."]
        return Message(event, f"tui-backup: {where} recovered", "\n".join(lines + _footer(policy)), "success")
    lines = ["Still stale (reminder: at most one a day)." if reminder else "Its backups are stale."]
    lines += [f"reason: {r}" for r in reasons]
    lines.append(f"hint: see `tui-backup status` and `tui-backup policy show {policy.name}`")
    return Message(event, f"tui-backup: {where} is stale", "\n".join(lines + _footer(policy)), "warning")


def _hint(policy: Policy, run: PolicyRun) -> str:
    hint = run.details.get("hint") if isinstance(run.details, dict) else None
    if isinstance(hint, str) and hint:
        return hint
    if run.job_id is not None:
        return f"see the job's log: `tui-backup jobs log {run.job_id}`"
    return f"see `tui-backup policy show {policy.name}`"


def _footer(policy: Policy) -> list[str]:
    return [f"time: {clock.to_catalog(clock.now())}", f"host: {socket.gethostname()}"]


# ---- delivery ----


def targets(svc: ProfileService, policy: Policy, event: NotifyEvent) -> list[str]:
    """The URLs that want `event`: each spec's own URLs, by its own `on` (no duplicates)."""
    out: list[str] = []
    for spec in _specs(svc, policy):
        if event in spec.on:
            out.extend(u for u in spec.urls if u and u not in out)
    return out


def ping_url(svc: ProfileService, policy: Policy) -> str | None:
    return policy.notify.ping_url or global_spec(svc).ping_url or None


def global_spec(svc: ProfileService) -> NotifySpec:
    spec = getattr(svc.config, "notify", None)  # Config.notify ([notify]); absent in older configs
    return spec if isinstance(spec, NotifySpec) else NotifySpec()


def _specs(svc: ProfileService, policy: Policy) -> tuple[NotifySpec, NotifySpec]:
    return (policy.notify, global_spec(svc))


def _secrets(svc: ProfileService, policy: Policy) -> list[str]:
    out: list[str] = []
    for spec in _specs(svc, policy):
        out.extend(u for u in spec.urls if u)
        if spec.ping_url:
            out.append(spec.ping_url)
    return out


def _apply(
    svc: ProfileService, policy: Policy, state: PolicyState, decision: Decision, message: Message | None, now: datetime
) -> None:
    """Send the message (if any) and record the alert state."""
    delivered: bool | None = None  # None: nothing was due
    if message is not None:
        urls = targets(svc, policy, message.event)
        delivered = send(svc, policy, message, urls) if urls else True
    alerted_at = state.alerted_at
    if message is not None and message.event == "success":
        pass  # not an alert: the reminder clock of a lasting alert is untouched
    elif delivered:
        alerted_at = clock.to_catalog(now)
    elif delivered is False and decision.changed:
        alerted_at = None  # not told yet: the next run tries again
    if (decision.alert_state, decision.alert_reason, alerted_at) != (state.alert_state, state.alert_reason, state.alerted_at):
        runs.update_state(
            svc.catalog, policy.name, alert_state=decision.alert_state, alert_reason=decision.alert_reason, alerted_at=alerted_at
        )


def send(svc: ProfileService, policy: Policy, message: Message, urls: Sequence[str]) -> bool:
    """Deliver through Apprise; False (and a log line) when any URL could not be reached."""
    import apprise  # lazily: slow to import, and only needed when something is sent

    secrets = _secrets(svc, policy) + list(urls)
    title, body = _redact(message.title, secrets), _redact(message.body, secrets)
    ap = apprise.Apprise()
    valid = 0
    for i, url in enumerate(urls, start=1):
        if ap.add(url):
            valid += 1
        else:
            _log(svc, f"{policy.name}: notification URL #{i} is not a URL Apprise understands (see the Apprise docs)", policy)
    if not valid:
        return False
    level = {"info": apprise.NotifyType.INFO, "success": apprise.NotifyType.SUCCESS,
             "warning": apprise.NotifyType.WARNING, "failure": apprise.NotifyType.FAILURE}[message.level]
    captured = _Capture()
    apprise_log = logging.getLogger("apprise")
    propagate = apprise_log.propagate
    apprise_log.propagate = False  # its lines come to our log below, not to stderr
    apprise_log.addHandler(captured)
    try:
        ok = bool(ap.notify(body=body, title=title, notify_type=level))
    finally:
        apprise_log.removeHandler(captured)
        apprise_log.propagate = propagate
    details = "\n".join(captured.lines)
    if not ok or valid < len(urls):
        why = " | ".join(line.strip() for line in details.splitlines() if line.strip())[:500]
        _log(svc, f"{policy.name}: {message.event} notification could not be delivered"
                  + (f": {_redact(why, secrets)}" if why else ""), policy)
        return False
    return True


class _Capture(logging.Handler):
    """Apprise's warnings while it delivers (they say why a delivery failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _post(url: str, text: str) -> None:
    import urllib.request  # lazily: only pings need it

    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("the ping URL must start with http:// or https://")
    request = urllib.request.Request(
        url, data=text.encode("utf-8"), method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "tui-backup"},
    )
    with urllib.request.urlopen(request, timeout=PING_TIMEOUT_S) as response:
        response.read(1024)


def _redact(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "<url>")
    return text


def _log(svc: ProfileService, line: str, policy: Policy | None = None) -> None:
    """A delivery problem: to the profile's logs/notify.log, and to stderr outside the TUI
    (with every notification and ping URL blanked out: they hold tokens)."""
    try:
        line = _redact(line, _secrets(svc, policy) if policy is not None else [])
        if getattr(svc, "interface", "cli") != "tui":
            _logger.warning("%s", line)
        logs = svc.paths.logs_dir
        make_private_dir(logs)
        fd = os.open(logs / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(f"{clock.to_catalog(clock.now())} WARNING {line}\n")
    except Exception:
        pass
