"""rsync `--info=progress2 --no-inc-recursive` records, `-ii` itemize lines and `--stats`.

A progress2 record (`\\r`-terminated; the runner's splitter handles that):
`     16,777,216   5%   58.82MB/s    0:00:04 (xfr#1, to-chk=2044/2046)`.
Its time field is the ETA on plain records and the elapsed time on `xfr#` records; the
suffix says `ir-chk=` instead of `to-chk=` while the file list is still being built
(without `--no-inc-recursive`): the totals are not final then, so no fraction is given.
With symlinks the percentage never reaches 100. Rates use 1024-based units.

Itemize lines (`-ii`) give the current file; `hf` ones are files hard-linked to the
`--link-dest` copy. `--stats`/`--info=stats2` totals are read into `RsyncStats`, whose
`bytes_linked` is the data not transferred (hard-linked with `--link-dest`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from tui_backup.jobs.events import Progress

_RECORD = re.compile(
    rb"^\s*(?P<bytes>[\d,]+)\s+(?P<pct>\d+)%\s+(?P<rate>[\d.]+)(?P<unit>[kMGT]?B)/s\s+"
    rb"(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)"
    rb"(?:\s+\((?:xfr#(?P<xfr>\d+), )?(?P<chk>to-chk|ir-chk)=(?P<left>\d+)/(?P<total>\d+)\))?\s*$"
)
_ITEMIZE = re.compile(r"^(?P<code>[<>ch.*][fdLDS][.+?a-zA-Z ]{9}|\*deleting ) +(?P<path>.+)$")
_STAT = re.compile(r"^(?P<key>[A-Z][A-Za-z ]+): (?P<value>[\d,]+)")
_UNITS = {b"B": 1.0, b"kB": 1024.0, b"MB": 1024.0**2, b"GB": 1024.0**3, b"TB": 1024.0**4}


@dataclass(frozen=True)
class RsyncRecord:
    """One progress2 record."""

    bytes_done: int
    percent: int
    rate: float  # bytes per second
    seconds: int  # ETA on plain records, elapsed on xfr records
    transfers: int | None  # xfr#N
    checked_final: bool  # to-chk (True) or ir-chk (False); None suffix counts as True
    to_check: int | None
    total_files: int | None

    @property
    def is_xfr(self) -> bool:
        return self.transfers is not None


def parse_record(line: bytes) -> RsyncRecord | None:
    """A progress2 record, or None if the line is not one."""
    m = _RECORD.match(line)
    if m is None:
        return None
    left, total = m["left"], m["total"]
    return RsyncRecord(
        bytes_done=int(m["bytes"].replace(b",", b"")),
        percent=int(m["pct"]),
        rate=float(m["rate"]) * _UNITS[m["unit"]],
        seconds=int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"]),
        transfers=int(m["xfr"]) if m["xfr"] is not None else None,
        checked_final=m["chk"] != b"ir-chk",
        to_check=int(left) if left is not None else None,
        total_files=int(total) if total is not None else None,
    )


@dataclass(frozen=True)
class RsyncStats:
    """The `--stats` totals (0 when a line was absent)."""

    files: int = 0
    created_files: int = 0
    deleted_files: int = 0
    regular_files_transferred: int = 0
    total_file_size: int = 0
    total_transferred_file_size: int = 0
    literal_data: int = 0
    matched_data: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0

    @property
    def bytes_linked(self) -> int:
        """Data present at the destination without being transferred (hard links with --link-dest)."""
        return max(0, self.total_file_size - self.total_transferred_file_size)


_STAT_FIELDS = {
    "Number of files": "files",
    "Number of created files": "created_files",
    "Number of deleted files": "deleted_files",
    "Number of regular files transferred": "regular_files_transferred",
    "Total file size": "total_file_size",
    "Total transferred file size": "total_transferred_file_size",
    "Literal data": "literal_data",
    "Matched data": "matched_data",
    "Total bytes sent": "bytes_sent",
    "Total bytes received": "bytes_received",
}


class RsyncParser:
    """Feed it rsync's lines; read `progress()`, `stats`, `linked_files`, `items`.

    `bytes_total`: the size of the source when the caller knows it (e.g. from a scan),
    which gives a better fraction than rsync's integer percentage.
    """

    def __init__(self, stage: str = "copying", bytes_total: int | None = None) -> None:
        self.stage = stage
        self.bytes_total = bytes_total
        self.record: RsyncRecord | None = None
        self.current = ""
        self.items = 0  # itemize lines seen
        self.linked_files = 0  # `hf` itemize lines: hard-linked to --link-dest
        self._stats: dict[str, int] = {}
        self._eta: float | None = None
        self._dirty = False
        self._started = time.monotonic()

    def stdout_line(self, line: bytes) -> bool:
        first = line[:1]
        if first == b" " or first.isdigit():
            rec = parse_record(line)
            if rec is not None:
                self.record = rec
                if not rec.is_xfr:
                    self._eta = float(rec.seconds)
                self._dirty = True
                return True
        text = line.decode("utf-8", "replace")
        m = _ITEMIZE.match(text)
        if m is not None:
            self.items += 1
            code = m["code"]
            if code.startswith("hf"):
                self.linked_files += 1
            path = m["path"]
            if code[1] == "L" and " -> " in path:
                path = path.split(" -> ", 1)[0]
            self.current = path
            self._dirty = True
            return False
        s = _STAT.match(text)
        if s is not None and s["key"] in _STAT_FIELDS:
            self._stats[_STAT_FIELDS[s["key"]]] = int(s["value"].replace(",", ""))
        return False

    def stderr_line(self, line: bytes) -> bool:
        return False

    @property
    def stats(self) -> RsyncStats | None:
        """The --stats totals, once rsync printed them."""
        return RsyncStats(**self._stats) if self._stats else None

    def progress(self) -> Progress | None:
        if not self._dirty:
            return None
        self._dirty = False
        rec = self.record
        if rec is None:
            return Progress(self.stage, None, 0, self.bytes_total, "", current=self.current)
        total = self.bytes_total
        fraction: float | None
        if total:
            fraction = min(rec.bytes_done / total, 1.0)
        elif rec.checked_final:
            fraction = rec.percent / 100.0
            total = int(rec.bytes_done * 100 / rec.percent) if rec.percent else None
        else:
            fraction = None  # ir-chk: rsync's totals are still growing
        eta = self._eta
        if rec.is_xfr and total and rec.rate > 0:
            eta = max(total - rec.bytes_done, 0) / rec.rate
        files_total = rec.total_files if rec.checked_final else None
        files_done = rec.total_files - rec.to_check if rec.total_files is not None and rec.to_check is not None else None
        return Progress(
            self.stage,
            fraction,
            rec.bytes_done,
            total,
            "",
            files_done,
            files_total,
            rec.rate,
            eta,
            self.current,
        )
