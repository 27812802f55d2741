"""Jobs: progress events now; the asyncio runner arrives with the destinations issue."""

from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["CancelToken", "Progress", "ProgressCallback", "no_progress"]
