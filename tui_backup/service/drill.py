"""Restore drills: prove that a policy's newest restore point can really be restored.

`drill_policy(svc, policy, subscribers, *, trigger)` runs one job of kind "drill" (so it
shows in the Jobs pane and `jobs list`), holding the destination's lock:

 1. the newest complete restore point this policy made at its destination (foreign
    points, made by another tool, are never drilled);
 2. restored into a private scratch directory under the state dir (0700, a temporary
    name so a crashed drill's leftovers are removed by the next one; always removed at
    the end) through the restore-from-destination machinery (service/backup_restore.py,
    its `to=` mode): every artifact's size and SHA-256 checked against metadata.json, a
    file metadata.json does not list refused, the database artifact decompressed and
    integrity-checked with the full check (SQLite `PRAGMA integrity_check`, PostgreSQL
    `pg_restore --list` and a full render) and its row counts compared;
 3. the restored tree compared with metadata.json's file list (missing / extra files,
    symlinks with another target);
 4. recorded as a policy run of kind DRILL (point, files checked, database, problems in
    its details), then `notify.after_run`: a failed drill is a failure notification.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.catalog import policy_runs
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.destinations.base import METADATA_NAME, Destination, RestorePoint
from tui_backup.errors import NotFoundError, SnapshotCorruptError, TuiBackupError
from tui_backup.fsutil import make_private_dir, remove_stale_temporaries, temp_path_for
from tui_backup.jobs.events import Finished, Progress
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, Subscriber, run_job_sync
from tui_backup.service import journal as _journal
from tui_backup.service.backup_restore import RestoreScope, _artifacts, _cleanup, _Fetched, _Restore
from tui_backup.service.tree_swap import walk_entries

if TYPE_CHECKING:
    from tui_backup.policies.model import Policy
    from tui_backup.service.profile import ProfileService

DRILLS_DIR = "drills"  # under the state dir: the drills' scratch directories
RESTORED = "restored"  # the restored tree inside one scratch directory
LAYOUT_TOPS = ("files", "config", "database")


@dataclass(frozen=True)
class DrillResult:
    policy: str
    point_id: str | None
    ok: bool
    checked_files: int
    problems: list[str]
    run: PolicyRun
    duration_s: float
    destination: str = ""
    database: str = ""  # what the database check said ("" when it did not get that far)
    proven_at: str | None = None  # catalog time of a successful drill
    hint: str = ""
    finished: Finished | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DrillFailed(SnapshotCorruptError):
    """The restore point did not restore as metadata.json says it should."""


@dataclass
class _Outcome:
    """What the job body found (filled as it goes, read after the job)."""

    point: RestorePoint | None = None
    checked_files: int = 0
    database: str = ""
    problems: list[str] = field(default_factory=list)


# ---- which restore point ----


def newest_point(svc: ProfileService, policy: Policy) -> RestorePoint:
    from tui_backup.service.prune import policy_points  # the points THIS policy made

    usable = [p for p in policy_points(svc, policy) if p.complete and not p.foreign]
    if not usable:
        raise NotFoundError(
            f"policy {policy.name} has no restore point at {policy.destination} to drill",
            f"make one first: tui-backup policy run {policy.name}",
        )
    return max(usable, key=lambda p: p.created_at)


# ---- the scratch directory ----


def scratch_parent(svc: ProfileService) -> Path:
    return svc.paths.state_dir / DRILLS_DIR


def _new_scratch(svc: ProfileService) -> Path:
    parent = make_private_dir(scratch_parent(svc))
    remove_stale_temporaries(parent)  # a drill that crashed (its process is gone)
    return make_private_dir(temp_path_for(parent / "drill"))


# ---- checking the restored tree ----


def compare_tree(restored: Path, meta: dict[str, Any], db_raw: str | None) -> tuple[int, list[str]]:
    """(files checked, problems): the restored tree against metadata.json's lists.

    `db_raw` is the decompressed database the restore placed beside its artifact (not in
    metadata.json: it is derived from the checked artifact)."""
    artifacts = _artifacts(meta)
    links: dict[str, str] = {}
    for link in meta.get("links") or ():
        if isinstance(link, dict) and isinstance(link.get("path"), str) and isinstance(link.get("target"), str):
            links[link["path"].strip("/")] = link["target"]
    present: dict[str, Path] = {}
    problems: list[str] = []
    for name in sorted(os.listdir(restored)):
        if name not in LAYOUT_TOPS and name != METADATA_NAME:
            problems.append(f"extra: {name} (not part of the backup layout)")
    for top in LAYOUT_TOPS:
        for name, path in walk_entries(restored / top):
            present[f"{top}/{name}" if name else top] = path
    checked = 0
    for rel in sorted(artifacts):
        got = present.get(rel)
        if got is None:
            problems.append(f"missing: {rel}")
        elif got.is_symlink() or not got.is_file():
            problems.append(f"not a regular file: {rel}")
        else:
            checked += 1
    for rel, target in sorted(links.items()):
        link_path = present.get(rel)
        if link_path is None:
            problems.append(f"missing: {rel} (a symlink)")
        elif not link_path.is_symlink() or os.readlink(link_path) != target:
            problems.append(f"changed: {rel} should be a symlink to {target}")
    known = set(artifacts) | set(links) | {f"database/{METADATA_NAME}"} | ({db_raw} if db_raw else set())
    problems += [f"extra: {rel} (not in {METADATA_NAME})" for rel in sorted(set(present) - known)]
    return checked, problems


def _database_check(svc: ProfileService, restored: Path, fetched: _Fetched) -> tuple[str, list[str]]:
    """What the database check proved, and a warning when it could not run."""
    if fetched.db_artifact is None:
        return "none in this restore point", []
    import json

    engine = svc.database
    try:
        snapmeta = json.loads((restored / "database" / METADATA_NAME).read_text(encoding="utf-8"))
        kind = str((snapmeta.get("source") or {}).get("kind", engine.kind))
    except (OSError, ValueError, AttributeError):
        kind = engine.kind
    if kind != engine.kind:
        # The machinery checks only a database of the profile's own kind.
        return "not checked", [f"the restore point holds a {kind} database, the profile's is {engine.kind}"]
    how = "PRAGMA integrity_check" if kind == "sqlite" else "pg_restore --list"
    rows = sum(fetched.db_tables.values())
    return f"ok ({how}; {len(fetched.db_tables)} tables, {rows} rows as recorded)", []


# ---- the drill ----


class _Drill:
    def __init__(self, svc: ProfileService, policy: Policy, dest: Destination, point: RestorePoint) -> None:
        self.svc = svc
        self.policy = policy
        self.dest = dest
        self.point = point
        self.out = _Outcome(point)

    async def body(self, ctx: JobContext) -> None:
        svc, point = self.svc, self.point
        ctx.log(f"drilling restore point {point.id} of policy {self.policy.name} ({point.created_at})")
        ctx.details.update({"policy": self.policy.name, "destination": self.dest.name, "point_id": point.id})
        scratch = _new_scratch(svc)
        ctx.details["scratch"] = str(scratch)
        ctx.log(f"restoring into the scratch directory {scratch}")
        try:
            restored = scratch / RESTORED
            restore = _Restore(svc, self.dest, point.id, RestoreScope(), restored, force=False)
            restore.full_check = True  # a drill always runs the full integrity check
            try:
                fetched = await restore.fetch(ctx)
            except SnapshotCorruptError as exc:
                self.out.problems.append(exc.message)
                raise self._failed() from None
            try:
                await ctx.in_thread(restore.place, ctx, fetched)
            finally:
                await ctx.in_thread(_cleanup, svc, fetched)
            assert fetched.meta is not None  # our own point: it has a metadata.json
            ctx.progress(Progress("comparing", None, message="comparing the restored files with metadata.json"))
            db_raw = fetched.db_artifact.removesuffix(".zst") if fetched.db_artifact else None
            checked, problems = await ctx.in_thread(compare_tree, restored, fetched.meta, db_raw)
            self.out.checked_files = checked
            self.out.problems += problems
            self.out.database, warnings = _database_check(svc, restored, fetched)
            for w in warnings:
                ctx.warn(w)
            if self.out.problems:
                raise self._failed()
            ctx.summary = (
                f"restore point {point.id} of {self.policy.name} is restorable: {checked} files checked,"
                f" database {self.out.database}"
            )
        finally:
            # Removed whatever happened (failure, cancel): a drill leaves nothing behind.
            shutil.rmtree(scratch, ignore_errors=True)

    def _failed(self) -> DrillFailed:
        problems = self.out.problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return DrillFailed(
            f"drill of {self.policy.name} failed: {problems[0]}{more}",
            f"restore point {self.point.id} at {self.dest.name} is damaged: make a new one"
            f" (`tui-backup policy run {self.policy.name}`) and check the destination"
            f" (`tui-backup policy verify {self.policy.name}`)",
        )


def drill_policy(
    svc: ProfileService,
    policy: Policy,
    subscribers: Iterable[Subscriber] = (),
    *,
    trigger: str = policy_runs.MANUAL,
    wait: bool | None = None,
) -> DrillResult:
    """Drill the policy's newest restore point; never raises for a failed drill (it is the
    result, recorded as a DRILL run and notified), only for a bug.

    `wait` for the destination's lock: by default only scheduled drills wait (a backup
    running there is no reason to report the policy unrestorable); a manual one says so."""
    if wait is None:
        wait = trigger != policy_runs.MANUAL
    started = time.monotonic()
    run_id = policy_runs.start_run(svc.catalog, policy.name, policy_runs.DRILL, trigger)
    drill: _Drill | None = None
    early: TuiBackupError | None = None
    try:
        from tui_backup.destinations import destination_named

        dest = destination_named(svc.config, policy.destination)
        drill = _Drill(svc, policy, dest, newest_point(svc, policy))
    except TuiBackupError as exc:
        early = exc  # no point, destination offline or unknown: a failed drill, as a job too

    async def fail_early(ctx: JobContext) -> None:
        assert early is not None
        raise early

    timeout = float(policy.timeout.seconds) if policy.timeout is not None else None
    spec = JobSpec(
        "drill", policy.name, drill.body if drill is not None else fail_early,
        lock=policy.destination if drill is not None else None, wait=wait, timeout_s=timeout,
    )  # fmt: skip
    finished = run_job_sync(JobRunner.for_profile(svc), spec, *subscribers)
    out = drill.out if drill is not None else _Outcome()
    problems = list(out.problems)
    if not finished.ok and not problems:
        problems.append(finished.error_message or finished.status)
    point_id = out.point.id if out.point is not None else None
    duration = round(time.monotonic() - started, 3)
    details: dict[str, Any] = {
        "destination": policy.destination, "checked_files": out.checked_files, "database": out.database,
        "problems": problems, "warnings": list(finished.warnings),
    }  # fmt: skip
    if finished.hint and not finished.ok:
        details["hint"] = finished.hint
    run = policy_runs.finish_run(
        svc.catalog, run_id, finished.status, job_id=finished.job_id or None, point_id=point_id,
        duration_s=duration, error_kind=finished.error_kind, error=finished.error_message if not finished.ok else None,
        details=details,
    )  # fmt: skip
    # Every drill: a failed one is a failure notification, a sound one after a failed one
    # a recovery (notify decides; a cancelled drill says nothing).
    _notify(svc, policy, run)
    _write_metrics(svc)
    _journal.try_record(svc, "drill", policy.name, {"ok": finished.ok, "point": point_id, "trigger": trigger, **details})
    return DrillResult(
        policy.name, point_id, finished.ok, out.checked_files, problems, run, duration,
        destination=policy.destination, database=out.database,
        proven_at=run.finished_at if finished.ok else None,
        hint=finished.hint or "", finished=finished,
    )  # fmt: skip


def _notify(svc: ProfileService, policy: Policy, run: PolicyRun) -> None:
    from tui_backup.service import notify

    notify.after_run(svc, policy, run)  # never raises (its contract)


def _write_metrics(svc: ProfileService) -> None:
    from tui_backup.service import metrics

    metrics.write_metrics(svc)  # never raises (its contract): "last proven" and health changed
