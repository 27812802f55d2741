"""The hash chain: recorded, verified, and tampering found at the right entry."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from tui_backup.catalog.journal import GENESIS_HASH, canonical_json
from tui_backup.service import ProfileService, journal


def test_record_chains_from_zeros(svc: ProfileService) -> None:
    a = journal.record(svc, "snapshot.create", "s1", {"b": 1, "a": "ü"})
    b = journal.record(svc, "snapshot.delete", "s1", None)
    assert (a.seq, b.seq) == (1, 2)
    form = {"seq": 1, "at": a.at, "actor": a.actor, "action": a.action, "target": "s1", "details": {"a": "ü", "b": 1}}
    canonical = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical == canonical_json(form)
    assert a.hash == hashlib.sha256((GENESIS_HASH + canonical).encode("utf-8")).hexdigest()
    assert a.actor["interface"] == "cli" and "@" in a.actor["who"] and a.actor["pid"] > 0
    assert journal.get(svc, 2).hash == b.hash
    report = journal.verify(svc)
    assert report.ok and report.checked == 2 and report.last_seq == 2


def test_empty_journal_verifies(svc: ProfileService) -> None:
    report = journal.verify(svc)
    assert report.ok and report.checked == 0


def test_edited_details_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("""UPDATE journal SET details_json = '{"n":999}' WHERE seq = 6""")
    report = journal.verify(filled)
    assert not report.ok
    assert (report.first_bad_seq, report.kind) == (6, "altered")
    assert "6" in report.problem


def test_edited_last_entry_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("UPDATE journal SET target = 'other' WHERE seq = 10")
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 10, "altered")


def test_deleted_row_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("DELETE FROM journal WHERE seq = 4")
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 4, "deleted")


def test_deleted_and_renumbered_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("DELETE FROM journal WHERE seq = 4")
    raw.execute("UPDATE journal SET seq = -seq WHERE seq > 4")
    raw.execute("UPDATE journal SET seq = -seq - 1 WHERE seq < 0")
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 4, "deleted")


def test_inserted_row_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    # make room at 5 (renumber 5..10 to 6..11) and slip a forged entry in
    raw.execute("UPDATE journal SET seq = -seq WHERE seq >= 5")
    raw.execute("UPDATE journal SET seq = -seq + 1 WHERE seq < 0")
    raw.execute(
        "INSERT INTO journal VALUES (5, '2026-01-01T00:00:00.000000Z', '{}', 'snapshot.delete', 'x', '{}', ?)",
        ("f" * 64,),
    )
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 5, "inserted")


def test_appended_forgery_named(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("INSERT INTO journal VALUES (11, '2026-01-01T00:00:00.000000Z', '{}', 'x', 'x', '{}', ?)", ("0" * 64,))
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq) == (False, 11)


def test_row_before_first_named_inserted(filled: ProfileService, raw: sqlite3.Connection) -> None:
    raw.execute("INSERT INTO journal VALUES (0, '2026-01-01T00:00:00.000000Z', '{}', 'x', 'x', '{}', ?)", ("0" * 64,))
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 0, "inserted")


def test_tail_cut_after_verify_is_found(filled: ProfileService, raw: sqlite3.Connection) -> None:
    assert journal.verify(filled).ok
    raw.execute("DELETE FROM journal WHERE seq >= 9")
    report = journal.verify(filled)
    assert (report.ok, report.first_bad_seq, report.kind) == (False, 9, "deleted")
    tail = journal.verify_tail(filled)
    assert (tail.ok, tail.first_bad_seq, tail.kind) == (False, 9, "deleted")


def test_verify_tail_checks_only_new_entries(filled: ProfileService, raw: sqlite3.Connection) -> None:
    assert journal.verify(filled).ok
    journal.record(filled, "verify", "s", {})
    tail = journal.verify_tail(filled)
    assert tail.ok and tail.checked == 1 and not tail.full and tail.last_seq == 11
    journal.record(filled, "drill", "p", {})
    raw.execute("UPDATE journal SET target = 'x' WHERE seq = 12")
    tail = journal.verify_tail(filled)
    assert (tail.ok, tail.first_bad_seq) == (False, 12)


def test_verify_streams_in_batches(filled: ProfileService, monkeypatch: object) -> None:
    import tui_backup.catalog.journal as rows

    setattr(rows, "FETCH_ROWS", 3)  # noqa: B010  (batches smaller than the journal)
    try:
        assert journal.verify(filled).checked == 10
    finally:
        setattr(rows, "FETCH_ROWS", 5000)  # noqa: B010
