"""Notifications delivered for real (Apprise json://, form://, ntfy://) to a receiver on
127.0.0.1, collapsed per alert state; healthchecks-style pings; failures never raise."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tomlkit

from tests.helpers import open_service
from tests.notify.conftest import Receiver, add_offsite_policy
from tui_backup import clock
from tui_backup.catalog import policy_runs as runs
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.policies.model import NotifyEvent, NotifySpec, Policy
from tui_backup.service import ProfileService, notify

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ALL: tuple[NotifyEvent, ...] = ("failure", "recovery", "stale", "success")


def policy_with(url: str, on: tuple[NotifyEvent, ...] = ("failure", "recovery", "stale"), ping: str | None = None) -> Policy:
    return Policy(name="nightly", destination="offsite", notify=NotifySpec(urls=(url,), on=on, ping_url=ping))


def finished(
    svc: ProfileService, status: str, *, kind: str = runs.BACKUP, error_kind: str | None = None, policy: str = "nightly"
) -> PolicyRun:
    run_id = runs.start_run(svc.catalog, policy, kind, runs.SCHEDULE)
    failed = status == "failed"
    return runs.finish_run(
        svc.catalog, run_id, status,
        error_kind=(error_kind or "destination-unreachable") if failed else None,
        error="destination offsite is unreachable: no route to host" if failed else None,
        details={"hint": "check that the host is up"} if failed else None,
        point_id=None if failed else "20260310T020000Z", size_bytes=None if failed else 1234,
    )  # fmt: skip


def set_global(svc: ProfileService, spec: NotifySpec) -> None:
    """The profile's [notify] section (Config.notify), set on the loaded config."""
    if "notify" in {f.name for f in dataclasses.fields(svc.config)}:
        svc.config = dataclasses.replace(svc.config, notify=spec)  # type: ignore[call-arg]
    else:  # until Config.notify exists
        object.__setattr__(svc.config, "notify", spec)


def titles(receiver: Receiver) -> list[str]:
    return [r.json()["title"] for r in receiver.take()]


def test_failure_then_recovery_with_collapsing(svc: ProfileService, receiver: Receiver) -> None:
    url = receiver.url("json", "/hook")
    policy = policy_with(url)
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed"))
        [req] = receiver.take()
        assert req.path == "/hook"
        msg = req.json()
        assert msg["title"] == "tui-backup: app/nightly failed"
        assert msg["type"] == "failure"
        body = msg["message"]
        for part in ("destination-unreachable", "no route to host", "hint: check that the host is up", "host: ", "time: 2026-03-10T02:00"):
            assert part in body, body
        assert url not in body and str(receiver.port) not in body

        clock.set_now(T0 + timedelta(hours=6))  # same failure, same day: collapsed
        notify.after_run(svc, policy, finished(svc, "failed"))
        assert receiver.take() == []

        clock.set_now(T0 + timedelta(days=1, minutes=1))  # next day: one reminder
        notify.after_run(svc, policy, finished(svc, "failed"))
        [req] = receiver.take()
        assert req.json()["title"] == "tui-backup: app/nightly failed"
        assert "Still failing" in req.json()["message"]
        notify.after_run(svc, policy, finished(svc, "failed"))
        assert receiver.take() == []

        clock.set_now(T0 + timedelta(days=1, hours=2))  # a different kind of error is a change
        notify.after_run(svc, policy, finished(svc, "failed", error_kind="disk-full"))
        assert titles(receiver) == ["tui-backup: app/nightly failed"]

        notify.after_run(svc, policy, finished(svc, "succeeded"))
        [req] = receiver.take()
        assert req.json()["title"] == "tui-backup: app/nightly recovered"
        assert req.json()["type"] == "success"
        state = runs.get_state(svc.catalog, "nightly")
        assert (state.alert_state, state.alert_reason) == ("ok", None)

        notify.after_run(svc, policy, finished(svc, "succeeded"))  # success is not enabled
        assert receiver.take() == []

        notify.after_run(svc, policy, finished(svc, "failed"))  # ok -> failing again: told at once
        assert titles(receiver) == ["tui-backup: app/nightly failed"]


def test_success_only_when_enabled(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("form", "/form"), on=ALL)
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "succeeded"))
        notify.after_run(svc, policy, finished(svc, "succeeded"))
    reqs = receiver.take()
    assert [r.form()["title"] for r in reqs] == ["tui-backup: app/nightly succeeded"] * 2
    assert "restore point: 20260310T020000Z" in reqs[0].form()["message"]
    assert reqs[0].form()["type"] == "success"


def test_ntfy_url_to_loopback(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("ntfy", "/backups"))
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed"))
    [req] = receiver.take()
    assert req.json()["topic"] == "backups"
    assert req.json()["title"] == "tui-backup: app/nightly failed"


