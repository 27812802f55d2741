"""The restic and rsync parsers on output recorded from the real tools (tests/jobs/recorded)."""

from __future__ import annotations

import json

from tests.jobs.conftest import recorded, split
from tui_backup.jobs.parsers.restic import MAX_ETA_S, ResticJsonParser, status_to_progress
from tui_backup.jobs.parsers.rsync import RsyncParser, parse_record
from tui_backup.jobs.process import LineSplitter

# ---- the splitter ----


def test_splitter_keeps_partial_lines_and_splits_on_cr_and_lf() -> None:
    s = LineSplitter()
    assert s.feed(b"abc") == []
    assert s.feed(b"def\r  1%\r  2") == [b"abcdef", b"  1%"]
    assert s.feed(b"%\n\nx\r\n") == [b"  2%", b"x"]
    assert s.feed(b"tail") == []
    assert s.flush() == [b"tail"]
    assert s.flush() == []


def test_splitter_same_lines_whatever_the_chunking() -> None:
    data = recorded("rsync-progress2-itemize-stats").stdout
    assert b"\r" in data
    assert split(data, 1) == split(data, 4096) == split(data, 7)


# ---- restic ----


def feed_restic(name: str) -> tuple[ResticJsonParser, list[bytes], list]:
    rec = recorded(name)
    parser = ResticJsonParser()
    logged = [line for line in rec.stdout_lines if not parser.stdout_line(line)]
    for line in split(rec.stderr):
        parser.stderr_line(line)
    return parser, logged, [json.loads(line) for line in rec.stdout_lines if line.startswith(b"{")]


