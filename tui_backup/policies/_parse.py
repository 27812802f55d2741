"""`[[policy]]` tables -> validated `Policy` objects (and the destinations declared inline).

Every key of a policy is described once in the `*_KEYS` tables below; they drive the
checks here and the README's configuration reference (scripts/gen_config_reference.py).
A bad policy is a ConfigError naming the file, the line and the dotted key
(`policy.nightly.retention.keep_daily`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from tui_backup.config._load import describe_value
from tui_backup.config._schema import Key
from tui_backup.config.locations import PROFILE_NAME_RE
from tui_backup.config.models import DestinationConfig
from tui_backup.errors import ConfigError
from tui_backup.policies.durations import DurationError, Interval, Span
from tui_backup.policies.model import (
    FREQUENCIES,
    WEEKDAYS,
    Hook,
    HookErrorPolicy,
    Hooks,
    NotifyEvent,
    NotifySpec,
    Policy,
    PolicyState,
    RetentionSpec,
    ScheduleSpec,
)

INCLUDES: tuple[str, ...] = ("full", "database", "files", "config")
NOTIFY_EVENTS: tuple[str, ...] = ("failure", "recovery", "stale", "success")
HOOK_ERROR_POLICIES: tuple[str, ...] = ("fail", "ignore", "skip")
DEFAULT_DRILL_EVERY = Interval(7 * 86400)
DEFAULT_HOOK_TIMEOUT_S = 300.0
MIN_EVERY_S = 60  # `every` shorter than a minute would keep the scheduler spinning
NEVER = ("", "never")  # what turns drill_every / verify_every off

POLICY_KEYS: tuple[Key, ...] = (
    Key("name", "str", None, "Name of the policy in commands (letters, digits, - and _; unique).", required=True),
    Key(
        "destination",
        "str",
        None,
        "A [[destination]] name, or an inline [policy.destination] table (type + that type's keys),"
        " registered under the policy's name.",
        required=True,
        doc_type="string or table",
    ),
    Key("include", "choice", "full", "What each backup holds.", choices=INCLUDES),
    Key("state", "choice", "active", 'Whether the scheduler runs it ("paused": manual runs only).',
        choices=("active", "paused")),
    Key("frequency", "choice", None, "Calendar schedule (one of frequency, cron, every; none = manual runs only).",
        choices=FREQUENCIES),
    Key("time", "str", "02:00", "HH:MM local time of a daily, weekly, monthly or yearly run.", doc_type="string (HH:MM)"),
    Key("weekday", "choice", "sunday", "Day of a weekly run: monday ... sunday (or mon ... sun).", choices=WEEKDAYS,
        doc_type="string (a weekday)"),
    Key("day", "int", 1, "Day of the month of a monthly or yearly run (past a short month's end: its last day).",
        minimum=1, maximum=31),
    Key("month", "int", 1, "Month of a yearly run.", minimum=1, maximum=12),
    Key("minute", "int", 0, "Minute past the hour of an hourly run.", minimum=0, maximum=59),
    Key("cron", "str", None, 'A 5-field cron expression, e.g. "0 3 * * 1-5".'),
    Key("every", "interval", None, 'A fixed interval counted from the last run, e.g. "6h" (at least 1m).'),
    Key("timezone", "str", None, 'IANA time zone of the schedule, e.g. "Europe/Paris" (unset = the machine\'s).'),
    Key("timeout", "interval", None, 'Cancel a run that takes longer than this, e.g. "2h" (unset = no limit).'),
    Key("verify_every", "interval", None, 'Check the destination\'s integrity this often, e.g. "30d" (unset = never).'),
    Key("verify_read_data_subset", "str", None, 'restic: also read this part of the data when verifying ("10%", "1/5").'),
    Key("drill_every", "interval", "7d", 'Restore drill of the newest restore point this often ("never" = none).'),
    Key("stale_after", "interval", None, "Warn when no backup succeeded for this long (unset = derived from the schedule)."),
    Key("retention", "table", None, "[policy.retention]: which restore points to keep (see below; none = keep all)."),
    Key("hooks", "table", None, "[policy.hooks]: commands run before and after each run (see below)."),
    Key("notify", "table", None, "[policy.notify]: this policy's notifications, added to the global [notify]."),
)

RETENTION_KEYS: tuple[Key, ...] = (
    Key("keep_last", "int", None, "Keep the newest N restore points.", minimum=1),
    Key("keep_within", "span", None, 'Keep every point within this span of the newest one, e.g. "14d".'),
    Key("keep_hourly", "int", None, "Keep the newest point of each of the last N hours that have one.", minimum=1),
    Key("keep_daily", "int", None, "... of each of the last N days.", minimum=1),
    Key("keep_weekly", "int", None, "... of each of the last N weeks.", minimum=1),
    Key("keep_monthly", "int", None, "... of each of the last N months.", minimum=1),
    Key("keep_yearly", "int", None, "... of each of the last N years.", minimum=1),
    Key("keep_within_hourly", "span", None, "Keep one point per hour within this span of the newest."),
    Key("keep_within_daily", "span", None, "Keep one point per day within this span of the newest."),
    Key("keep_within_weekly", "span", None, 'Keep one point per week within this span, e.g. "74d".'),
    Key("keep_within_monthly", "span", None, "Keep one point per month within this span of the newest."),
    Key("keep_within_yearly", "span", None, "Keep one point per year within this span of the newest."),
    Key("max_age", "span", None, 'Remove points older than this (from now), e.g. "90d".'),
    Key("max_count", "int", None, "Never keep more than the newest N points.", minimum=1),
)

HOOKS_KEYS: tuple[Key, ...] = (
    Key("before", "str", None, "Run before the backup (a hook that fails aborts the run, see on_error).",
        doc_type="hook(s)"),
    Key("after", "str", None, "Run after a successful backup.", doc_type="hook(s)"),
    Key("on_failure", "str", None, "Run after a failed backup.", doc_type="hook(s)"),
)

HOOK_KEYS: tuple[Key, ...] = (
    Key("run", "str", None, "The command: an argv list, or a string run with sh -c.", required=True,
        doc_type="list of strings or string"),
    Key("on_error", "choice", "fail", '"fail" aborts the run, "ignore" goes on, "skip" skips the run without'
        " counting it as a failure (e.g. a drive that is not plugged in).", choices=HOOK_ERROR_POLICIES),
    Key("timeout", "interval", "5m", "Kill the hook after this long."),
)

NOTIFY_KEYS: tuple[Key, ...] = (
    Key("urls", "str_list", [], "Apprise URLs notified for this policy (in addition to [notify] urls)."),
    Key("on", "str_list", ["failure", "recovery", "stale"], "Which events notify.", choices=NOTIFY_EVENTS),
    Key("ping_url", "str", "", 'Healthchecks-style URL: <url>/start, <url> on success, <url>/fail ("" = none).'),
)

_SUBSET_FRACTION = re.compile(r"^(\d{1,9})/(\d{1,9})$")
_SUBSET_PERCENT = re.compile(r"^(\d{1,3}(?:\.\d{1,6})?)%$")
_SUBSET_SIZE = re.compile(r"^(\d{1,15})[KMGT]?$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_WEEKDAY_ALIASES = {d[:3]: d for d in WEEKDAYS}


def parse_policies(
    tables: Sequence[dict[str, Any]],
    file: str,
    text: str,
    destinations: Sequence[DestinationConfig],
    *,
    base: Path | None = None,
    profile: str = "",
) -> tuple[tuple[Policy, ...], tuple[DestinationConfig, ...]]:
    """Validate every `[[policy]]` table; return the policies and the inline destinations
    (a DestinationConfig named after its policy, checked by its type's module)."""
    parser = _Parser(file, text, destinations, base or Path(file).parent, profile)
    policies: list[Policy] = []
    inline: list[DestinationConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(tables):
        policy, dest = parser.policy(i, table)
        if policy.name in seen:
            raise parser.error(i, policy.name, ["name"], f"duplicate policy name {policy.name!r}",
                               "each policy needs its own name")
        seen.add(policy.name)
        policies.append(policy)
        if dest is not None:
            inline.append(dest)
    return tuple(policies), tuple(inline)


class _Parser:
    def __init__(self, file: str, text: str, destinations: Sequence[DestinationConfig], base: Path,
                 profile: str) -> None:  # fmt: skip
        self.file = file
        self.lines = text.splitlines()
        self.destinations = {d.name: d for d in destinations}
        self.base = base
        self.profile = profile
        self.headers = [i for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*policy\s*\]\]", line)]

    # ---- where things are: best-effort lines for messages ----

    def region(self, i: int) -> tuple[int, int]:
        """0-based [start, end) of the lines of the i-th `[[policy]]` (its sub-tables included)."""
        if i >= len(self.headers):
            return (0, 0)
        start = self.headers[i]
        end = len(self.lines)
        for j in range(start + 1, len(self.lines)):
            m = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]", self.lines[j])
            if m and not m.group(1).startswith("policy."):
                end = j
                break
        return (start, end)

    def locate(self, i: int, path: Sequence[str]) -> int | None:
        start, end = self.region(i)
        if start == end:
            return None
        blocks: list[tuple[str, int, int]] = []  # (table name, first line, end)
        name, first = "policy", start
        for j in range(start + 1, end):
            m = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]", self.lines[j])
            if m:
                blocks.append((name, first, j))
                name, first = m.group(1).replace(" ", ""), j
        blocks.append((name, first, end))
        for k in range(len(path) - 1, -1, -1):
            table = ".".join(["policy", *path[:k]])
            keys = [".".join(path[k:])] + ([path[k]] if k < len(path) - 1 else [])
            patterns = [re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=") for key in keys]
            for bname, bfirst, bend in blocks:
                if bname == table:
                    for j in range(bfirst + 1, bend):
                        if any(p.match(self.lines[j]) for p in patterns):
                            return j + 1
            sub = ".".join(["policy", *path[: k + 1]])  # its own [policy.x] header
            for bname, bfirst, _ in blocks:
                if bname == sub:
                    return bfirst + 1
        return start + 1

    def error(self, i: int, label: str, path: Sequence[str], problem: str, hint: str = "") -> ConfigError:
        key = ".".join(["policy", label, *path])
        return ConfigError(self.file, problem, key=key, line=self.locate(i, path), hint=hint)

    # ---- one policy ----

    def policy(self, i: int, table: dict[str, Any]) -> tuple[Policy, DestinationConfig | None]:
        raw_name = table.get("name")
        label = raw_name if isinstance(raw_name, str) and PROFILE_NAME_RE.match(raw_name) else f"[{i + 1}]"
        v = _Values(self, i, label)
        v.known(table, POLICY_KEYS, [])
        name = v.get(table, POLICY_KEYS, "name", [])
        if not PROFILE_NAME_RE.match(name):
            raise v.err(["name"], f"invalid policy name {name!r}",
                        "use letters, digits, '-' and '_' (at most 64 characters)")
        dest_name, inline = self.destination(v, name, table.get("destination"))
        schedule = self.schedule(v, table)
        drill = table.get("drill_every", "7d")
        verify = table.get("verify_every")
        policy = Policy(
            name=name,
            destination=dest_name,
            include=v.get(table, POLICY_KEYS, "include", []),
            state=cast(PolicyState, v.get(table, POLICY_KEYS, "state", [])),
            schedule=schedule,
            retention=self.retention(v, table.get("retention")),
            hooks=self.hooks(v, table.get("hooks")),
            timeout=v.get(table, POLICY_KEYS, "timeout", []),
            verify_every=None if verify in NEVER else v.get(table, POLICY_KEYS, "verify_every", []),
            verify_read_data_subset=self.data_subset(v, table),
            drill_every=None if drill in NEVER else v.get(table, POLICY_KEYS, "drill_every", []),
            stale_after=v.get(table, POLICY_KEYS, "stale_after", []),
            notify=self.notify(v, table.get("notify"), ["notify"]),
            file=self.file,
            line=self.headers[i] + 1 if i < len(self.headers) else None,
        )
        return policy, inline

    def data_subset(self, v: _Values, table: dict[str, Any]) -> str | None:
        """restic's `--read-data-subset` forms: n/t (1 <= n <= t), x% (0 < x <= 100), or a size
        (x, xK, xM, xG, xT): checked here so a typo fails at load, not at the next verify."""
        text: str | None = v.get(table, POLICY_KEYS, "verify_read_data_subset", []) or None
        if text is None:
            return None
        frac, pct, size = _SUBSET_FRACTION.match(text), _SUBSET_PERCENT.match(text), _SUBSET_SIZE.match(text)
        ok = (frac is not None and 1 <= int(frac[1]) <= int(frac[2])) or (
            pct is not None and 0 < float(pct[1]) <= 100) or (size is not None and int(size[1]) > 0)
        if not ok:
            raise v.err(["verify_read_data_subset"], f"{text!r} is not n/t, x% or a size",
                        _key(POLICY_KEYS, "verify_read_data_subset").help)
        return text

    def destination(self, v: _Values, name: str, raw: Any) -> tuple[str, DestinationConfig | None]:
        if raw is None:
            raise v.err([], "missing required key 'destination'",
                        'set destination = "NAME" (a [[destination]]) or add a [policy.destination] table')
        if isinstance(raw, str):
            if raw not in self.destinations:
                names = ", ".join(self.destinations) or "none declared"
                raise v.err(["destination"], f"unknown destination {raw!r}",
                            f"[[destination]] names: {names}; or describe it inline in a [policy.destination] table")
            return raw, None
        if not isinstance(raw, dict):
            raise v.err(["destination"], f"must be a destination name or a table, not {describe_value(raw)}",
                        'e.g. destination = "usb"')
        if name in self.destinations:
            raise v.err(["destination"], f"the inline destination would be named {name!r}, like a [[destination]]",
                        "rename the policy or the [[destination]], or refer to it by name")
        if "name" in raw:
            raise v.err(["destination", "name"], "an inline destination takes the policy's name",
                        "remove this key")
        type_ = raw.get("type")
        if not isinstance(type_, str):
            raise v.err(["destination", "type"], "missing required key 'type'",
                        'set type = "local", "rsync" or "restic"')
        start, _ = self.region(v.i)
        dest = DestinationConfig(
            name=name,
            type=type_,
            table={k: val for k, val in raw.items() if k != "type"},
            file=self.file,
            base=self.base,
            where=f"policy.{name}.destination",
            line=self.locate(v.i, ["destination"]) or (start + 1),
            profile=self.profile,
        )
        from tui_backup.destinations import check_destination_config

        check_destination_config(dest)
        return name, dest

    def schedule(self, v: _Values, table: dict[str, Any]) -> ScheduleSpec:
        kinds = [k for k in ("frequency", "cron", "every") if k in table]
        if len(kinds) > 1:
            raise v.err([kinds[1]], f"{' and '.join(kinds)} are both set",
                        "a policy has one schedule: frequency, cron or every")
        frequency = v.get(table, POLICY_KEYS, "frequency", [])
        applies = {
            "time": ("daily", "weekly", "monthly", "yearly"),
            "weekday": ("weekly",),
            "day": ("monthly", "yearly"),
            "month": ("yearly",),
            "minute": ("hourly",),
        }
        for key, freqs in applies.items():
            if key in table and frequency not in freqs:
                raise v.err([key], f"{key} applies only to frequency = {' or '.join(repr(f) for f in freqs)}",
                            "remove it, or set the frequency it belongs to")
        time_text = v.get(table, POLICY_KEYS, "time", [])
        m = _TIME.match(time_text)
        if m is None:
            raise v.err(["time"], f"{time_text!r} is not a time of day", 'write it as HH:MM, e.g. "02:00"')
        weekday_raw = table.get("weekday", "sunday")
        weekday_name = _WEEKDAY_ALIASES.get(weekday_raw.lower(), weekday_raw.lower()) if isinstance(
            weekday_raw, str) else weekday_raw  # fmt: skip
        weekday = v.check(weekday_name, _key(POLICY_KEYS, "weekday"), ["weekday"])
        cron = v.get(table, POLICY_KEYS, "cron", [])
        if cron is not None:
            _check_cron(v, cron)
        every = v.get(table, POLICY_KEYS, "every", [])
        if every is not None and every.seconds < MIN_EVERY_S:
            raise v.err(["every"], f"{table['every']!r} is shorter than a minute", 'e.g. every = "15m"')
        zone = v.get(table, POLICY_KEYS, "timezone", [])
        if zone is not None:
            _check_zone(v, zone)
        return ScheduleSpec(
            frequency=frequency,
            time=f"{int(m.group(1)):02d}:{m.group(2)}",
            weekday=WEEKDAYS.index(weekday),
            day=v.get(table, POLICY_KEYS, "day", []),
            month=v.get(table, POLICY_KEYS, "month", []),
            minute=v.get(table, POLICY_KEYS, "minute", []),
            cron=" ".join(cron.split()) if cron is not None else None,
            every=every,
            timezone=zone,
        )

    def retention(self, v: _Values, raw: Any) -> RetentionSpec:
        if raw is None:
            return RetentionSpec()
        if not isinstance(raw, dict):
            raise v.err(["retention"], f"must be a table, not {describe_value(raw)}",
                        "write it as a [policy.retention] section")
        v.known(raw, RETENTION_KEYS, ["retention"])
        return RetentionSpec(**{k.name: v.get(raw, RETENTION_KEYS, k.name, ["retention"]) for k in RETENTION_KEYS})

    def hooks(self, v: _Values, raw: Any) -> Hooks:
        if raw is None:
            return Hooks()
        if not isinstance(raw, dict):
            raise v.err(["hooks"], f"must be a table, not {describe_value(raw)}", "write it as a [policy.hooks] section")
        v.known(raw, HOOKS_KEYS, ["hooks"])
        return Hooks(**{k.name: self.hook_list(v, raw.get(k.name), ["hooks", k.name]) for k in HOOKS_KEYS})

    def hook_list(self, v: _Values, raw: Any, path: list[str]) -> tuple[Hook, ...]:
        """A string (a shell line), an argv list, a table, or a list of tables."""
        if raw is None:
            return ()
        if isinstance(raw, list) and raw and all(isinstance(x, dict) for x in raw):
            return tuple(self.hook_table(v, x, path) for x in raw)
        if isinstance(raw, dict):
            return (self.hook_table(v, raw, path),)
        if isinstance(raw, list) and not raw:
            return ()
        return (Hook(argv=self.command(v, raw, path)[0], shell=isinstance(raw, str)),)

    def hook_table(self, v: _Values, raw: dict[str, Any], path: list[str]) -> Hook:
        v.known(raw, HOOK_KEYS, path)
        argv, shell = self.command(v, raw.get("run"), [*path, "run"])
        on_error = v.get(raw, HOOK_KEYS, "on_error", path)
        timeout = v.get(raw, HOOK_KEYS, "timeout", path)
        return Hook(argv=argv, on_error=cast(HookErrorPolicy, on_error), timeout_s=float(timeout.seconds),
                    shell=shell)

    def command(self, v: _Values, raw: Any, path: list[str]) -> tuple[tuple[str, ...], bool]:
        hint = 'an argv list like ["/usr/local/bin/mount-usb", "--check"], or a shell line as a string'
        if raw is None:
            raise v.err(path, "missing the command to run", hint)
        if isinstance(raw, str):
            if not raw.strip() or "\x00" in raw:
                raise v.err(path, "empty command" if "\x00" not in raw else "contains a NUL character", hint)
            return ("sh", "-c", raw), True
        if isinstance(raw, list) and raw and all(isinstance(x, str) and x and "\x00" not in x for x in raw):
            return tuple(raw), False
        raise v.err(path, f"must be a command, not {describe_value(raw)}", hint)

    def notify(self, v: _Values, raw: Any, path: list[str]) -> NotifySpec:
        if raw is None:
            return NotifySpec()
        if not isinstance(raw, dict):
            raise v.err(path, f"must be a table, not {describe_value(raw)}", "write it as a [policy.notify] section")
        v.known(raw, NOTIFY_KEYS, path)
        urls = v.get(raw, NOTIFY_KEYS, "urls", path)
        on = v.get(raw, NOTIFY_KEYS, "on", path)
        ping = v.get(raw, NOTIFY_KEYS, "ping_url", path)
        return NotifySpec(urls=tuple(urls), on=cast(tuple[NotifyEvent, ...], tuple(on)), ping_url=ping or None)


class _Values:
    """Checks one policy's values against the key tables, with errors naming the key."""

    def __init__(self, parser: _Parser, i: int, label: str) -> None:
        self.parser = parser
        self.i = i
        self.label = label

    def err(self, path: Sequence[str], problem: str, hint: str = "") -> ConfigError:
        return self.parser.error(self.i, self.label, path, problem, hint)

    def known(self, table: dict[str, Any], keys: Sequence[Key], path: list[str]) -> None:
        names = [k.name for k in keys]
        for key in table:
            if key not in names:
                where = f"[{'.'.join(['policy', *path])}]" if path else "a [[policy]]"
                raise self.err([*path, key], f"unknown key {key!r}", f"keys of {where}: {', '.join(names)}")

    def get(self, table: dict[str, Any], keys: Sequence[Key], name: str, path: list[str]) -> Any:
        k = _key(keys, name)
        if name not in table:
            if k.required:
                raise self.err(path, f"missing required key {name!r}", f"add: {name} = ...   # {k.help}")
            return _parse_default(k)
        return self.check(table[name], k, [*path, name])

    def check(self, value: Any, k: Key, path: list[str]) -> Any:
        def wrong(expected: str) -> ConfigError:
            return self.err(path, f"must be {expected}, not {describe_value(value)}", k.help)

        if k.type in ("str", "choice", "interval", "span"):
            if not isinstance(value, str):
                raise wrong("a string")
            if "\x00" in value:
                raise self.err(path, "contains a NUL character", k.help)
            if k.type == "choice" and value not in k.choices:
                raise self.err(path, f"must be one of {', '.join(repr(c) for c in k.choices)}, not {value!r}", k.help)
            if k.type == "interval":
                try:
                    return Interval.parse(value)
                except DurationError as exc:
                    raise self.err(path, str(exc), k.help) from None
            if k.type == "span":
                try:
                    span = Span.parse(value)
                except DurationError as exc:
                    raise self.err(path, str(exc), k.help) from None
                if span == Span():
                    raise self.err(path, f"{value!r} is an empty span", k.help)
                return span
            return value
        if k.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise wrong("an integer")
            if k.minimum is not None and value < k.minimum:
                raise self.err(path, f"must be at least {k.minimum}, not {value}", k.help)
            if k.maximum is not None and value > k.maximum:
                raise self.err(path, f"must be at most {k.maximum}, not {value}", k.help)
            return value
        if k.type == "str_list":
            if not isinstance(value, list) or not all(isinstance(x, str) and x and "\x00" not in x for x in value):
                raise wrong("a list of non-empty strings")
            bad = [x for x in value if k.choices and x not in k.choices]
            if bad:
                raise self.err(path, f"unknown value {bad[0]!r}", f"use any of: {', '.join(k.choices)}")
            return value
        raise AssertionError(k.type)


def _key(keys: Sequence[Key], name: str) -> Key:
    for k in keys:
        if k.name == name:
            return k
    raise AssertionError(name)


def _parse_default(k: Key) -> Any:
    if k.default is None:
        return None
    if k.type == "interval":
        return Interval.parse(k.default)
    if isinstance(k.default, list):
        return list(k.default)
    return k.default


def _check_cron(v: _Values, expr: str) -> None:
    from cronsim import CronSim, CronSimError

    hint = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * 1-5"'
    if len(expr.split()) != 5:
        raise v.err(["cron"], f"{expr!r} does not have 5 fields", hint)
    try:
        CronSim(expr, datetime(2000, 1, 1))
    except CronSimError as exc:
        raise v.err(["cron"], f"invalid cron expression {expr!r}: {exc}", hint) from None


def _check_zone(v: _Values, zone: str) -> None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(zone)
    except Exception:  # ZoneInfoNotFoundError, ValueError for malformed names, OSError
        raise v.err(["timezone"], f"unknown time zone {zone!r}",
                    'use an IANA name such as "Europe/Paris" or "UTC"') from None
