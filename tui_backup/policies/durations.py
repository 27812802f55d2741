"""The two kinds of duration a policy is written with.

- `Span`: a calendar span for retention, in restic's own syntax so that what the tool
  keeps and what `restic forget --keep-within` keeps are the same: `1y6m14d2h`
  (y = years, m = MONTHS, d = days, h = hours; `w` = 7 days is accepted too). It is
  subtracted from a time the way restic does it (years and months by the calendar).
- `Interval`: a fixed length of time for `every`, timeouts and staleness: `90s`, `15m`
  (m = MINUTES here), `6h`, `2d`, `1w`, combinable (`1h30m`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_SPAN = re.compile(r"(\d+)([ymwdh])")
_INTERVAL = re.compile(r"(\d+)(s|m|h|d|w)")
_INTERVAL_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# The longest interval or span accepted: far beyond any schedule or retention, and short enough
# that adding it to a date never overflows Python's datetime (year 9999).
MAX_YEARS = 1000
MAX_SECONDS = MAX_YEARS * 366 * 86400


class DurationError(ValueError):
    pass


def _tokens(text: str, pattern: re.Pattern[str], what: str, example: str) -> list[tuple[int, str]]:
    s = text.strip().replace(" ", "")
    pos, out = 0, []
    while pos < len(s):
        m = pattern.match(s, pos)
        if m is None:
            raise DurationError(f"{text!r} is not {what} (for example {example})")
        out.append((int(m.group(1)), m.group(2)))
        pos = m.end()
    if not out:
        raise DurationError(f"{text!r} is not {what} (for example {example})")
    return out


@dataclass(frozen=True)
class Span:
    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0

    @classmethod
    def parse(cls, text: str) -> Span:
        y = mo = d = h = 0
        for n, unit in _tokens(text, _SPAN, "a span", '"14d", "1y6m" (m = months), "2w"'):
            if unit == "y":
                y += n
            elif unit == "m":
                mo += n
            elif unit == "w":
                d += 7 * n
            elif unit == "d":
                d += n
            else:
                h += n
        if y * 366 + mo * 31 + d + h / 24 > MAX_YEARS * 366:  # `before` would overflow the calendar
            raise DurationError(f"{text!r} is longer than {MAX_YEARS} years")
        return cls(y, mo, d, h)

    def text(self) -> str:
        """restic's form, e.g. "1y6m14d" (what `--keep-within` takes)."""
        parts = [f"{v}{u}" for v, u in ((self.years, "y"), (self.months, "m"), (self.days, "d"), (self.hours, "h")) if v]
        return "".join(parts) or "0h"

    def before(self, at: datetime) -> datetime:
        """`at` minus this span, as restic computes it: AddDate(-y, -m, -d) then -h."""
        year, month = at.year - self.years, at.month - self.months
        while month < 1:
            month += 12
            year -= 1
        # Go's AddDate normalises an overflowing day (Mar 31 - 1 month = Mar 3): do the same.
        first = at.replace(year=year, month=month, day=1)
        shifted = first + timedelta(days=at.day - 1)
        return shifted - timedelta(days=self.days, hours=self.hours)

    def words(self) -> str:
        names = (("year", self.years), ("month", self.months), ("day", self.days), ("hour", self.hours))
        return ", ".join(f"{v} {n}{'s' if v != 1 else ''}" for n, v in names if v) or "0 hours"


@dataclass(frozen=True)
class Interval:
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Interval:
        total = sum(
            n * _INTERVAL_SECONDS[u] for n, u in _tokens(text, _INTERVAL, "an interval", '"90s", "15m", "6h", "1d"')
        )
        if total <= 0:
            raise DurationError(f"{text!r} is not a positive interval")
        if total > MAX_SECONDS:  # date arithmetic (timedelta, datetime) overflows past this
            raise DurationError(f"{text!r} is longer than {MAX_YEARS} years")
        return cls(total)

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def text(self) -> str:
        out, rest = [], self.seconds
        for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            if rest >= size:
                out.append(f"{rest // size}{unit}")
                rest %= size
        return "".join(out)
