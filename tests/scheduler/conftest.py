"""Fixtures: the `app` profile with a local destination and policies written as TOML."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.service import ProfileService


def policy_toml(name: str = "nightly", **keys: object) -> str:
    """A [[policy]] block: daily 03:00 Europe/Paris, config only, no drills, unless told."""
    values: dict[str, object] = {
        "name": name, "destination": "disk", "include": "config", "frequency": "daily", "time": "03:00",
        "timezone": "Europe/Paris", "drill_every": "never",
    }
    values.update(keys)
    lines = ["[[policy]]"]
    tables: list[str] = []
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, str) and v.startswith("[") and k != "name":  # a raw TOML sub-table
            tables.append(v)
        elif isinstance(v, str):
            lines.append(f"{k} = {v!r}".replace("'", '"'))
        else:
            lines.append(f"{k} = {v}")
    return "\n".join(lines + tables) + "\n"


@pytest.fixture
def sched_config(profile_config: Path, drive: Path) -> Path:
    return add_destination(profile_config, "disk", path=drive)


def write_policies(config: Path, *blocks: str) -> None:
    append_toml(config, "\n".join(blocks))


@pytest.fixture
def open_svc(sched_config: Path) -> Iterator[object]:
    opened: list[ProfileService] = []

    def make(*blocks: str) -> ProfileService:
        write_policies(sched_config, *blocks)
        svc = ProfileService.open(config=sched_config)
        opened.append(svc)
        return svc

    yield make
    for s in opened:
        s.close()


@pytest.fixture(autouse=True)
def unpinned() -> Iterator[None]:
    yield
    clock.set_now(None)


def at(text: str) -> datetime:
    return clock.parse_time(text)


def backup_runs(svc: ProfileService, policy: str = "nightly") -> list[pr.PolicyRun]:
    """Oldest first."""
    return list(reversed(pr.list_runs(svc.catalog, policy, pr.BACKUP, limit=1000)))
