"""The Prometheus metrics file: content that parses, atomic replace, 0644, never raises."""

from __future__ import annotations

import logging
import os
import re
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tui_backup.fsutil import TEMP_PREFIX
from tui_backup.service.metrics import render, write_metrics

from .conftest import open_with, policy_toml, record

H = timedelta(hours=1)
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\} (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """A strict little parser: HELP/TYPE lines before a metric's samples, and every sample
    line `name{labels} value` with a float value."""
    assert text.endswith("\n")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind == "gauge"
            typed.add(name)
            continue
        m = SAMPLE.match(line)
        assert m, line
        assert m[1] in typed, f"{m[1]} has no # TYPE line before its samples"
        labels = frozenset(LABEL.findall(m[2]))
        samples[(m[1], labels)] = float(m[3])
    return samples


def set_metrics_file(config: Path, path: Path) -> None:
    """The profile's template has `[monitoring] metrics_file = ""`: set it."""
    text, n = re.subn(r'(?m)^metrics_file = .*$', f'metrics_file = "{path}"', config.read_text())
    assert n == 1
    config.write_text(text)


def labels(**kw: str) -> frozenset[tuple[str, str]]:
    return frozenset(kw.items())


@pytest.fixture
def metrics_config(with_drive: Path, tmp_path: Path) -> Path:
    (tmp_path / "textfile").mkdir()
    set_metrics_file(with_drive, tmp_path / "textfile" / "tui_backup.prom")
    return with_drive


def test_metrics_file_content(metrics_config: Path, tmp_path: Path, pinned_now: datetime) -> None:
    svc = open_with(metrics_config, policy_toml(drill_every='"never"'), policy_toml("bad", drill_every='"never"'))
    ok = record(svc, "nightly", pinned_now - 2 * H, size=4096, took=12.5)
    record(svc, "bad", pinned_now - 3 * H)
    record(svc, "bad", pinned_now - 1 * H, "failed", error="boom")
    path = write_metrics(svc)
    assert path == tmp_path / "textfile" / "tui_backup.prom"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    samples = parse(path.read_text())
    n = labels(profile="app", policy="nightly")
    b = labels(profile="app", policy="bad")
    assert ok.finished_at is not None
    from tui_backup import clock

    assert samples[("tui_backup_last_success_timestamp_seconds", n)] == clock.from_catalog(ok.finished_at).timestamp()
    assert samples[("tui_backup_last_run_duration_seconds", n)] == 12.5
    assert samples[("tui_backup_last_run_size_bytes", n)] == 4096
    assert samples[("tui_backup_policy_health", n)] == 0
    assert samples[("tui_backup_policy_health", b)] == 2
    assert samples[("tui_backup_last_run_status", n | {("status", "succeeded")})] == 1
    assert samples[("tui_backup_last_run_status", n | {("status", "failed")})] == 0
    assert samples[("tui_backup_last_run_status", b | {("status", "failed")})] == 1
    assert ("tui_backup_last_run_size_bytes", b) not in samples  # a failed run made nothing


def test_label_values_are_escaped() -> None:
    from tui_backup.catalog.policy_runs import PolicyRun
    from tui_backup.service.health import PolicyStatus

    st = PolicyStatus(
        name='we"ird\\name', state="active", destination="d", schedule="", next_run=None, retention="",
        point_count=3, newest_point_at=None, last_run=PolicyRun(1, "x", "backup", "manual", None,
        "2026-01-01T00:00:00.000000Z", "2026-01-01T00:01:00.000000Z", "succeeded", duration_s=60.0),
        last_success_at=None, last_proven_at=None, health="warning",
    )
    samples = parse(render("pro\nfile", [st]))
    assert samples[("tui_backup_policy_health", labels(profile="pro\\nfile", policy='we\\"ird\\\\name'))] == 1


def test_atomic_replace(metrics_config: Path, tmp_path: Path, pinned_now: datetime) -> None:
    svc = open_with(metrics_config, policy_toml(drill_every='"never"'))
    target = tmp_path / "textfile" / "tui_backup.prom"
    target.write_text("old content\n")
    os.link(target, tmp_path / "reader-view")  # what a reader holding the old file sees
    record(svc, "nightly", pinned_now - 2 * H)
    assert write_metrics(svc) == target
    assert (tmp_path / "reader-view").read_text() == "old content\n"  # replaced by rename, not rewritten
    assert target.stat().st_ino != (tmp_path / "reader-view").stat().st_ino
    assert "tui_backup_policy_health" in target.read_text()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_no_metrics_file_configured(with_drive: Path, pinned_now: datetime) -> None:
    svc = open_with(with_drive, policy_toml())
    assert write_metrics(svc) is None


def test_never_raises(with_drive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    set_metrics_file(with_drive, tmp_path / "no-such-dir" / "m.prom")
    svc = open_with(with_drive, policy_toml())
    with caplog.at_level(logging.WARNING):
        assert write_metrics(svc) is None
    assert "cannot write the metrics file" in caplog.text
    assert not (tmp_path / "no-such-dir").exists()


def test_a_policy_run_rewrites_the_metrics_file(metrics_config: Path, tmp_path: Path) -> None:
    """The real runner (service/policy_run.py) writes the file after each run; status agrees."""
    svc = open_with(metrics_config, policy_toml(include='"files"'))
    outcome = svc.run_policy("nightly")
    assert outcome.run.ok, outcome.run.error
    samples = parse((tmp_path / "textfile" / "tui_backup.prom").read_text())
    n = labels(profile="app", policy="nightly")
    assert samples[("tui_backup_policy_health", n)] == 0
    assert samples[("tui_backup_restore_points", n)] == 1
    assert samples[("tui_backup_last_run_status", n | {("status", "succeeded")})] == 1
    [st] = svc.policy_statuses()
    assert st.health == "ok" and st.point_count == 1 and st.newest_point_id == outcome.run.point_id
    svc.close()
