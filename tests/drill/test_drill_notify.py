"""A failed drill is a failure notification, and the next sound drill a recovery (delivered
for real to an HTTP receiver on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import add_destination, append_toml, open_service
from tests.notify.conftest import Receiver, receiver  # noqa: F401  (fixture)


def test_failed_drill_notifies_then_recovers(profile_config: Path, drive: Path, receiver: Receiver) -> None:  # noqa: F811
    url = receiver.url("json", "/hook")
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, f'\n[[policy]]\nname = "nightly"\ndestination = "usb"\n\n[policy.notify]\nurls = ["{url}"]\n')
    with open_service(profile_config) as svc:
        assert svc.run_backup("usb", "full", policy="nightly").ok
        point = svc.list_restore_points("usb")[0].id
        victim = drive / "app" / point / "config" / "app.conf"
        good = victim.read_bytes()
        victim.write_bytes(b"X" * len(good))
        receiver.take()
        assert not svc.drill_policy("nightly").ok
        sent = receiver.take()
        assert len(sent) == 1 and sent[0].json()["type"] == "failure" and "nightly" in sent[0].text and "config/app.conf" in sent[0].text

        victim.write_bytes(good)
        assert svc.drill_policy("nightly").ok
        (recovered,) = receiver.take()
        assert "recovered" in recovered.json()["title"] and recovered.json()["type"] == "success"
