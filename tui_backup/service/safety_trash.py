"""Handing a finished restore's safety copies to the trash (layer 1).

While a restore runs, what it replaces waits in a safety area next to the live entry
(tree_swap.py), so a rollback is a rename back. Once the restore has succeeded, each
replaced entry becomes a trash item of kind "safety" whose original location is the LIVE
path it replaced: `tui-backup trash restore ID --overwrite` swaps the old version back in
(the restored one going to the trash in turn), and `history PATH` finds it by that path.
Failing to trash never fails the restore: the entry then stays in the safety area, which
the result names.

Areas next to the sources are found by looking there; an area made elsewhere (a restore
`--to DIR --force` moving DIR's entries aside) is registered as a symlink in
`<state>/safety-areas/` first, so a restore killed there is finished by the next run too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

KIND = "safety"
AREA_REGISTRY = "safety-areas"  # in the state dir: one symlink per area away from the sources


def _registry_entry(svc: ProfileService, area: Path) -> Path:
    digest = hashlib.sha256(str(area).encode()).hexdigest()[:16]
    return svc.paths.state_dir / AREA_REGISTRY / f"{area.name}-{digest}"


def register_area(svc: ProfileService, area: Path) -> None:
    """Make `area` findable by `recover_safety_areas` (call before moving anything into it)."""
    from tui_backup.fsutil import make_private_dir

    make_private_dir(svc.paths.state_dir / AREA_REGISTRY)
    entry = _registry_entry(svc, area)
    if not entry.is_symlink():
        entry.symlink_to(area)


def unregister_area(svc: ProfileService, area: Path) -> None:
    """Forget `area` once it is gone (an area still holding something stays registered)."""
    if not os.path.lexists(area):
        _registry_entry(svc, area).unlink(missing_ok=True)


def _registered_areas(svc: ProfileService) -> list[Path]:
    registry = svc.paths.state_dir / AREA_REGISTRY
    try:
        entries = [e for e in registry.iterdir() if e.is_symlink()]
    except OSError:
        return []
    areas: list[Path] = []
    for entry in entries:
        area = Path(os.readlink(entry))
        if not os.path.lexists(area):
            entry.unlink(missing_ok=True)
        elif entry.name.startswith(area.name + "-"):  # only what the registry says we made
            areas.append(area)
    return areas


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
    from tui_backup.service.tree_swap import drop_record, remove_empty_dirs

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
        if not problems:
            drop_record(area)
        remove_empty_dirs(area)
        if os.path.lexists(area):
            left.append(str(area))
    return Handoff(items, left, problems)


def recover_safety_areas(svc: ProfileService) -> list[str]:
    """Finish what SIGKILLed in-place restores left in safety areas next to the sources.

    Per recorded unit of an area whose job is no longer running: if the restored entry made it
    into place, the replaced one goes to the trash (as after a successful restore); if the live
    place is empty (killed between the two renames), the replaced one is renamed back. Either
    way every entry is in its place or in the trash. Returns what was done, for the job log."""
    from tui_backup.catalog import jobs as job_rows
    from tui_backup.service import journal, trash
    from tui_backup.service.tree_swap import (
        SAFETY_PREFIX,
        drop_record,
        read_record,
        remove_empty_dirs,
    )

    job_rows.reap_dead_jobs(svc.catalog)
    src = svc.config.source
    areas: list[Path] = []
    for parent in dict.fromkeys(p.parent for p in (*src.files, *src.config_files)):
        with contextlib.suppress(OSError):
            areas += [a for a in parent.iterdir() if a.name.startswith(SAFETY_PREFIX)]
    done: list[str] = []
    for area in dict.fromkeys([*areas, *_registered_areas(svc)]):
        job_id = area.name[len(SAFETY_PREFIX) :]
        if not area.name.startswith(SAFETY_PREFIX) or not job_id.isdigit() or not area.is_dir() or area.is_symlink():
            continue
        with contextlib.suppress(TuiBackupError):
            if job_rows.get_job(svc.catalog, int(job_id)).status == job_rows.RUNNING:
                continue  # a restore still at work (or one on another host)
        for rel, live in read_record(area):
            copy = area / rel
            if not os.path.lexists(copy):
                continue
            if os.path.lexists(live):
                item = trash.put(svc, copy, kind=KIND, reason=f"replaced by restore job {job_id} (interrupted)",
                                 job_id=int(job_id), original=live, details={"restore_job": int(job_id)})
                done.append(f"the replaced {live} is trash item {item.id} ({restore_command(item.id)})")
            else:
                os.makedirs(live.parent, exist_ok=True)
                os.rename(copy, live)
                done.append(f"put {live} back: restore job {job_id} was killed before replacing it")
                journal.try_record(svc, "restore.recovered", str(live),
                                   {"restore_job": int(job_id), "put_back_from": str(copy)})
        drop_record(area)
        remove_empty_dirs(area)
        unregister_area(svc, area)
    return done


__all__ = ["KIND", "Handoff", "recover_safety_areas", "register_area", "restore_command", "trash_replaced",
           "unregister_area"]
