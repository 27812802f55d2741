"""Recording a job in the catalog with its own log file."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.errors import CancelledError, TuiBackupError
from tui_backup.fsutil import FILE_MODE, make_private_dir


@dataclass
class JobContext:
    """Handed to the body of a job: log lines go to the job's log file."""

    id: int
    log_path: Path
    bytes_done: int = 0
    summary: str = ""
    warnings: list[str] = field(default_factory=list)
    _logger: logging.Logger | None = None

    def log(self, message: str) -> None:
        if self._logger is not None:
            self._logger.info(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if self._logger is not None:
            self._logger.warning(message)


@contextmanager
def recorded_job(catalog: Catalog, logs_dir: Path, kind: str, target: str, interface: str) -> Iterator[JobContext]:
    """Run the body as a job: a catalog row (running → succeeded/failed/cancelled) and a log file."""
    make_private_dir(logs_dir)
    job_id = job_rows.start_job(catalog, kind, target, interface)
    log_path = logs_dir / f"job-{job_id:06d}-{kind}.log"
    log_path.touch(mode=FILE_MODE)
    log_path.chmod(FILE_MODE)
    job_rows.set_log_path(catalog, job_id, str(log_path))
    logger = logging.getLogger(f"tui_backup.job.{job_id}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    ctx = JobContext(job_id, log_path, _logger=logger)
    started = time.monotonic()
    ctx.log(f"{kind} {target}: started")
    try:
        yield ctx
    except CancelledError as exc:
        ctx.log(f"cancelled: {exc.message}")
        job_rows.finish_job(catalog, job_id, job_rows.CANCELLED, duration_s=time.monotonic() - started, error=exc.message)
        raise
    except TuiBackupError as exc:
        ctx.log(f"failed: {exc.message}")
        job_rows.finish_job(
            catalog, job_id, job_rows.FAILED, duration_s=time.monotonic() - started, bytes_done=ctx.bytes_done, error=exc.message
        )
        raise
    except BaseException as exc:
        ctx.log(f"failed: {type(exc).__name__}: {exc}")
        job_rows.finish_job(
            catalog, job_id, job_rows.FAILED, duration_s=time.monotonic() - started, bytes_done=ctx.bytes_done,
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    else:
        ctx.log(f"succeeded: {ctx.summary}")
        job_rows.finish_job(
            catalog, job_id, job_rows.SUCCEEDED, duration_s=time.monotonic() - started, bytes_done=ctx.bytes_done,
            summary=ctx.summary or None,
        )
    finally:
        logger.removeHandler(handler)
        handler.close()
