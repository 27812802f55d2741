"""The tamper-evident change journal (layer 2): record, list, verify, export.

Every modification the tool makes is appended as one entry of a hash chain in the catalog
(tui_backup/catalog/journal.py). Secrets never reach it: details are redacted before they
are hashed and stored. `verify` recomputes the whole chain; `verify_tail` (for `status`)
checks only what was appended since the last verification, anchored by the (seq, hash)
remembered in the state directory — which also reveals entries deleted from the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui_backup.catalog import journal as rows
from tui_backup.catalog._db import CatalogLocked
from tui_backup.catalog.journal import GENESIS_HASH, JournalEntry, entry_hash
from tui_backup.errors import UsageError
from tui_backup.fsutil import atomic_writer

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

log = logging.getLogger(__name__)

ANCHOR_NAME = "journal-verified.json"
REDACTED = "***"
EXPORT_FORMATS = ("csv", "json")
# Keys whose values are secrets, whatever they hold.
_SECRET_KEY = re.compile(r"pass(word|wd|phrase)?|secret|token|(^|_)key($|_)|api_?key|credential|auth", re.I)
# user:password@ inside any URL-like text (also restic's "rest:https://u:p@host/...").
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^/@\s:]*):(?P<pw>[^/@\s]+)@")
_MIN_SECRET_LEN = 4  # shorter "secrets" would redact ordinary words


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int  # entries whose link was checked
    first_bad_seq: int | None = None
    problem: str = ""  # one line, naming the entry
    kind: str = ""  # "altered" | "deleted" | "inserted" when not ok
    last_seq: int = 0  # the newest entry checked (0: empty journal)
    full: bool = True  # False: only the tail after the last verified entry was checked

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---- record ----


def actor(svc: ProfileService) -> dict[str, Any]:
    """Who did it: user@host, the process, and the interface (cli/tui/scheduler/daemon)."""
    import getpass  # imported where used: start-up of every command counts (termios & co.)

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = str(os.getuid())
    return {"who": f"{user}@{socket.gethostname()}", "pid": os.getpid(), "interface": svc.interface}


def record(
    svc: ProfileService, action: str, target: str, details: dict[str, Any] | None = None, *,
    secrets: Iterable[str] = (),
) -> JournalEntry:
    """Append one entry (details redacted: no secret is ever hashed or stored). `secrets`:
    values to mask besides those the profile knows of (e.g. a notify URL just removed)."""
    return rows.append(svc.catalog, *_entry(svc, action, target, details, secrets))


def _entry(
    svc: ProfileService, action: str, target: str, details: dict[str, Any] | None, secrets: Iterable[str]
) -> tuple[dict[str, Any], str, str, dict[str, Any]]:
    """(actor, action, target, details) as stored: redacted."""
    secrets = sorted({*known_secrets(svc), *(s for s in secrets if len(s) >= _MIN_SECRET_LEN)}, key=len, reverse=True)
    clean = redact(details or {}, secrets)
    assert isinstance(clean, dict)
    return actor(svc), action, str(redact(str(target), secrets)), clean


class Recorder:
    """Records entries inside the catalog write transaction that `recording` holds."""

    def __init__(self, svc: ProfileService, conn: sqlite3.Connection) -> None:
        self._svc = svc
        self._conn = conn

    def record(
        self, action: str, target: str, details: dict[str, Any] | None = None, *, secrets: Iterable[str] = ()
    ) -> JournalEntry:
        """As `record`; the entry commits (or rolls back) with the rest of the `with` block."""
        return rows.insert(self._conn, *_entry(self._svc, action, target, details, secrets))


@contextlib.contextmanager
def recording(svc: ProfileService) -> Iterator[Recorder]:
    """Hold the catalog's write lock (an IMMEDIATE transaction) around a change made outside
    the catalog (a config file) and its journal entry, so the change never lands unjournaled:
    a catalog locked past its busy timeout refuses before anything changes (CatalogLocked),
    and an exception inside the block rolls the entry back. Nothing inside may open a
    catalog transaction of its own on this thread (SQLite does not nest them)."""
    with contextlib.ExitStack() as stack:
        try:
            conn = stack.enter_context(svc.catalog.transaction())
        except CatalogLocked as exc:
            raise refused(exc) from None
        yield Recorder(svc, conn)


def refused(exc: CatalogLocked) -> CatalogLocked:
    """A locked catalog's error for a change refused before anything was written."""
    return CatalogLocked(f"nothing was changed: {exc.message}", exc.hint)


def try_record(
    svc: ProfileService, action: str, target: str, details: dict[str, Any] | None = None, *,
    secrets: Iterable[str] = (),
) -> None:
    """`record` for the actions it documents: the journal never fails the action itself."""
    try:
        record(svc, action, target, details, secrets=secrets)
    except Exception as exc:  # a locked/full catalog must not undo a finished backup
        log.warning("could not journal %s %s: %s", action, target, exc)


