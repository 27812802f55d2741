"""`run-due` announces a stale policy (no success within the expected interval) once, and
its recovery when a backup succeeds again — delivered to a real receiver on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import open_service
from tests.notify.conftest import Receiver, add_offsite_policy
from tui_backup import clock

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_run_due_notifies_staleness_once_then_recovery(
    profile_config: Path, tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "dest").mkdir()
    add_offsite_policy(profile_config, tmp_path / "dest", "weekly", f"""include = "config"
every = "7d"
stale_after = "2h"
drill_every = "never"

[policy.notify]
urls = ["json://127.0.0.1:{receiver.port}/alerts"]
""")
    with open_service(profile_config) as svc:
        with clock.pinned(T0):
            assert svc.run_policy("weekly").run.ok
            svc.run_due()
        assert receiver.take() == []  # fresh: nothing to say
        for hours in (3, 5):  # stale from 2 h on: announced once, not on every invocation
            clock.set_now(T0 + timedelta(hours=hours))
            try:
                svc.run_due()
            finally:
                clock.set_now(None)
        [alert] = [r.json() for r in receiver.take()]
        assert alert["title"] == "tui-backup: app/weekly is stale"
        assert "no successful backup" in alert["message"]
        with clock.pinned(T0 + timedelta(hours=6)):
            assert svc.run_policy("weekly").run.ok
            svc.run_due()
        assert [r.json()["title"] for r in receiver.take()] == ["tui-backup: app/weekly recovered"]
