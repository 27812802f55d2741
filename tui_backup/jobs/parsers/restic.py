"""restic `--json` output (0.14 to 0.18) as `Progress`, a summary and error items.

What restic prints (see REFERENCE.md): `status` lines on stdout whose fields are all
omitted when zero except `percent_done` (which may be the integer 0 or 1);
`seconds_remaining` can be absurd (2^63 with `--stdin`) and is clamped to "unknown";
restic 0.14 sends the scan-finished message as `message_type: status` with
`action: scan_finished` (with -vv); `verbose_status` per file (-vv); one `summary` on
success; `error` messages on **stderr**, mixed with plain text. Lines that are not JSON
are logged as they are.

Hot path (see benchmarks/runner.py): only lines starting with `{` can be JSON; `status`
lines (restic writes `message_type` first) are only remembered as bytes, and the newest
one is decoded when the runner asks for progress (~10 times a second), so a flood of
status lines costs a prefix test each. Anything unusual takes the full `json.loads` path.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tui_backup.jobs.events import Progress

MAX_ETA_S = 366 * 24 * 3600.0  # anything longer is restic not knowing
_STATUS = b'{"message_type":"status",'
_SCAN_FINISHED = b'{"message_type":"status","action"'
_VERBOSE = b'{"message_type":"verbose_status",'
_SUMMARY = b'{"message_type":"summary",'
_ERROR = b'{"message_type":"error",'


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class ResticJsonParser:
    """Feed it restic's lines; read `progress()`, `summary`, `errors`, `scan`."""

    def __init__(self, stage: str = "backing up") -> None:
        self.stage = stage
        self._summary: dict[str, Any] | bytes | None = None  # bytes until first read
        self._errors: list[dict[str, Any] | bytes] = []  # restic's `error` messages, decoded on read
        self.scan: dict[str, Any] | None = None  # the scan_finished message (with -vv)
        self.current = ""
        self._status: dict[str, Any] | None = None
        self._raw_status: bytes | None = None  # newest status line, decoded lazily
        self._raw_verbose: bytes | None = None  # newest verbose_status line, decoded lazily
        self._dirty = False
        self._started = time.monotonic()

    # -- lines --

    def stdout_line(self, line: bytes) -> bool:
        if line[:1] != b"{":
            return False
        if line.startswith(_STATUS) and not line.startswith(_SCAN_FINISHED):
            self._raw_status = line
            self._dirty = True
            return True
        if line.startswith(_VERBOSE):
            self._raw_verbose = line
            self._dirty = True
            return False
        if line.startswith(_SUMMARY):
            self._summary = line
            return False
        if line.startswith(_ERROR):
            self._errors.append(line)
            return False
        try:
            msg = json.loads(line)
        except ValueError:
            return False
        if type(msg) is not dict:
            return False
        kind = msg.get("message_type")
        if kind == "status":
            if "action" in msg:  # restic 0.14: scan_finished sent as a status
                self.scan = msg
                return False
            self._status = msg
            self._raw_status = None
            self._dirty = True
            return True
        if kind == "verbose_status":
            item = msg.get("item")
            if isinstance(item, str) and item:
                self.current = item
                self._dirty = True
            return False
        if kind == "summary":
            self._summary = msg
            return False
        if kind == "error":
            self._errors.append(msg)
        return False

    def stderr_line(self, line: bytes) -> bool:
        if line[:1] == b"{":
            self._errors.append(line)  # checked when read: only `error` messages are kept
        return False

    @property
    def summary(self) -> dict[str, Any] | None:
        """restic's `summary` message (success only)."""
        if isinstance(self._summary, bytes):
            self._summary = _loads_dict(self._summary)
        return self._summary

    @property
    def errors(self) -> list[dict[str, Any]]:
        """restic's `error` messages ({"error": ..., "during": ..., "item": ...})."""
        decoded = [_loads_dict(e) if isinstance(e, bytes) else e for e in self._errors]
        self._errors = [e for e in decoded if e is not None and e.get("message_type") == "error"]
        return list(self._errors)  # type: ignore[arg-type]

    # -- results --

    @property
    def error_items(self) -> tuple[str, ...]:
        """Paths restic could not read, in order, without repeats."""
        seen: dict[str, None] = {}
        for e in self.errors:
            item = e.get("item")
            if isinstance(item, str) and item:
                seen.setdefault(item, None)
        return tuple(seen)

    @property
    def snapshot_id(self) -> str | None:
        sid = (self.summary or {}).get("snapshot_id")
        return sid if isinstance(sid, str) else None

    def progress(self) -> Progress | None:
        if not self._dirty:
            return None
        self._dirty = False
        if self._raw_status is not None:
            self._status = _loads_dict(self._raw_status) or self._status
            self._raw_status = None
        if self._raw_verbose is not None:
            item = (_loads_dict(self._raw_verbose) or {}).get("item")
            if isinstance(item, str) and item:
                self.current = item
            self._raw_verbose = None
        return status_to_progress(self._status or {}, self.stage, self.current, time.monotonic() - self._started)


def _loads_dict(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if type(value) is dict else None


def status_to_progress(status: dict[str, Any], stage: str = "backing up", current: str = "",
                       wall_elapsed: float | None = None) -> Progress:
    """One restic `status` message as a Progress (zero fields may be absent)."""
    fraction = _num(status.get("percent_done"))
    if fraction is not None:
        fraction = min(max(fraction, 0.0), 1.0)
    bytes_done = int(status.get("bytes_done") or 0)
    total = status.get("total_bytes")
    bytes_total = int(total) if isinstance(total, int) and total > 0 else None
    files_done = int(status.get("files_done") or 0)
    ft = status.get("total_files")
    files_total = int(ft) if isinstance(ft, int) and ft > 0 else None
    elapsed = _num(status.get("seconds_elapsed")) or wall_elapsed
    rate = bytes_done / elapsed if elapsed and elapsed > 0 and bytes_done else None
    eta = _num(status.get("seconds_remaining"))
    if eta is not None and not 0 <= eta <= MAX_ETA_S:
        eta = None
    if eta is None and rate and bytes_total is not None and bytes_total >= bytes_done:
        eta = (bytes_total - bytes_done) / rate
    if bytes_total is None and fraction == 0.0:
        fraction = None  # --stdin: restic cannot know how far along it is
    files = status.get("current_files")
    if isinstance(files, list) and files and isinstance(files[0], str):
        current = files[0]
    return Progress(
        stage,
        fraction,
        bytes_done,
        bytes_total,
        "",
        files_done,
        files_total,
        rate,
        eta,
        current,
    )


def parse_restic_json_lines(data: bytes) -> list[dict[str, Any]]:
    """Every JSON object line of a whole output (for `snapshots --json` style one-shot reads)."""
    out: list[dict[str, Any]] = []
    for line in data.splitlines():
        line = line.strip()
        if line[:1] in (b"{", b"["):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
            elif isinstance(value, list):
                out.extend(v for v in value if isinstance(v, dict))
    return out