def known_secrets(svc: ProfileService) -> list[str]:
    """Secret values the profile knows of (so a value equal to one is redacted anywhere)."""
    from urllib.parse import unquote, urlsplit

    found: list[str] = []
    cfg = svc.config
    with contextlib.suppress(ValueError):
        pw = urlsplit(cfg.source.database.url).password
        if pw:
            found.append(unquote(pw))
    files: list[Any] = [cfg.source.password_file]
    for dest in cfg.destinations:
        files.append(dest.table.get("password_file"))
        env_name = dest.table.get("password_env")
        if isinstance(env_name, str) and os.environ.get(env_name):
            found.append(os.environ[env_name])
    # Notification URLs carry tokens in their paths (Apprise, webhooks, healthchecks pings).
    for spec in (cfg.notify, *(p.notify for p in cfg.policies)):
        found.extend(u for u in spec.urls if u)
        if spec.ping_url:
            found.append(spec.ping_url)
    for var in ("PGPASSWORD", "RESTIC_PASSWORD"):
        if os.environ.get(var):
            found.append(os.environ[var])
    for f in files:
        if f:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                text = Path(f).read_text(encoding="utf-8")[:4096]
                found.extend(line.strip() for line in text.splitlines()[:1])
    return sorted({s for s in found if len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """`value` as JSON-able data with secret keys, URL passwords and known secrets masked."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            out[key] = REDACTED if _SECRET_KEY.search(key) and v not in (None, "", False) else redact(v, secrets)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, secrets) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    return text


# ---- read ----


def list_entries(
    svc: ProfileService,
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
    target_glob: str | None = None,
    limit: int = 50,
    before_seq: int | None = None,
) -> list[JournalEntry]:
    """One page, newest first; the next page is `before_seq=<the last seq of this one>`.

    `since`/`until` are ISO-8601 times (UTC when naive); `action` and `target_glob` match
    exactly, or as a glob when they hold * ? or [.
    """
    return rows.select(
        svc.catalog,
        since=_catalog_time(since),
        until=_catalog_time(until),
        action=action,
        target_glob=target_glob,
        limit=limit,
        before_seq=before_seq,
    )


def get(svc: ProfileService, seq: int) -> JournalEntry:
    return rows.get(svc.catalog, seq)


def _catalog_time(text: str | None) -> str | None:
    from tui_backup import clock

    if text is None:
        return None
    try:
        return clock.to_catalog(clock.parse_time(text))
    except ValueError:
        raise UsageError(f"not a time: {text!r}", "use ISO-8601, e.g. 2026-11-21 or 2026-11-21T22:48:00Z") from None


# ---- verify ----


def verify(svc: ProfileService) -> VerifyReport:
    """Recompute the whole chain; name the first entry altered, deleted or inserted."""
    report = _walk(svc, None, GENESIS_HASH, full=True)
    if report.ok:
        report = _check_anchor(svc, report)
    if report.ok:
        _save_anchor(svc, report)
    return report


def verify_tail(svc: ProfileService) -> VerifyReport:
    """Cheap: check only the entries after the last verified one (a full verify the first time)."""
    anchor = _load_anchor(svc)
    if anchor is None:
        return verify(svc)
    seq, digest = anchor
    if seq > 0:
        stored = rows.hash_at(svc.catalog, seq)
        if stored is None:
            newest = rows.last(svc.catalog)
            gone = seq if newest is None or newest[0] >= seq else newest[0] + 1
            return _bad(0, gone, "deleted", f"journal entry {gone} was deleted (the chain was verified up to {seq})", seq, full=False)
        if stored != digest:
            return _bad(0, seq, "altered", f"journal entry {seq} changed after it was verified", seq, full=False)
    report = _walk(svc, seq, digest, full=False)
    if report.ok:
        _save_anchor(svc, report)
    return report


def _bad(checked: int, seq: int, kind: str, problem: str, last_seq: int, *, full: bool) -> VerifyReport:
    return VerifyReport(False, checked, seq, problem, kind, last_seq, full)


def _walk(svc: ProfileService, start_seq: int | None, prev_hash: str, *, full: bool) -> VerifyReport:
    """Check every link after `start_seq` (None: from the very first row, whatever its seq)."""
    import hashlib

    sha256 = hashlib.sha256  # bound once: this loop runs a million times
    expected = (start_seq or 0) + 1
    checked = 0
    prev = prev_hash.encode("ascii")
    for seq, canonical, digest in rows.canonical_rows(svc.catalog, start_seq):
        if seq != expected:
            if seq < expected:
                return _bad(checked, seq, "inserted", f"journal entry {seq} was inserted (out of sequence)", seq, full=full)
            return _bad(checked, expected, "deleted", f"journal entry {expected} was deleted (a gap before entry {seq})", seq, full=full)
        if sha256(prev + canonical).hexdigest().encode("ascii") != digest:
            row = rows.raw_row(svc.catalog, seq)
            if row is None or entry_hash(prev.decode("ascii"), *row[:6]) != row[6]:
                if row is None:  # removed while we read: say so
                    return _bad(checked, seq, "deleted", f"journal entry {seq} was deleted", seq, full=full)
                return _classify(checked, prev.decode("ascii"), row, rows.next_raw_row(svc.catalog, seq), full=full)
        prev = digest
        expected += 1
        checked += 1
    return VerifyReport(True, checked, last_seq=expected - 1, full=full)


def _classify(
    checked: int, prev_hash: str, row: tuple[Any, ...], nxt: tuple[Any, ...] | None, *, full: bool
) -> VerifyReport:
    """Which tampering explains a broken link at `row`: look one entry ahead."""
    seq, digest = row[0], row[6]
    if nxt is not None:
        n_seq, n_at, n_actor, n_action, n_target, n_details, n_digest = nxt
        if entry_hash(prev_hash, n_seq - 1, n_at, n_actor, n_action, n_target, n_details) == n_digest:
            # the next entry links to the one before `row` at one seq lower: `row` was slipped in
            return _bad(checked, seq, "inserted", f"journal entry {seq} was inserted", seq, full=full)
        if entry_hash(digest, n_seq + 1, n_at, n_actor, n_action, n_target, n_details) == n_digest:
            return _bad(checked, seq, "deleted", f"journal entry {seq} was deleted (later entries renumbered)", seq, full=full)
    what = "altered" if nxt is not None else "altered (or inserted at the end)"
    return _bad(checked, seq, "altered", f"journal entry {seq} was {what}: it does not match its hash", seq, full=full)


def _check_anchor(svc: ProfileService, report: VerifyReport) -> VerifyReport:
    """Entries cut from the end, or a recomputed chain, show against the last verified link."""
    anchor = _load_anchor(svc)
    if anchor is None or anchor[0] == 0:
        return report
    seq, digest = anchor
    if report.last_seq < seq:
        gone = report.last_seq + 1
        return _bad(report.checked, gone, "deleted",
                    f"journal entries {gone}..{seq} were deleted (the chain was verified up to {seq})", report.last_seq,
                    full=True)  # fmt: skip
    if rows.hash_at(svc.catalog, seq) != digest:
        return _bad(report.checked, seq, "altered", f"journal entry {seq} changed after it was verified (chain rewritten)",
                    report.last_seq, full=True)  # fmt: skip
    return report


def _anchor_path(svc: ProfileService) -> Path:
    return svc.paths.state_dir / ANCHOR_NAME


def _load_anchor(svc: ProfileService) -> tuple[int, str] | None:
    try:
        data = json.loads(_anchor_path(svc).read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_anchor(svc: ProfileService, report: VerifyReport) -> None:
    if report.last_seq == 0:
        return
    digest = rows.hash_at(svc.catalog, report.last_seq)
    if digest is None:
        return
    try:
        with atomic_writer(_anchor_path(svc)) as (_tmp, fd):
            os.write(fd, json.dumps({"seq": report.last_seq, "hash": digest}).encode())
    except OSError as exc:  # only a cache: the next check is then a longer one
        log.warning("could not save the journal's verified position: %s", exc)


# ---- export ----


def export(svc: ProfileService, fmt: str, out: Path | None = None) -> int:
    """Write the whole journal (seq order, streamed) as CSV or JSON to `out` (stdout if None).
    Returns the number of entries written."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", "use --format csv or --format json")
    if out is None:
        n = _write(fmt, rows.raw_rows(svc.catalog), sys.stdout)
        sys.stdout.flush()
        return n
    with atomic_writer(out) as (_tmp, fd), open(fd, "w", encoding="utf-8", newline="", closefd=False) as f:
        return _write(fmt, rows.raw_rows(svc.catalog), f)


def _write(fmt: str, stream: Iterator[tuple[Any, ...]], f: TextIO) -> int:
    n = 0
    if fmt == "csv":
        import csv

        w = csv.writer(f)
        w.writerow(("seq", "at", "actor", "action", "target", "details", "hash"))
        for row in stream:
            w.writerow(row)
            n += 1
        return n
    f.write("[")
    for seq, at, actor_json, action, target, details_json, digest in stream:
        f.write(",\n" if n else "\n")
        # stored JSON is canonical already: spliced in, not parsed and re-dumped
        f.write(
            f'{{"seq":{seq},"at":{json.dumps(at)},"actor":{actor_json},"action":{json.dumps(action, ensure_ascii=False)},'
            f'"target":{json.dumps(target, ensure_ascii=False)},"details":{details_json},"hash":{json.dumps(digest)}}}'
        )
        n += 1
    f.write("\n]\n")
    return n
