"""The service facade: one object per profile that every interface calls.

The CLI and the TUI hold no business logic: each action they offer is one method here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.config import Config, default_state_dir, load_config, resolve_config_path
from tui_backup.fsutil import make_private_dir, remove_stale_temporaries
from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback, no_progress
from tui_backup.service.volumes import Volume, VolumeGuard, VolumeStatus
from tui_backup.sources import engine_for
from tui_backup.sources.base import DatabaseEngine

if TYPE_CHECKING:
    # Imported where used, so a one-shot command loads only the layers it touches.
    from tui_backup.catalog.journal import JournalEntry
    from tui_backup.destinations.base import Destination, RestorePoint
    from tui_backup.jobs.events import Finished
    from tui_backup.jobs.runner import Subscriber
    from tui_backup.policies.model import Policy
    from tui_backup.service.backup_restore import (
        BackupRestorePlan,
        BackupRestoreResult,
        RestoreScope,
    )
    from tui_backup.service.config_edit import ConfigChange
    from tui_backup.service.db_changes import DbChanges
    from tui_backup.service.drill import DrillResult
    from tui_backup.service.export import ExportResult
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.history import FileHistory, VersionHolder
    from tui_backup.service.journal import VerifyReport as JournalVerifyReport
    from tui_backup.service.point_contents import PointContents
    from tui_backup.service.point_removal import PointRemoval
    from tui_backup.service.policy_edit import PolicyChange
    from tui_backup.service.policy_run import PolicyRunOutcome
    from tui_backup.service.prune import PrunePlan
    from tui_backup.service.restore import RestorePlan, RestoreResult
    from tui_backup.service.scheduler import RunDueReport
    from tui_backup.service.snapshots import PruneDecision, VerifyResult
    from tui_backup.service.stats import StatsReport
    from tui_backup.service.status import StatusReport
    from tui_backup.service.trash import TrashItem

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
        # A config edit killed mid-write leaves its temporary beside the file: the next run cleans it.
        if config.file:
            with contextlib.suppress(OSError):
                remove_stale_temporaries(Path(config.file).parent)
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

        from tui_backup.service import snapshots

        return snapshots.create_snapshot(self, note=note, kind=kind, progress=progress, cancel=cancel or CancelToken())

    def list_snapshots(self) -> list[SnapshotRecord]:

        from tui_backup.service import snapshots

        return snapshots.list_snapshots(self)

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord:
        from tui_backup.catalog.snapshots import get_snapshot

        return get_snapshot(self.catalog, snapshot_id)

    def verify_snapshot(self, snapshot_id: str, *, progress: ProgressCallback = no_progress) -> VerifyResult:

        from tui_backup.service import snapshots

        return snapshots.verify_snapshot(self, snapshot_id, progress=progress)

    def verify_all_snapshots(self, *, progress: ProgressCallback = no_progress) -> list[VerifyResult]:

        from tui_backup.service import snapshots

        return snapshots.verify_all(self, progress=progress)

    def delete_snapshot(self, snapshot_id: str) -> SnapshotRecord:

        from tui_backup.service import snapshots

        return snapshots.delete_snapshot(self, snapshot_id)

    def prune_snapshots(self, *, dry_run: bool = False) -> list[PruneDecision]:

        from tui_backup.service import snapshots

        return snapshots.prune_snapshots(self, dry_run=dry_run)

    # ---- layer 2: database row changes between snapshots (service/db_changes.py) ----

    def db_changes(self, old_id: str | None = None, new_id: str | None = None, *, keys: int = 10) -> DbChanges:
        """Rows inserted/updated/deleted per table and schema changes from OLD to NEW
        (defaults: the two newest snapshots that have a row index)."""
        from tui_backup.service import db_changes

        return db_changes.db_changes(self, old_id, new_id, keys=keys)

    # ---- data export (service/export.py) ----

    def export_data(
        self, fmt: str, *, tables: Sequence[str] = (), snapshot_id: str | None = None, out: Path | None = None,
        lines: bool = False,
    ) -> ExportResult:  # fmt: skip
        """Every table (or `tables`) of the live database, or of a snapshot, as CSV or JSON files."""
        from tui_backup.service import export

        return export.export_data(self, fmt, tables=tables, snapshot_id=snapshot_id, out=out, lines=lines)

    # ---- restore ----

    def plan_restore(self, snapshot_id: str, *, to: Path | None = None) -> RestorePlan:

        from tui_backup.service import restore

        return restore.plan_restore(self, snapshot_id, to=to)

    def restore_snapshot(
        self,
        snapshot_id: str,
        *,
        to: Path | None = None,
        force: bool = False,
        progress: ProgressCallback = no_progress,
    ) -> RestoreResult:

        from tui_backup.service import restore

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
        on_start: Callable[[], None] | None = None,
    ) -> Finished:
        from tui_backup.service import backups

        return backups.run_backup(self, name, type, subscribers, wait=wait, policy=policy, timeout_s=timeout_s,
                                  on_start=on_start)

    def list_restore_points(self, name: str) -> list[RestorePoint]:
        from tui_backup.service import backups

        return backups.list_restore_points(self, name)

    def remove_restore_points(self, name: str, point_ids: Sequence[str], *subscribers: Subscriber) -> PointRemoval:
        """Move restore points of destination `name` into its trash (layer 1), as one job."""
        from tui_backup.service.point_removal import remove_points

        return remove_points(self, name, point_ids, subscribers)

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

    # ---- F: the restore wizard (service/point_contents.py) ----

    def point_contents(self, destination: str, point: str) -> PointContents:
        """The files restore point `point` at `destination` holds (from its metadata.json)."""
        from tui_backup.service import point_contents

        return point_contents.list_point_paths(self, destination, point)

    # ---- layer 4: policies (tui_backup/policies/ holds the pure parts) ----

    def policies(self) -> tuple[Policy, ...]:
        return self.config.policies

    def policy(self, name: str) -> Policy:
        from tui_backup.errors import NotFoundError

        for p in self.config.policies:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.config.policies) or "none yet (add one with `tui-backup policy add`)"
        raise NotFoundError(f"no policy {name!r} in profile {self.config.name!r}", f"policies: {names}")

    def run_policy(
        self, name: str, *subscribers: Subscriber, trigger: str = "manual", slot: str | None = None, wait: bool = False
    ) -> PolicyRunOutcome:
        """One run of the policy: hooks, backup, retention, record, metrics, notifications.

        Under the policy's lock (the one run-due holds while it serves the policy), so "run
        now" from the TUI or the CLI never runs a policy that the daemon, run-due or another
        "run now" is running (busy: LockHeldError, or waits with `wait`)."""
        from tui_backup.service import policy_run
        from tui_backup.service.scheduler import policy_lock

        policy = self.policy(name)
        with policy_lock(self, policy.name).hold(wait=wait, what=f"policy run {policy.name}"):
            return policy_run.run_policy(self, policy, subscribers, trigger=trigger, slot=slot, wait=wait)

    def verify_policy(self, name: str, *subscribers: Subscriber) -> PolicyRunOutcome:
        """Check the policy's destination (restic check / metadata checksums), recorded as a run."""
        from tui_backup.service import policy_run

        return policy_run.verify_policy(self, self.policy(name), subscribers)

    def plan_prune(self, name: str) -> PrunePlan:
        """Every restore point of the policy with keep/remove and the rule that decided it."""
        from tui_backup.service import prune

        return prune.plan_prune(self, self.policy(name))

    def prune_policy(self, name: str, *subscribers: Subscriber, dry_run: bool = False) -> PrunePlan:
        from tui_backup.service import prune

        return prune.prune_policy(self, self.policy(name), subscribers, dry_run=dry_run)

    def drill_policy(self, name: str, *subscribers: Subscriber, trigger: str = "manual") -> DrillResult:
        """Restore the newest restore point into scratch space and prove it whole."""
        from tui_backup.service import drill

        return drill.drill_policy(self, self.policy(name), subscribers, trigger=trigger)

    def run_due(self, *subscribers: Subscriber, dry_run: bool = False) -> RunDueReport:
        """Run every active policy (and drill, verification) whose time has come."""
        from tui_backup.service import scheduler

        return scheduler.run_due(self, subscribers, dry_run=dry_run)

    def policy_statuses(self) -> list[PolicyStatus]:
        from tui_backup.service import health

        return health.policy_statuses(self)

    def stats(self) -> StatsReport:
        from tui_backup.service import stats

        return stats.profile_stats(self)

    # Config edits: validated before they are saved, written with tomlkit (comments kept).
    # Each returns what changed; the service's config is reloaded afterwards.

    def add_policy(self, table: dict[str, object]) -> PolicyChange:
        from tui_backup.service import policy_edit

        return policy_edit.add_policy(self, table)

    def edit_policy(self, name: str, changes: dict[str, object]) -> PolicyChange:
        from tui_backup.service import policy_edit

        return policy_edit.edit_policy(self, name, changes)

    def preview_policy_change(self, name: str | None, table: dict[str, object]) -> tuple[str, str]:
        """The config text before and after add_policy(table) (name None) or
        edit_policy(name, table), validated; nothing is written."""
        from tui_backup.service import policy_edit

        return policy_edit.preview_policy_change(self, name, table)

    def remove_policy(self, name: str) -> PolicyChange:
        from tui_backup.service import policy_edit

        return policy_edit.remove_policy(self, name)

    def set_policy_state(self, name: str, state: str) -> PolicyChange:
        """Pause ("paused") or resume ("active") a policy."""
        from tui_backup.service import policy_edit

        return policy_edit.set_policy_state(self, name, state)

    def reload_config(self) -> None:
        """Read the config file again (after an edit, or on SIGHUP in the daemon)."""
        self.config = load_config(self.config.file)

    # ---- C2: config.change (service/config_edit.py), a removed policy back from the trash ----

    def set_config_value(self, key: str, value: Any, *, raw: bool = False) -> ConfigChange:
        """Set `SECTION.KEY` (comments kept, validated, journaled as config.change);
        `raw=True` turns command-line text into the key's type."""
        from tui_backup.service import config_edit

        return config_edit.set_value(self, key, value, raw=raw)

    def restore_removed_policy(self, item_id: str, *, overwrite: bool = False) -> TrashItem:
        """Put a removed policy's block (trash item of kind "policy") back into the config."""
        from tui_backup.service import policy_edit

        return policy_edit.restore_from_trash(self, item_id, overwrite=overwrite)

    # ---- layer 2: the change journal (service/journal.py) ----

    def journal_record(self, action: str, target: str, details: dict[str, Any] | None = None) -> JournalEntry:
        from tui_backup.service import journal

        return journal.record(self, action, target, details)

    def journal_list(
        self, since: str | None = None, until: str | None = None, action: str | None = None,
        target_glob: str | None = None, limit: int = 50, before_seq: int | None = None,
    ) -> list[JournalEntry]:  # fmt: skip
        from tui_backup.service import journal

        return journal.list_entries(self, since, until, action, target_glob, limit, before_seq)

    def journal_entry(self, seq: int) -> JournalEntry:
        from tui_backup.service import journal

        return journal.get(self, seq)

    def journal_verify(self) -> JournalVerifyReport:
        from tui_backup.service import journal

        return journal.verify(self)

    def journal_export(self, fmt: str, out: Path | None = None) -> int:
        from tui_backup.service import journal

        return journal.export(self, fmt, out)

    # ---- layer 1: the trash (service/trash.py) ----

    def trash_put(self, path: Path | str, *, kind: str = "user", reason: str = "", job_id: int | None = None) -> TrashItem:
        from tui_backup.service import trash

        return trash.put(self, path, kind=kind, reason=reason, job_id=job_id)

    def trash_items(self, kind: str | None = None) -> list[TrashItem]:
        from tui_backup.service import trash

        return trash.list_items(self, kind)

    def trash_item(self, item_id: str) -> TrashItem:
        from tui_backup.service import trash

        return trash.get(self, item_id)

    def trash_restore(self, item_id: str, *, to: Path | str | None = None, overwrite: bool = False) -> TrashItem:
        from tui_backup.service import trash

        return trash.restore(self, item_id, to=to, overwrite=overwrite)

    def trash_purge(
        self, ids: list[str] | None = None, *, expired: bool = False, all_: bool = False
    ) -> list[TrashItem]:
        from tui_backup.service import trash

        return trash.purge(self, ids, expired=expired, all_=all_)

    # ---- file history (service/history.py) ----

    def file_history(self, path: Path | str, *, check: bool = False) -> FileHistory:
        """Every recorded version of a protected file, oldest first, with what still holds each."""
        from tui_backup.service import history

        return history.file_history(self, path, check=check)

    def bring_back_version(
        self, path: Path | str, holder: VersionHolder, *, to: Path | None = None, overwrite: bool = False
    ) -> Path:
        """Bring back the version `holder` holds (in place, or into directory `to`); where it is now."""
        from tui_backup.service import history

        return history.bring_back(self, path, holder, to=to, overwrite=overwrite)

    # ---- status and jobs ----

    def status(self) -> StatusReport:

        from tui_backup.service import status

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

