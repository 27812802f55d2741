"""Long jobs the app starts run as detached `tui-backup` children (service/background.py).

Panes call `run_in_background` from a thread worker: it starts the child and follows it
until it ends, relaying the progress its job publishes to the pane's activity line. The
Jobs pane follows the same job through the catalog and its log, and says how it ended
(it reports the end of every job of another process). If the app quits meanwhile, the job
goes on (or is cancelled: screens/quit.py asks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.worker import get_current_worker

from tui_backup.service.background import BackgroundJobs, ChildResult, follow

if TYPE_CHECKING:
    from textual.app import App

    from tui_backup.catalog.jobs import JobRecord
    from tui_backup.jobs.events import Progress
    from tui_backup.service.profile import ProfileService


_REGISTRY_LOCK = threading.Lock()  # two panes' workers may start the first children at once


def background_jobs(app: App[Any], service: ProfileService) -> BackgroundJobs:
    """The app's registry of the children it started (made on first use)."""
    with _REGISTRY_LOCK:
        registry = getattr(app, "background_jobs", None)
        if not isinstance(registry, BackgroundJobs):
            registry = BackgroundJobs(service)
            app.background_jobs = registry  # type: ignore[attr-defined]
        return registry


def is_inner_job(app: App[Any], job: JobRecord) -> bool:
    """A step of a background job this app started (its main job's end is what is said)."""
    registry = getattr(app, "background_jobs", None)
    return isinstance(registry, BackgroundJobs) and registry.is_inner(job)


def run_in_background(
    app: App[Any], service: ProfileService, args: Sequence[str], on_progress: Callable[[Progress], object]
) -> ChildResult | None:
    """In a thread worker: run `tui-backup <args>` detached and wait for it (None: the worker
    was cancelled — the app is quitting — and the child goes on)."""
    worker = get_current_worker()
    child = background_jobs(app, service).start(args)
    return follow(service, child, on_progress=on_progress, should_stop=lambda: worker.is_cancelled)


__all__ = ["background_jobs", "is_inner_job", "run_in_background"]
