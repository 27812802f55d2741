"""The Prometheus metrics file: per-policy facts in the text exposition format, for
node_exporter's textfile collector (or anything that scrapes a file).

Rewritten after each policy run (service/policy_run.py calls `write_metrics`), to
`[monitoring] metrics_file` when the config sets one. The whole file is written to a
temporary name beside it and renamed over it, so the collector never reads half a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup import clock
from tui_backup.fsutil import atomic_writer

if TYPE_CHECKING:
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.profile import ProfileService

log = logging.getLogger(__name__)

# The collector (node_exporter) usually runs as another user: the file must be readable by
# it. It holds no secret (names, times, sizes, health), so 0644 instead of the usual 0600.
METRICS_MODE = 0o644

HEALTH_VALUE = {"ok": 0, "warning": 1, "failing": 2}
RUN_STATUSES = ("succeeded", "succeeded-with-warnings", "failed", "cancelled", "skipped")

_HELP: dict[str, tuple[str, str]] = {
    "tui_backup_last_success_timestamp_seconds": ("gauge", "Time of the policy's last successful backup."),
    "tui_backup_last_run_timestamp_seconds": ("gauge", "Time the policy's last backup run finished."),
    "tui_backup_last_run_duration_seconds": ("gauge", "Duration of the policy's last backup run."),
    "tui_backup_last_run_size_bytes": ("gauge", "Size of the restore point made by the last backup run."),
    "tui_backup_last_run_status": (
        "gauge", "Status of the policy's last backup run (1 for the current status, 0 for the others)."),
    "tui_backup_policy_health": ("gauge", "Policy health: 0 ok, 1 warning, 2 failing."),
    "tui_backup_policy_active": ("gauge", "1 if the policy is active, 0 if paused."),
    "tui_backup_restore_points": ("gauge", "Restore points of the policy (as the catalog records them)."),
    "tui_backup_last_proven_timestamp_seconds": ("gauge", "Time of the policy's last successful restore drill."),
}


def metrics_file(svc: ProfileService) -> Path | None:
    """`[monitoring] metrics_file`, or None ("" or absent: no metrics file)."""
    return svc.config.monitoring.metrics_file


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _seconds(ts: str | None) -> float | None:
    return clock.from_catalog(ts).timestamp() if ts else None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(profile: str, statuses: Iterable[PolicyStatus]) -> str:
    """The exposition text: HELP and TYPE once per metric, then its samples."""
    samples: dict[str, list[str]] = {name: [] for name in _HELP}

    def add(name: str, labels: dict[str, str], value: float | None) -> None:
        if value is None:
            return
        text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        samples[name].append(f"{name}{{{text}}} {_number(value)}")

    for st in statuses:
        labels = {"profile": profile, "policy": st.name}
        last = st.last_run
        add("tui_backup_last_success_timestamp_seconds", labels, _seconds(st.last_success_at))
        add("tui_backup_policy_health", labels, HEALTH_VALUE.get(st.health, 2))
        add("tui_backup_policy_active", labels, 1 if st.enabled else 0)
        add("tui_backup_restore_points", labels, st.point_count)
        add("tui_backup_last_proven_timestamp_seconds", labels, _seconds(st.last_proven_at))
        if last is not None:
            add("tui_backup_last_run_timestamp_seconds", labels, _seconds(last.finished_at or last.started_at))
            add("tui_backup_last_run_duration_seconds", labels, last.duration_s)
            add("tui_backup_last_run_size_bytes", labels, last.size_bytes)
            for status in RUN_STATUSES:  # a StateSet: alert on {status="failed"} == 1
                add("tui_backup_last_run_status", {**labels, "status": status}, 1 if last.status == status else 0)
    lines: list[str] = []
    for name, (kind, help_text) in _HELP.items():
        if samples[name]:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples[name]]
    return "\n".join(lines) + "\n"


def write_metrics(svc: ProfileService, statuses: list[PolicyStatus] | None = None) -> Path | None:
    """Rewrite the metrics file (atomically); the path written, or None. Never raises:
    monitoring must not fail a backup — a problem is logged as a warning."""
    try:
        path = metrics_file(svc)
        if path is None:
            return None
        if statuses is None:
            from tui_backup.service.health import policy_statuses

            statuses = policy_statuses(svc)
        text = render(svc.config.name, statuses)
        with atomic_writer(path) as (_tmp, fd):
            os.fchmod(fd, METRICS_MODE)
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data):]
        return path
    except Exception as exc:
        log.warning("cannot write the metrics file: %s", exc)
        return None