def test_failed_drill_is_not_restorable(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("json", "/hook"))
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed", kind=runs.DRILL, error_kind="failed"))
        assert titles(receiver) == ["tui-backup: app/nightly not restorable (restore drill failed)"]
        # a successful backup does not end a drill alert; a successful drill does
        notify.after_run(svc, policy, finished(svc, "succeeded"))
        assert receiver.take() == []
        notify.after_run(svc, policy, finished(svc, "succeeded", kind=runs.DRILL))
        assert titles(receiver) == ["tui-backup: app/nightly recovered"]


def test_skipped_and_cancelled_runs_say_nothing(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("json", "/hook"), on=ALL)
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, runs.SKIPPED))
        notify.after_run(svc, policy, finished(svc, "cancelled"))
    assert receiver.take() == []
    assert runs.get_state(svc.catalog, "nightly").alert_state == "ok"


def test_global_and_policy_specs_each_by_their_own_events(svc: ProfileService, receiver: Receiver) -> None:
    set_global(svc, NotifySpec(urls=(receiver.url("json", "/global"),), on=("success",)))
    policy = policy_with(receiver.url("json", "/policy"), on=("failure", "recovery"))
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed"))
        assert [r.path for r in receiver.take()] == ["/policy"]
        notify.after_run(svc, policy, finished(svc, "succeeded"))  # a recovery is a success too
        assert sorted((r.path, r.json()["title"]) for r in receiver.take()) == [
            ("/global", "tui-backup: app/nightly succeeded"), ("/policy", "tui-backup: app/nightly recovered")]
        notify.after_run(svc, policy, finished(svc, "succeeded"))
        assert [(r.path, r.json()["title"]) for r in receiver.take()] == [("/global", "tui-backup: app/nightly succeeded")]


def test_undeliverable_is_logged_never_raised_and_retried(svc: ProfileService, receiver: Receiver, closed_port: int) -> None:
    dead = f"json://127.0.0.1:{closed_port}/secret-token-xyz"
    policy = policy_with(dead)
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed"))  # must not raise
        state = runs.get_state(svc.catalog, "nightly")
        assert state.alert_state == "failing" and state.alerted_at is None
        log = (svc.paths.logs_dir / notify.LOG_NAME).read_text()
        assert "failure notification could not be delivered" in log
        assert "secret-token-xyz" not in log
        assert oct((svc.paths.logs_dir / notify.LOG_NAME).stat().st_mode & 0o777) == "0o600"

        # the same failure later that day: not told yet, so it is tried again (and delivered)
        clock.set_now(T0 + timedelta(hours=1))
        notify.after_run(svc, policy_with(receiver.url("json", "/hook")), finished(svc, "failed"))
        assert titles(receiver) == ["tui-backup: app/nightly failed"]

        # an URL Apprise does not know: logged, not raised
        notify.after_run(svc, policy_with("nosuchscheme://x"), finished(svc, "succeeded"))
        assert "not a URL Apprise understands" in (svc.paths.logs_dir / notify.LOG_NAME).read_text()


def test_stale_collapsed_and_recovered(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("json", "/hook"))
    with clock.pinned(T0):
        notify.stale(svc, policy, ["no successful backup for 26h (expected within 25h)"])
        [req] = receiver.take()
        assert req.json()["title"] == "tui-backup: app/nightly is stale"
        assert "no successful backup for 26h" in req.json()["message"]
        clock.set_now(T0 + timedelta(hours=3))
        notify.stale(svc, policy, ["no successful backup for 29h (expected within 25h)"])
        assert receiver.take() == []
        clock.set_now(T0 + timedelta(days=1, hours=1))
        notify.stale(svc, policy, ["no successful backup for 50h (expected within 25h)"])
        assert titles(receiver) == ["tui-backup: app/nightly is stale"]
        notify.after_run(svc, policy, finished(svc, "succeeded"))
        assert titles(receiver) == ["tui-backup: app/nightly recovered"]
        notify.stale(svc, policy, [])  # fresh, and already told
        assert receiver.take() == []


def test_stale_while_failing_says_nothing_more(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("json", "/hook"))
    with clock.pinned(T0):
        notify.after_run(svc, policy, finished(svc, "failed"))
        receiver.take()
        notify.stale(svc, policy, ["no successful backup for 26h"])
        assert receiver.take() == []


def test_ping_start_success_fail(svc: ProfileService, receiver: Receiver) -> None:
    policy = policy_with(receiver.url("json", "/unused"), ping=f"http://127.0.0.1:{receiver.port}/ping/abc-123/")
    notify.ping(svc, policy, "start", "nightly: started")
    notify.ping(svc, policy, "success", "nightly: 1.2 MB in 3s")
    notify.ping(svc, policy, "fail", "nightly: destination-unreachable")
    reqs = receiver.take()
    assert [(r.method, r.path, r.text) for r in reqs] == [
        ("POST", "/ping/abc-123/start", "nightly: started"),
        ("POST", "/ping/abc-123", "nightly: 1.2 MB in 3s"),
        ("POST", "/ping/abc-123/fail", "nightly: destination-unreachable"),
    ]