def test_restic_backup_status_and_summary() -> None:
    parser, logged, msgs = feed_restic("restic-backup")
    statuses = [m for m in msgs if m["message_type"] == "status"]
    assert len(statuses) >= 5
    assert statuses[0]["percent_done"] == 0 and isinstance(statuses[0]["percent_done"], int)
    assert "bytes_done" not in statuses[0] and "files_done" not in statuses[0]  # zero fields omitted
    assert any("seconds_elapsed" in s for s in statuses)
    first = status_to_progress(statuses[0])
    assert first.bytes_done == 0 and first.files_done == 0 and first.fraction == 0.0
    mid = status_to_progress(statuses[len(statuses) // 2])
    assert 0 < mid.fraction < 1 and mid.bytes_total == 60_000_000 and mid.files_total == 60
    assert mid.current.startswith("/") and mid.rate and mid.rate > 0
    # Status lines are progress records (not logged); the summary is logged.
    assert len(logged) == 1 and b'"summary"' in logged[0]
    assert parser.snapshot_id is not None and len(parser.snapshot_id) == 8
    assert parser.summary is not None and parser.summary["files_new"] == 60
    last = parser.progress()
    assert last is not None and last.fraction == 1.0 and last.bytes_done == 60_000_000
    assert last.files_done == last.files_total == 60
    assert parser.progress() is None  # nothing new since


def test_restic_percent_done_integer_one_and_missing_fields() -> None:
    _parser, _logged, msgs = feed_restic("restic-backup-unchanged")
    status = next(m for m in msgs if m["message_type"] == "status")
    assert "bytes_done" not in status and "seconds_remaining" not in status  # zero: omitted
    p = status_to_progress(status)
    assert p.bytes_done == 0 and p.eta_s is None and p.current == ""
    bare = status_to_progress({"message_type": "status", "percent_done": 0})
    assert (bare.bytes_done, bare.bytes_total, bare.files_done, bare.files_total, bare.rate) == (0, None, 0, None, None)
    final = [m for m in feed_restic("restic-backup")[2] if m["message_type"] == "status"][-1]
    assert final["percent_done"] == 1 and isinstance(final["percent_done"], int)
    assert status_to_progress(final).fraction == 1.0


def test_restic_stdin_huge_seconds_remaining_is_clamped() -> None:
    parser, _logged, msgs = feed_restic("restic-backup-stdin")
    huge = [m for m in msgs if m.get("seconds_remaining", 0) > MAX_ETA_S]
    assert huge, "the recording has restic's absurd seconds_remaining"
    p = status_to_progress(huge[0])
    assert p.eta_s is None and p.fraction is None and p.bytes_total is None
    assert p.bytes_done > 0 and p.current == "/dump.sql" and p.rate is not None
    assert parser.snapshot_id


def test_restic_014_scan_finished_status_quirk_and_verbose_lines() -> None:
    parser, logged, _msgs = feed_restic("restic-backup-verbose")
    assert parser.scan is not None and parser.scan["action"] == "scan_finished"
    assert parser.scan["total_files"] == 63
    assert any(b"scan_finished" in line for line in logged)  # logged, not taken as progress
    p = parser.progress()
    assert parser.current.startswith("/")  # from verbose_status items
    assert p is not None and p.files_total == 63 and 0 < (p.fraction or 0) < 1


def test_restic_errors_on_stderr_mixed_with_text() -> None:
    parser, _logged, _msgs = feed_restic("restic-backup-unreadable")
    items = parser.error_items
    assert any(i.endswith("d1/f0001.bin") for i in items)
    assert any(i.endswith("secret-dir") for i in items)
    assert len(items) == 2  # secret-dir reported twice, listed once
    assert not parser.stderr_line(b"Warning: at least one source file could not be read")


def test_restic_ignores_non_json_and_broken_json() -> None:
    parser = ResticJsonParser()
    for line in (b"using parent snapshot 1234", b"{not json", b"[1, 2]", b"{}"):
        assert parser.stdout_line(line) is False
    assert parser.progress() is None


# ---- rsync ----


def feed_rsync(name: str, **kw: object) -> tuple[RsyncParser, list[bytes], int]:
    rec = recorded(name)
    parser = RsyncParser(**kw)  # type: ignore[arg-type]
    logged = []
    records = 0
    for line in rec.stdout_lines:
        if parser.stdout_line(line):
            records += 1
        else:
            logged.append(line)
    return parser, logged, records


def test_rsync_progress2_records_are_cr_terminated() -> None:
    rec = recorded("rsync-progress2")
    assert rec.stdout.count(b"\r") >= 5
    parser, logged, records = feed_rsync("rsync-progress2")
    assert records >= 10 and not [line for line in logged if b"%" in line]
    last = parser.record
    assert last is not None and last.bytes_done == 4_800_000
    assert last.percent == 99  # with a symlink rsync never says 100%
    assert last.is_xfr and last.transfers == 12 and last.to_check == 0 and last.total_files == 19
    p = parser.progress()
    assert p is not None and p.files_done == p.files_total == 19 and p.rate and p.rate > 1e6


def test_rsync_record_fields() -> None:
    rec = parse_record(b"     16,777,216   5%   58.82MB/s    0:00:04 (xfr#1, to-chk=2044/2046)")
    assert rec is not None
    assert (rec.bytes_done, rec.percent, rec.seconds, rec.transfers, rec.to_check, rec.total_files) == (
        16_777_216, 5, 4, 1, 2044, 2046)
    assert abs(rec.rate - 58.82 * 1024 * 1024) < 1
    plain = parse_record(b"      1,731,072  36%    1.47MB/s    0:00:02  ")
    assert plain is not None and not plain.is_xfr and plain.seconds == 2 and plain.total_files is None
    assert parse_record(b">f+++++++++ d0/f0000.bin") is None
    assert parse_record(b"Number of files: 19 (reg: 12, dir: 6, link: 1)") is None


def test_rsync_time_field_is_eta_on_plain_records_only() -> None:
    parser = RsyncParser()
    parser.stdout_line(b"      2,163,840  45%    1.96MB/s    0:00:07  ")
    p = parser.progress()
    assert p is not None and p.eta_s == 7.0
    parser.stdout_line(b"      2,400,000  49%    1.96MB/s    0:00:01 (xfr#6, to-chk=9/19)")
    p = parser.progress()
    assert p is not None and p.eta_s is not None and p.eta_s > 1.0  # 0:00:01 was elapsed, not ETA
    assert p.bytes_total is not None and abs(p.eta_s - (p.bytes_total - 2_400_000) / p.rate) < 0.01


def test_rsync_ir_chk_gives_no_fraction_until_the_list_is_complete() -> None:
    rec = recorded("rsync-ir-chk")
    parser = RsyncParser()
    seen_ir = seen_to = False
    for line in rec.stdout_lines:
        parser.stdout_line(line)
        r = parser.record
        if r is not None and r.to_check is not None:
            p = parser.progress()
            assert p is not None
            if not r.checked_final:
                seen_ir = True
                assert p.fraction is None and p.files_total is None
            else:
                seen_to = True
                assert p.fraction is not None and p.files_total == r.total_files
    assert seen_ir and seen_to


def test_rsync_itemize_current_file_and_stats() -> None:
    parser, logged, _ = feed_rsync("rsync-progress2-itemize-stats", bytes_total=4_800_002)
    assert parser.current == "d4/f0009.bin"
    assert parser.items >= 18 and parser.linked_files == 0
    stats = parser.stats
    assert stats is not None
    assert stats.files == 19 and stats.regular_files_transferred == 12
    assert stats.total_file_size == 4_800_002 and stats.literal_data == 4_800_000 and stats.matched_data == 0
    assert any(line.startswith(b"Number of files") for line in logged)  # stats lines are logged
    p = parser.progress()
    assert p is not None and p.fraction is not None and abs(p.fraction - 4_800_000 / 4_800_002) < 1e-9


def test_rsync_link_dest_hard_links_and_saved_bytes() -> None:
    parser, _logged, _ = feed_rsync("rsync-link-dest")
    assert parser.linked_files == 11
    stats = parser.stats
    assert stats is not None
    assert stats.total_transferred_file_size == 400_004 and stats.literal_data == 400_004
    assert stats.bytes_linked == 4_800_006 - 400_004


def test_rsync_info_stats2_totals() -> None:
    parser, _logged, records = feed_rsync("rsync-stats2")
    assert records > 5
    stats = parser.stats
    assert stats is not None and stats.files == 20 and stats.bytes_sent > 4_800_000
