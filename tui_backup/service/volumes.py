"""Layer 0: the volume guard.

Before any operation reads a source or writes a destination, the volume is checked: it
exists and is a directory, it is the volume it was when first used (a marker file with a
random id — an unplugged drive's empty mount point has no marker, so it is *offline*),
it is writable, and it has at least `min_free_mb` free. A refusal names the volume, says
what is wrong and how to fix it; nothing is written anywhere else instead.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from tui_backup.catalog import Catalog, utc_now
from tui_backup.catalog.volumes import get_volume, record_volume, touch_volume
from tui_backup.errors import VolumeError
from tui_backup.fsutil import atomic_write_text, make_private_dir

MARKER_NAME = ".tui-backup-volume"


class VolumeState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # marker missing: the drive is not there
    FOREIGN = "foreign"  # another volume's marker: a different drive is mounted there
    READ_ONLY = "read-only"
    LOW_SPACE = "low space"
    MISSING = "missing"  # the path does not exist or is not a directory/file as expected


@dataclass(frozen=True)
class Volume:
    """One place a profile reads from or writes to."""

    name: str  # e.g. "source.database", "snapshots"
    path: Path
    role: Literal["source", "destination"]
    is_file: bool = False  # a source that is a single file (the SQLite database, a config file)
    auto_create: bool = False  # a destination the tool owns (under the state dir): created on first use


@dataclass(frozen=True)
class VolumeStatus:
    name: str
    path: str
    role: str
    state: VolumeState
    free_bytes: int | None
    total_bytes: int | None
    detail: str
    hint: str

    @property
    def ok(self) -> bool:
        return self.state is VolumeState.ONLINE

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["state"] = str(self.state)
        return d


def _usage(path: Path) -> tuple[int, int, bool]:
    st = os.statvfs(path)
    read_only = bool(st.f_flag & os.ST_RDONLY)
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize, read_only


def _writable(path: Path) -> bool:
    """Writable for real: the mount flag, then the permission bits (root ignores those)."""
    _, _, read_only = _usage(path)
    return not read_only and os.access(path, os.W_OK | os.X_OK)


def read_marker(directory: Path) -> str | None:
    try:
        data = json.loads((directory / MARKER_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):
        return ""
    marker_id = data.get("id") if isinstance(data, dict) else None
    return marker_id if isinstance(marker_id, str) else ""


class VolumeGuard:
    def __init__(self, catalog: Catalog, min_free_mb: int, profile: str) -> None:
        self.catalog = catalog
        self.min_free_bytes = min_free_mb * 1024 * 1024
        self.profile = profile

    def check(self, volume: Volume) -> VolumeStatus:
        """The state of `volume`, without changing anything."""
        if volume.role == "source":
            return self._check_source(volume)
        return self._check_destination(volume, setup=False)

    def require(self, volume: Volume) -> VolumeStatus:
        """Check `volume` before use; raise VolumeError if it must not be touched.

        A destination used for the first time gets its marker here.
        """
        status = (
            self._check_source(volume) if volume.role == "source" else self._check_destination(volume, setup=True)
        )
        if not status.ok:
            raise _refusal(volume, status)
        return status

    def require_readable(self, volume: Volume) -> VolumeStatus:
        """Check `volume` before only reading from it (listing its restore points, checking
        them, restoring from it): a write-protected or full drive is fine to read from; an
        offline, foreign or missing one is refused all the same. Nothing is written (a
        destination gets no marker here)."""
        status = self.check(volume)
        if status.state not in READABLE_STATES:
            raise _refusal(volume, status)
        return status

    def _status(self, v: Volume, state: VolumeState, detail: str, hint: str, usage_path: Path | None) -> VolumeStatus:
        free = total = None
        if usage_path is not None:
            try:
                free, total, _ = _usage(usage_path)
            except OSError:
                pass
        return VolumeStatus(v.name, str(v.path), v.role, state, free, total, detail, hint)

    def _check_source(self, v: Volume) -> VolumeStatus:
        p = v.path
        if v.is_file:
            if not p.is_file():
                return self._status(
                    v, VolumeState.MISSING, "the file does not exist", "check the path in the profile's [source]", None
                )
            if not os.access(p, os.R_OK):
                return self._status(v, VolumeState.MISSING, "the file is not readable", "check its permissions", p.parent)
            return self._status(v, VolumeState.ONLINE, "readable", "", p.parent)
        if not p.is_dir():
            return self._status(
                v, VolumeState.MISSING, "the directory does not exist", "check the path, or mount its drive", None
            )
        if not os.access(p, os.R_OK | os.X_OK):
            return self._status(v, VolumeState.MISSING, "the directory is not readable", "check its permissions", p)
        return self._status(v, VolumeState.ONLINE, "readable", "", p)

    def _check_destination(self, v: Volume, *, setup: bool) -> VolumeStatus:
        p = v.path
        key = str(p)
        record = get_volume(self.catalog, key)
        if not p.exists():
            if v.auto_create and record is None and setup:
                make_private_dir(p)
            elif record is not None:
                return self._status(
                    v,
                    VolumeState.OFFLINE,
                    "the directory is gone (was its drive unplugged?)",
                    "plug in and mount the drive, then retry",
                    None,
                )
            elif v.auto_create:
                return self._status(v, VolumeState.ONLINE, "will be created on first use", "", _existing_parent(p))
            else:
                return self._status(
                    v,
                    VolumeState.MISSING,
                    "the directory does not exist",
                    f"create it with `mkdir -p -- {p}` (or mount its drive), then retry",
                    None,
                )
        if not p.is_dir():
            return self._status(v, VolumeState.MISSING, "it is not a directory", "point the config at a directory", None)
        marker = read_marker(p)
        if record is not None:
            if marker is None:
                return self._status(
                    v,
                    VolumeState.OFFLINE,
                    f"its marker {MARKER_NAME} is missing — this looks like an empty mount point",
                    "plug in and mount the drive that holds it, then retry "
                    f"(if the volume really was replaced, run `tui-backup volumes adopt {v.name}`)",
                    p,
                )
            if marker != record.marker_id:
                return self._status(
                    v,
                    VolumeState.FOREIGN,
                    "a different volume is mounted here (its marker id does not match)",
                    f"mount the right drive, or run `tui-backup volumes adopt {v.name}` to use this one",
                    p,
                )
        elif marker not in (None, "") and not setup:
            pass  # set up by another catalog (or before a catalog reset): adopted on first use
        if not _writable(p):
            return self._status(
                v, VolumeState.READ_ONLY, "it is mounted read-only or not writable", "remount it read-write, or fix its permissions", p
            )
        try:
            free, _, _ = _usage(p)
        except OSError as exc:
            return self._status(v, VolumeState.OFFLINE, f"cannot stat it: {exc.strerror}", "check the drive", None)
        if free < self.min_free_bytes:
            return self._status(
                v,
                VolumeState.LOW_SPACE,
                f"only {free // (1024 * 1024)} MB free, below min_free_mb = {self.min_free_bytes // (1024 * 1024)}",
                "free some space (e.g. `tui-backup snapshot prune`) or lower [volumes] min_free_mb",
                p,
            )
        if setup:
            if record is None:
                self._set_up(v, marker)
            else:
                touch_volume(self.catalog, key)
        return self._status(v, VolumeState.ONLINE, "writable", "", p)

    def _set_up(self, v: Volume, existing_marker: str | None) -> None:
        marker_id = existing_marker or secrets.token_hex(16)
        if not existing_marker:
            atomic_write_text(
                v.path / MARKER_NAME,
                json.dumps({"id": marker_id, "profile": self.profile, "volume": v.name, "created_at": utc_now()}) + "\n",
            )
        record_volume(self.catalog, str(v.path), v.name, marker_id, os.stat(v.path).st_dev)

    def adopt(self, v: Volume) -> str:
        """Accept whatever is mounted at `v.path` as the volume from now on."""
        if not v.path.is_dir():
            raise VolumeError(v.name, str(v.path), "missing", f"volume {v.name} ({v.path}) does not exist", "create or mount it first")
        marker = read_marker(v.path) or None
        self._set_up(v, marker)
        record = get_volume(self.catalog, str(v.path))
        assert record is not None
        return record.marker_id


# What can still be read from: the states that refuse only writing.
READABLE_STATES = (VolumeState.ONLINE, VolumeState.READ_ONLY, VolumeState.LOW_SPACE)


def _refusal(volume: Volume, status: VolumeStatus) -> VolumeError:
    return VolumeError(
        volume.name,
        str(volume.path),
        str(status.state),
        f"volume {volume.name} ({volume.path}) is {status.state}: {status.detail}",
        status.hint,
    )


def _existing_parent(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p