def test_global_ping_url_and_unreachable_ping(svc: ProfileService, receiver: Receiver, closed_port: int) -> None:
    policy = Policy(name="nightly", destination="offsite")
    notify.ping(svc, policy, "start", "x")  # no ping URL anywhere: nothing
    set_global(svc, NotifySpec(ping_url=f"http://127.0.0.1:{receiver.port}/global"))
    notify.ping(svc, policy, "fail", "boom")
    assert [(r.path, r.text) for r in receiver.take()] == [("/global/fail", "boom")]

    set_global(svc, NotifySpec(ping_url=f"http://127.0.0.1:{closed_port}/hc-token-777"))
    notify.ping(svc, policy, "success", "ok")  # must not raise
    log = (svc.paths.logs_dir / notify.LOG_NAME).read_text()
    assert "ping success could not be delivered" in log and "hc-token-777" not in log


def test_apprise_not_imported_by_status(profile_config: Path) -> None:
    """`tui-backup status` (and other one-shot commands that notify nothing) never load Apprise."""
    bin_dir = Path(sys.executable).parent
    p = subprocess.run(
        [sys.executable, "-X", "importtime", str(bin_dir / "tui-backup"), "--config", str(profile_config), "status"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=dict(os.environ), timeout=60,
    )  # fmt: skip
    imported = [line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")]
    assert "tui_backup.cli" in imported or any(m.startswith("tui_backup") for m in imported), p.stderr[-2000:]
    assert "Traceback" not in p.stderr, p.stderr[-2000:]
    assert not any(m.split(".")[0] == "apprise" for m in imported)


def test_settings_loaded_from_toml(profile_config: Path, tmp_path: Path, receiver: Receiver) -> None:
    """[notify] and [policy.notify] as a user writes them, through the real config loader."""
    port = receiver.port
    doc = tomlkit.parse(profile_config.read_text())
    doc["notify"]["urls"] = [f"json://127.0.0.1:{port}/global"]  # type: ignore[index]
    doc["notify"]["on"] = ["failure", "success"]  # type: ignore[index]
    profile_config.write_text(tomlkit.dumps(doc))
    add_offsite_policy(profile_config, tmp_path / "dest", "nightly", f"""frequency = "daily"

[policy.notify]
urls = ["form://127.0.0.1:{port}/policy"]
on = ["failure", "recovery"]
ping_url = "http://127.0.0.1:{port}/ping/uuid-9"
""")
    with open_service(profile_config) as svc:
        policy = svc.policy("nightly")
        with clock.pinned(T0):
            notify.after_run(svc, policy, finished(svc, "failed"))
            assert sorted(r.path for r in receiver.take()) == ["/global", "/policy"]
            notify.after_run(svc, policy, finished(svc, "succeeded"))
            got = sorted((r.path, r.json()["title"] if r.path == "/global" else r.form()["title"]) for r in receiver.take())
            assert got == [("/global", "tui-backup: app/nightly succeeded"), ("/policy", "tui-backup: app/nightly recovered")]
        notify.ping(svc, policy, "start", "go")
        assert [r.path for r in receiver.take()] == ["/ping/uuid-9/start"]


def test_a_policy_run_notifies_and_pings(profile_config: Path, tmp_path: Path, receiver: Receiver) -> None:
    """The policy runner end to end: a `before` hook fails the run -> failure + /fail; it
    passes again -> the backup runs, recovery + success ping; the hook saw no secret."""
    port = receiver.port
    gate = tmp_path / "gate"
    seen = tmp_path / "hook-env.txt"
    (tmp_path / "dest").mkdir()
    add_offsite_policy(profile_config, tmp_path / "dest", "nightly", f"""include = "database"
frequency = "daily"

[policy.hooks]
before = 'env > "{seen}"; test -e "{gate}"'

[policy.notify]
urls = ["json://127.0.0.1:{port}/hook-token-555"]
ping_url = "http://127.0.0.1:{port}/ping/uuid-4"
""")
    with open_service(profile_config) as svc:
        outcome = svc.run_policy("nightly")
        assert outcome.run.status == "failed"
        reqs = receiver.take()
        pings = [(r.path, r.text) for r in reqs if r.path.startswith("/ping/")]
        assert [p for p, _ in pings][-1] == "/ping/uuid-4/fail"  # (/start comes once the before hooks pass)
        [alert] = [r.json() for r in reqs if r.path == "/hook-token-555"]
        assert alert["title"] == "tui-backup: app/nightly failed"
        assert "hook before[1]" in alert["message"] and "hook-token-555" not in alert["message"]
        env_text = seen.read_text()
        assert "TUI_BACKUP_POLICY=nightly" in env_text and "hook-token-555" not in env_text and "uuid-4" not in env_text

        gate.touch()
        outcome = svc.run_policy("nightly")
        assert outcome.run.ok, outcome.run
        reqs = receiver.take()
        assert [r.path for r in reqs if r.path.startswith("/ping/")] == ["/ping/uuid-4/start", "/ping/uuid-4"]
        assert [r.json()["title"] for r in reqs if r.path == "/hook-token-555"] == ["tui-backup: app/nightly recovered"]
