"""The service facade: one object per profile that every interface calls.

The CLI and the TUI hold no business logic: each action they offer is one method here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.config import Config, default_state_dir, load_config, resolve_config_path
from tui_backup.fsutil import make_private_dir
from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback, no_progress
from tui_backup.service import restore, snapshots, status
from tui_backup.service.restore import RestorePlan, RestoreResult
from tui_backup.service.snapshots import PruneDecision, VerifyResult
from tui_backup.service.status import StatusReport
from tui_backup.service.volumes import Volume, VolumeGuard, VolumeStatus
from tui_backup.sources import engine_for
from tui_backup.sources.base import DatabaseEngine

if TYPE_CHECKING:
    from tui_backup.destinations.base import Destination, RestorePoint
    from tui_backup.jobs.events import Finished
    from tui_backup.jobs.runner import Subscriber
    from tui_backup.service.backup_restore import (
        BackupRestorePlan,
        BackupRestoreResult,
        RestoreScope,
    )

CATALOG_NAME = "catalog.db"


@dataclass(frozen=True)
class ProfilePaths:
    state_dir: Path
    catalog: Path
    snapshots_dir: Path
    logs_dir: Path


def profile_paths(config: Config) -> ProfilePaths:
    state = config.profile.state_dir or default_state_dir(config.name)
    return ProfilePaths(
        state_dir=state,
        catalog=state / CATALOG_NAME,
        snapshots_dir=config.snapshots.dir or state / "snapshots",
        logs_dir=state / "logs",
    )


class ProfileService:
    """Everything the tool can do with one profile."""

    def __init__(self, config: Config, *, interface: str = "cli") -> None:
        self.config = config
        self.interface = interface
        self.paths = profile_paths(config)
        make_private_dir(self.paths.state_dir)
        self.catalog = Catalog(self.paths.catalog)
        self.guard = VolumeGuard(self.catalog, config.volumes.min_free_mb, config.name)
        job_rows.reap_dead_jobs(self.catalog)

    @classmethod
    def open(
        cls,
        profile: str | None = None,
        config: Path | str | None = None,
        *,
        interface: str = "cli",
        check_paths: bool = True,
    ) -> ProfileService:
        path = resolve_config_path(profile, config)
        return cls(load_config(path, check_paths=check_paths), interface=interface)

    def close(self) -> None:
        self.catalog.close()

    # ---- sources and volumes (layer 0) ----

    @property
    def database(self) -> DatabaseEngine:
        return engine_for(self.config)

    def volumes(self) -> list[Volume]:
        """Every volume the profile reads from or writes to."""
        src = self.config.source
        out: list[Volume] = []
        if src.database.kind == "sqlite" and src.database.path is not None:
            out.append(Volume("source.database", src.database.path, "source", is_file=True))
        for i, p in enumerate(src.files):
            out.append(Volume(f"source.files[{i}]", p, "source"))
        for i, p in enumerate(src.config_files):
            out.append(Volume(f"source.config_files[{i}]", p, "source", is_file=True))
        out.append(
            Volume(
                "snapshots",
                self.paths.snapshots_dir,
                "destination",
                auto_create=self.config.snapshots.dir is None,
            )
        )
        return out

    def volume(self, name: str) -> Volume:
        from tui_backup.errors import NotFoundError

        for v in self.volumes():
            if v.name == name:
                return v
        names = ", ".join(v.name for v in self.volumes())
        raise NotFoundError(f"no volume {name!r}", f"volumes of this profile: {names}")

    def volume_statuses(self) -> list[VolumeStatus]:
        return [self.guard.check(v) for v in self.volumes()]

    def adopt_volume(self, name: str) -> str:
        return self.guard.adopt(self.volume(name))

    # ---- layer 3: snapshots ----

    def create_snapshot(
        self,
        note: str = "",
        *,
        kind: str = "manual",
        progress: ProgressCallback = no_progress,
        cancel: CancelToken | None = None,
    ) -> SnapshotRecord:

        return snapshots.create_snapshot(self, note=note, kind=kind, progress=progress, cancel=cancel or CancelToken())

    def list_snapshots(self) -> list[SnapshotRecord]:

        return snapshots.list_snapshots(self)

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord:
        from tui_backup.catalog.snapshots import get_snapshot

        return get_snapshot(self.catalog, snapshot_id)

    def verify_snapshot(self, snapshot_id: str, *, progress: ProgressCallback = no_progress) -> VerifyResult:

        return snapshots.verify_snapshot(self, snapshot_id, progress=progress)

    def verify_all_snapshots(self, *, progress: ProgressCallback = no_progress) -> list[VerifyResult]:

        return snapshots.verify_all(self, progress=progress)

    def delete_snapshot(self, snapshot_id: str) -> SnapshotRecord:

        return snapshots.delete_snapshot(self, snapshot_id)

    def prune_snapshots(self, *, dry_run: bool = False) -> list[PruneDecision]:

        return snapshots.prune_snapshots(self, dry_run=dry_run)

    # ---- restore ----

    def plan_restore(self, snapshot_id: str, *, to: Path | None = None) -> RestorePlan:

        return restore.plan_restore(self, snapshot_id, to=to)

    def restore_snapshot(
        self,
        snapshot_id: str,
        *,
        to: Path | None = None,
        force: bool = False,
        progress: ProgressCallback = no_progress,
    ) -> RestoreResult:

        return restore.restore_snapshot(self, snapshot_id, to=to, force=force, progress=progress)

    # ---- layer 4: backups to destinations (service/backups.py) ----

    def destinations(self) -> list[Destination]:
        from tui_backup.service import backups

        return backups.destinations(self)

    def run_backup(
        self,
        name: str,
        type: str = "full",
        *subscribers: Subscriber,
        wait: bool = False,
        policy: str = "manual",
        timeout_s: float | None = None,
    ) -> Finished:
        from tui_backup.service import backups

        return backups.run_backup(self, name, type, subscribers, wait=wait, policy=policy, timeout_s=timeout_s)

    def list_restore_points(self, name: str) -> list[RestorePoint]:
        from tui_backup.service import backups

        return backups.list_restore_points(self, name)

    def init_destination(self, name: str, *subscribers: Subscriber) -> Finished:
        from tui_backup.service import backups

        return backups.init_destination(self, name, subscribers)

    def check_destination(
        self, name: str, *subscribers: Subscriber, read_data_subset: str | None = None
    ) -> Finished:
        from tui_backup.service import backups

        return backups.check_destination(self, name, subscribers, read_data_subset=read_data_subset)

    # ---- layer 4: restores from destinations (service/backup_restore.py) ----

    def plan_backup_restore(
        self, name: str, point: str = "latest", *subscribers: Subscriber, scope: RestoreScope | None = None,
        to: Path | None = None,
    ) -> BackupRestorePlan:  # fmt: skip
        from tui_backup.destinations import destination_named
        from tui_backup.service import backup_restore as br

        dest = destination_named(self.config, name)
        return br.plan_backup_restore(self, dest, point, scope=scope or br.RestoreScope(), to=to, subscribers=subscribers)

    def restore_backup(
        self, name: str, point: str = "latest", *subscribers: Subscriber, scope: RestoreScope | None = None,
        to: Path | None = None, force: bool = False,
    ) -> BackupRestoreResult:  # fmt: skip
        from tui_backup.destinations import destination_named
        from tui_backup.service import backup_restore as br

        dest = destination_named(self.config, name)
        return br.restore_backup(
            self, dest, point, scope=scope or br.RestoreScope(), to=to, force=force, subscribers=subscribers
        )

    # ---- status and jobs ----

    def status(self) -> StatusReport:

        return status.profile_status(self)

    def list_jobs(self, limit: int = 200) -> list[JobRecord]:
        return job_rows.list_jobs(self.catalog, limit)

    def get_job(self, job_id: int) -> JobRecord:
        return job_rows.get_job(self.catalog, job_id)

    def cancel_job(self, job_id: int) -> JobRecord:
        """Ask the process running job `job_id` (this one or another) to cancel it.

        Raises UsageError if the job is not running; see tui_backup.jobs.control.
        """
        from tui_backup.jobs import control

        return control.request_cancel(self.catalog, job_id)

    def wait_job(self, job_id: int, timeout: float = 60.0) -> JobRecord:
        """The job's row once it is no longer running (or after `timeout`)."""
        from tui_backup.jobs import control

        return control.wait_finished(self.catalog, job_id, timeout=timeout)

    def job_progress(self, job: JobRecord) -> Progress | None:
        """The latest progress a running job published (any process), or None."""
        from tui_backup.jobs import control

        return control.read_progress(job.log_path) if job.log_path and job.status == job_rows.RUNNING else None

