"""Handing a finished restore's safety copies to the trash (layer 1).

While a restore runs, what it replaces waits in a safety area next to the live entry
(tree_swap.py), so a rollback is a rename back. Once the restore has succeeded, each
replaced entry becomes a trash item of kind "safety" whose original location is the LIVE
path it replaced: `tui-backup trash restore ID --overwrite` swaps the old version back in
(the restored one going to the trash in turn), and `history PATH` finds it by that path.
Failing to trash never fails the restore: the entry then stays in the safety area, which
the result names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

KIND = "safety"


def restore_command(item_id: str) -> str:
    """The command that puts a safety copy back where the restore replaced it."""
    return f"tui-backup trash restore {item_id} --overwrite"


@dataclass(frozen=True)
class Handoff:
    """What went to the trash (`items`: id, original, stored, restore) and what is left."""

    items: list[dict[str, str]] = field(default_factory=list)
    left_in: list[str] = field(default_factory=list)  # safety areas still holding something
    problems: list[str] = field(default_factory=list)


def trash_replaced(
    svc: ProfileService,
    replaced: Iterable[tuple[Path, Path]],
    areas: Iterable[Path],
    *,
    job_id: int,
    log: Callable[[str], None] = lambda _m: None,
) -> Handoff:
    """Move each (live path, safety copy) into the trash, then drop the emptied areas."""
    from tui_backup.service import trash
    from tui_backup.service.tree_swap import remove_empty_dirs

    items: list[dict[str, str]] = []
    problems: list[str] = []
    for live, copy in replaced:
        try:
            item = trash.put(
                svc, copy, kind=KIND, reason=f"replaced by restore job {job_id}", job_id=job_id, original=live,
                details={"restore_job": job_id},
            )  # fmt: skip
        except (TuiBackupError, OSError) as exc:
            text = exc.message if isinstance(exc, TuiBackupError) else str(exc)
            problems.append(f"{live}: {text}")
            log(
                f"could not move the safety copy of {live} to the trash ({text}); it stays at {copy}"
            )
            continue
        items.append(
            {
                "id": item.id,
                "original": item.original,
                "stored": item.stored,
                "restore": restore_command(item.id),
            }
        )
        log(f"the replaced {live} is trash item {item.id} ({restore_command(item.id)})")
    left: list[str] = []
    for area in dict.fromkeys(areas):
        remove_empty_dirs(area)
        if os.path.lexists(area):
            left.append(str(area))
    return Handoff(items, left, problems)


__all__ = ["KIND", "Handoff", "restore_command", "trash_replaced"]
