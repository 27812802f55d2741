"""`status`: the profile's health in one report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.service.volumes import VolumeStatus

if TYPE_CHECKING:
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.profile import ProfileService

HEALTH_OK = "ok"
HEALTH_WARN = "warn"
HEALTH_FAIL = "fail"
# exit codes of `tui-backup status`, usable as a monitoring check (Nagios-style)
EXIT_CODES = {HEALTH_OK: 0, HEALTH_WARN: 1, HEALTH_FAIL: 2}
# a policy's health (service/health.py) in the profile's words
_FROM_POLICY = {"ok": HEALTH_OK, "warning": HEALTH_WARN, "failing": HEALTH_FAIL}


@dataclass(frozen=True)
class StatusReport:
    profile: str
    config_file: str
    database: str
    database_kind: str
    files: list[str]
    config_files: list[str]
    state_dir: str
    snapshot_count: int
    newest_snapshot_id: str | None
    newest_snapshot_at: str | None
    newest_snapshot_age_s: float | None
    volumes: list[VolumeStatus]
    health: str  # ok | warn | fail: the worst of the profile's own checks and every policy's
    problems: list[str] = field(default_factory=list)  # the profile's own (policies carry their reasons)
    running_jobs: int = 0
    policies: list[PolicyStatus] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all ok, 1 any warning, 2 any failing (profile checks and policies alike)."""
        return EXIT_CODES.get(self.health, 2)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["volumes"] = [v.to_json() for v in self.volumes]
        d["policies"] = [p.to_json() for p in self.policies]
        d["exit_code"] = self.exit_code
        return d


def parse_utc(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _worse(a: str, b: str) -> str:
    return a if EXIT_CODES.get(a, 2) >= EXIT_CODES.get(b, 2) else b


def profile_status(svc: ProfileService) -> StatusReport:
    from tui_backup.catalog import jobs as job_rows
    from tui_backup.config._load import EXPOSED_CONFIG
    from tui_backup.service.health import policy_statuses

    cfg = svc.config
    snaps = svc.list_snapshots()
    volumes = svc.volume_statuses()
    problems: list[str] = []
    health = HEALTH_OK
    for v in volumes:
        if not v.ok:
            problems.append(f"volume {v.name} is {v.state}: {v.detail}")
            health = HEALTH_FAIL
    newest = snaps[0] if snaps else None
    age = None
    if newest is None:
        problems.append("no snapshot yet: take one with `tui-backup snapshot create`")
        if health == HEALTH_OK:
            health = HEALTH_WARN
    else:
        age = (clock.now() - parse_utc(newest.created_at)).total_seconds()
        if newest.verify_status == "corrupt":
            problems.append(f"newest snapshot {newest.id} is corrupt")
            health = HEALTH_FAIL
    corrupt = [s.id for s in snaps[1:] if s.verify_status == "corrupt"]
    if corrupt:
        problems.append(f"{len(corrupt)} older snapshot(s) failed verification: {', '.join(corrupt[:3])}")
        if health == HEALTH_OK:
            health = HEALTH_WARN
    exposed = [w for w in cfg.warnings if EXPOSED_CONFIG in w]  # a secret others can read: say so everywhere
    if exposed:
        problems += exposed
        if health == HEALTH_OK:
            health = HEALTH_WARN
    chain = _journal_chain_problem(svc)  # layer 2: a broken chain means tampering (or damage)
    if chain:
        problems.append(chain)
        health = HEALTH_FAIL
    running = sum(1 for j in job_rows.list_jobs(svc.catalog, 50) if j.status == job_rows.RUNNING)
    policies = policy_statuses(svc)
    for p in policies:
        health = _worse(health, _FROM_POLICY.get(p.health, HEALTH_FAIL))
    return StatusReport(
        profile=cfg.name,
        config_file=str(cfg.file),
        database=cfg.source.database.display,
        database_kind=cfg.source.database.kind,
        files=[str(p) for p in cfg.source.files],
        config_files=[str(p) for p in cfg.source.config_files],
        state_dir=str(svc.paths.state_dir),
        snapshot_count=len(snaps),
        newest_snapshot_id=newest.id if newest else None,
        newest_snapshot_at=newest.created_at if newest else None,
        newest_snapshot_age_s=age,
        volumes=volumes,
        health=health,
        problems=problems,
        running_jobs=running,
        policies=policies,
    )


def _journal_chain_problem(svc: ProfileService) -> str | None:
    """Only the entries appended since the last verification are checked (status stays cheap)."""
    from tui_backup.service import journal

    try:
        report = journal.verify_tail(svc)
    except Exception as exc:  # an unreadable journal is itself a failure to report
        return f"the change journal cannot be verified: {exc}"
    if report.ok:
        return None
    return f"the change journal is broken at entry {report.first_bad_seq}: {report.problem} (see `tui-backup journal verify`)"
