"""Journaling a destination or policy verification (`verify`, layer 2) with its outcome.

Targets: "dest:<name>" for `destination check`, "policy:<name>" for `policy verify` (which
checks the policy's destination and names it in the details: one entry per verification).
A check that could not even start (an offline drive, an unknown destination) is journaled
as failed too: the journal shows every attempt, not only the ones that ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_backup.errors import TuiBackupError
from tui_backup.service import journal as _journal

if TYPE_CHECKING:
    from tui_backup.jobs.events import Finished
    from tui_backup.service.profile import ProfileService

ACTION = "verify"


def outcome(finished: Finished | None, error: BaseException | None = None) -> dict[str, Any]:
    """ok, status, job, summary and (when it failed) the error, as journal details."""
    if finished is None:
        message = (
            error.message if isinstance(error, TuiBackupError) else str(error or "did not run")
        )
        return {"ok": False, "status": "failed", "job_id": None, "error": message}
    out: dict[str, Any] = {"ok": finished.ok, "status": finished.status, "job_id": finished.job_id}
    if finished.summary:
        out["summary"] = finished.summary
    if not finished.ok:
        out["error"] = finished.error_message or finished.status
        out["error_kind"] = finished.error_kind
    if finished.warnings:
        out["warnings"] = list(finished.warnings[:20])
    return out


def record(
    svc: ProfileService,
    target: str,
    finished: Finished | None,
    error: BaseException | None = None,
    **extra: Any,
) -> None:
    """Append the `verify` entry (never fails the verification itself)."""
    _journal.try_record(svc, ACTION, target, {**outcome(finished, error), **extra})


__all__ = ["ACTION", "outcome", "record"]
