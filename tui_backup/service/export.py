"""Data export: every table of the application's SQLite database as CSV or JSON.

The source is the live database, opened read-only (`mode=ro` URI, `query_only`), read in
ONE read transaction so all tables come from the same moment; in WAL mode a reader never
blocks the app's writers. A database in rollback-journal mode is first copied in one
backup step (writers wait only for the copy, as for a snapshot) and exported from the copy.
Or a snapshot: decompressed (checksum checked on the way) to a private temporary file that
is removed afterwards.

Lossless conventions (so an export can be read back exactly; see `read_csv`, `decode_json`):

JSON — INTEGER and REAL as JSON numbers (integers exact, floats as their shortest
round-trip form), TEXT as strings, NULL as null, BLOB as ``{"$base64": "..."}``, TEXT that is
not valid UTF-8 as ``{"$text_base64": "..."}`` (its raw bytes), infinite REALs as
``{"$real": "Infinity"}`` / ``"-Infinity"`` (JSON has no infinity). One document
``{table: [row objects]}`` in ``<profile>.json``, or with ``lines`` one ``<table>.jsonl`` per
table holding one row object per line.

CSV (RFC 4180, UTF-8, CRLF, header row of column names) — a CSV cell cannot tell NULL
from '' or 12 from '12', so the quoting carries the type: TEXT is ALWAYS quoted (the empty
string is ``""``); an empty unquoted cell is NULL; INTEGER and REAL are unquoted (a REAL
always has a ``.``, an exponent or is ``inf``/``-inf``); a BLOB is unquoted
``base64:<data>``; non-UTF-8 TEXT is unquoted ``text-base64:<raw bytes>``.

Files are named after their table, percent-encoded where a name has characters outside
``A-Za-z0-9_-`` (``my table`` -> ``my%20table.csv``), so any table name maps to one safe
file name and back. Each file is written atomically (temporary name, fsync, rename), 0600.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn
from urllib.parse import quote, unquote

from tui_backup import clock
from tui_backup.errors import SnapshotError, UsageError
from tui_backup.fsutil import atomic_writer, make_private_dir, temp_path_for

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

FORMATS = ("csv", "json")
FETCH_ROWS = 1000
BUSY_TIMEOUT_S = 5.0
_MAX_STEM = 180  # file names stay well under NAME_MAX (255) even when percent-encoded


class ExportError(UsageError):
    """An export that cannot be made as asked (unsupported database, unknown table)."""


@dataclass(frozen=True)
class ExportedTable:
    name: str
    rows: int
    file: Path

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "file": str(self.file)}


@dataclass(frozen=True)
class ExportResult:
    format: str
    lines: bool
    source: str  # "live" or the snapshot id
    out_dir: Path
    tables: tuple[ExportedTable, ...]
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()

    @property
    def row_count(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "lines": self.lines,
            "source": self.source,
            "out_dir": str(self.out_dir),
            "tables": [t.to_json() for t in self.tables],
            "files": [str(f) for f in self.files],
            "rows": self.row_count,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class BadText:
    """A TEXT value that is not valid UTF-8 (SQLite does not check): its raw bytes."""

    raw: bytes


def _text_factory(raw: bytes) -> str | BadText:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadText(raw)


# ---- file names ----


def table_file_stem(table: str) -> str:
    """A safe, reversible file name stem for a table name (see the module docstring)."""
    if table == "":
        return "%00"  # no table name can hold NUL, so this one means the empty name
    stem = quote(table, safe="_-")
    if stem.startswith("."):  # no hidden files, no "." or ".."
        stem = "%2E" + stem[1:]
    if len(stem) > _MAX_STEM:
        import hashlib

        stem = stem[:_MAX_STEM] + "~" + hashlib.sha256(table.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return stem


def table_from_stem(stem: str) -> str:
    return "" if stem == "%00" else unquote(stem)


# ---- JSON and CSV values ----


def json_value(value: object) -> object:
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, BadText):
        return {"$text_base64": base64.b64encode(value.raw).decode("ascii")}
    if isinstance(value, float) and math.isinf(value):
        return {"$real": "Infinity" if value > 0 else "-Infinity"}
    return value


def decode_json(value: object) -> object:
    """The SQLite value a JSON export cell stands for (BadText for non-UTF-8 text)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$base64":
            return base64.b64decode(str(inner))
        if key == "$text_base64":
            return BadText(base64.b64decode(str(inner)))
        if key == "$real":
            return float("inf") if inner == "Infinity" else float("-inf")
    return value


def _csv_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # never from SQLite, but keep ints honest
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form: 1.0, 1e+300, inf
    if isinstance(value, bytes):
        return "base64:" + base64.b64encode(value).decode("ascii")
    if isinstance(value, BadText):
        return "text-base64:" + base64.b64encode(value.raw).decode("ascii")
    return _csv_quote(str(value))


_CSV_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,\r\n"]*)')


def _csv_unquoted(cell: str) -> object:
    if cell == "":
        return None
    if cell.startswith("base64:"):
        return base64.b64decode(cell[7:])
    if cell.startswith("text-base64:"):
        return BadText(base64.b64decode(cell[12:]))
    if re.fullmatch(r"[+-]?\d+", cell):
        return int(cell)
    return float(cell)


def read_csv(path: Path) -> tuple[list[str], list[list[object]]]:
    """Read an exported CSV back into (columns, rows of SQLite values), by its conventions."""
    text = path.read_bytes().decode("utf-8")  # not read_text: keep \r\n inside quoted cells
    records: list[list[object]] = []
    pos, end = 0, len(text)
    while pos < end:
        record: list[object] = []
        while True:
            m = _CSV_FIELD.match(text, pos)
            if m is None:  # pragma: no cover - the pattern matches the empty string
                raise ValueError(f"{path}: bad CSV at offset {pos}")
            if m.group(1) is not None:
                record.append(m.group(1).replace('""', '"'))
            else:
                record.append(_csv_unquoted(m.group(2)))
            pos = m.end()
            if pos < end and text[pos] == ",":
                pos += 1
                continue
            break
        if text.startswith("\r\n", pos):
            pos += 2
        elif pos < end and text[pos] == "\n":
            pos += 1
        elif pos < end:
            raise ValueError(f"{path}: bad CSV at offset {pos}")
        records.append(record)
    if not records:
        return [], []
    return [str(c) for c in records[0]], records[1:]


# ---- reading the database ----


def _uri(path: Path, **params: str) -> str:
    return f"file:{quote(str(path))}?" + "&".join(f"{k}={v}" for k, v in params.items())


def _open_read_only(path: Path, *, immutable: bool) -> sqlite3.Connection:
    params = {"mode": "ro", **({"immutable": "1"} if immutable else {})}
    conn = sqlite3.connect(_uri(path, **params), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.text_factory = _text_factory  # non-UTF-8 TEXT must not raise
    conn.execute("PRAGMA query_only = 1")
    return conn


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def list_tables(conn: sqlite3.Connection) -> list[str]:
    """Ordinary tables (virtual tables are skipped: their data is in their shadow tables)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], Iterator[tuple[object, ...]]]:
    cur = conn.execute(f"SELECT * FROM {_quote_ident(table)}")
    columns = [str(d[0]) for d in cur.description]

    def gen() -> Iterator[tuple[object, ...]]:
        while batch := cur.fetchmany(FETCH_ROWS):
            yield from batch

    return columns, gen()


# ---- writers ----


def _write_csv(f: BinaryIO, columns: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    out = io.TextIOWrapper(f, encoding="utf-8", newline="", write_through=False)
    out.write(",".join(_csv_quote(c) for c in columns) + "\r\n")
    n = 0
    for row in rows:
        out.write(",".join(csv_cell(v) for v in row) + "\r\n")
        n += 1
    out.flush()
    out.detach()
    return n


def _row_json(columns: list[str], row: tuple[object, ...]) -> str:
    return json.dumps({c: json_value(v) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False)


def _write_jsonl(f: BinaryIO, columns: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    n = 0
    for row in rows:
        f.write(_row_json(columns, row).encode("utf-8") + b"\n")
        n += 1
    return n


@contextlib.contextmanager
def _atomic_file(final: Path) -> Iterator[BinaryIO]:
    with atomic_writer(final) as (_tmp, fd), open(fd, "wb", buffering=1 << 20, closefd=False) as f:
        yield f


# ---- the contract ----


def _default_out(svc: ProfileService) -> Path:
    return Path.cwd() / f"{svc.config.name}-export-{clock.now():%Y%m%d-%H%M%S}"


def _choose_tables(available: list[str], wanted: Sequence[str]) -> list[str]:
    if not wanted:
        return available
    unknown = [t for t in wanted if t not in available]
    if unknown:
        raise ExportError(
            f"no table {unknown[0]!r} in the database",
            "tables: " + (", ".join(available) or "none"),
        )
    return list(dict.fromkeys(wanted))


def export_data(
    svc: ProfileService,
    fmt: str,
    *,
    tables: Sequence[str] = (),
    snapshot_id: str | None = None,
    out: Path | None = None,
    lines: bool = False,
) -> ExportResult:
    """Export the live database (or snapshot `snapshot_id`) into the directory `out`."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", "use --format csv or --format json")
    if lines and fmt != "json":
        raise UsageError("--lines goes with --format json", "CSV is one row per line already")
    with _source_connection(svc, snapshot_id) as (conn, source, warnings):
        conn.execute("BEGIN")  # one read transaction: every table from the same moment
        try:
            chosen = _choose_tables(list_tables(conn), tables)
            out_dir = make_private_dir(Path(out) if out is not None else _default_out(svc))
            exported, files = _write_all(svc, conn, chosen, out_dir, fmt, lines)
        finally:
            conn.execute("COMMIT")
    return ExportResult(fmt, lines, source, out_dir, tuple(exported), tuple(files), tuple(warnings))


def _write_all(
    svc: ProfileService, conn: sqlite3.Connection, chosen: list[str], out_dir: Path, fmt: str, lines: bool
) -> tuple[list[ExportedTable], list[Path]]:
    exported: list[ExportedTable] = []
    if fmt == "json" and not lines:
        # One document, streamed table by table (never the whole database in memory).
        final = out_dir / f"{table_file_stem(svc.config.name)}.json"
        with _atomic_file(final) as f:
            f.write(b"{")
            for i, table in enumerate(chosen):
                columns, rows = _rows(conn, table)
                f.write((("," if i else "") + "\n" + json.dumps(table, ensure_ascii=False) + ": [").encode("utf-8"))
                n = 0
                for row in rows:
                    f.write((b"," if n else b"") + b"\n  " + _row_json(columns, row).encode("utf-8"))
                    n += 1
                f.write(b"\n]" if n else b"]")
                exported.append(ExportedTable(table, n, final))
            f.write(b"\n}\n")
        return exported, [final]
    writer: Callable[[BinaryIO, list[str], Iterator[tuple[object, ...]]], int]
    writer, suffix = (_write_csv, ".csv") if fmt == "csv" else (_write_jsonl, ".jsonl")
    files: list[Path] = []
    for table in chosen:
        final = out_dir / f"{table_file_stem(table)}{suffix}"
        columns, rows = _rows(conn, table)
        with _atomic_file(final) as f:
            n = writer(f, columns, rows)
        exported.append(ExportedTable(table, n, final))
        files.append(final)
    return exported, files


@contextlib.contextmanager
def _source_connection(
    svc: ProfileService, snapshot_id: str | None
) -> Iterator[tuple[sqlite3.Connection, str, list[str]]]:
    """A read-only connection to what is exported, the source's label and warnings."""
    from tui_backup.service.scratch import scratch_dir
    from tui_backup.service.snapshots import require_volumes

    warnings: list[str] = []
    if snapshot_id is not None:
        rec = svc.get_snapshot(snapshot_id)
        if rec.source_kind != "sqlite":
            _postgres_unsupported(f"snapshot {rec.id} is of a {rec.source_kind} database")
        require_volumes(svc, "snapshots")
        copy = temp_path_for(scratch_dir(rec.db_size_bytes, svc.paths.snapshots_dir) / f"{rec.id}.export.db")
        try:
            _decompress(svc, rec.id, copy)
            conn = _open_read_only(copy, immutable=True)
            try:
                yield conn, rec.id, warnings
            finally:
                conn.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                copy.unlink()
        return
    if svc.config.source.database.kind != "sqlite":
        _postgres_unsupported("this profile's database is PostgreSQL")
    from tui_backup.sources.sqlite import SqliteDatabase

    engine = svc.database
    assert isinstance(engine, SqliteDatabase)
    require_volumes(svc, "source.database")
    if not engine.path.is_file():
        raise SnapshotError(f"the database {engine.path} does not exist", "check [source] database in the profile")
    if engine.is_wal():
        conn = _open_read_only(engine.path, immutable=False)
        try:
            yield conn, "live", warnings
        finally:
            conn.close()
        return
    # Rollback-journal mode: a reader holds writers off for as long as it reads, so read a
    # one-step copy instead (writers wait only for the copy, as for a snapshot).
    warnings.append("the database is not in WAL mode: exported from a one-step copy (the app's writers waited for it)")
    copy = temp_path_for(scratch_dir(engine.copy_size_estimate(), svc.paths.snapshots_dir) / "export.db")
    try:
        from tui_backup.jobs.events import CancelToken, no_progress

        engine.dump(copy, timeout=svc.config.snapshots.timeout_seconds, progress=no_progress, cancel=CancelToken())
        conn = _open_read_only(copy, immutable=True)
        try:
            yield conn, "live", warnings
        finally:
            conn.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()


def _decompress(svc: ProfileService, snapshot_id: str, copy: Path) -> None:
    import zstandard

    from tui_backup.errors import SnapshotCorruptError
    from tui_backup.service.artifacts import ChecksumMismatch, decompress_file
    from tui_backup.service.snapshots import artifact_path

    rec = svc.get_snapshot(snapshot_id)
    stored = artifact_path(rec)
    if not stored.is_file():
        raise SnapshotError(f"the stored file of snapshot {rec.id} is missing: {stored}", "export another snapshot")
    try:
        decompress_file(stored, copy, expected_sha256=rec.sha256)
    except (ChecksumMismatch, zstandard.ZstdError):
        raise SnapshotCorruptError(
            f"snapshot {rec.id} is corrupt (checksum or decompression failed)", "export another snapshot"
        ) from None


def _postgres_unsupported(what: str) -> NoReturn:
    raise ExportError(
        f"export reads SQLite databases only: {what} (not supported yet)",
        "export PostgreSQL data with `psql -c \"\\copy TABLE TO 'FILE' CSV HEADER\"` or pg_dump",
    )


__all__ = [
    "FORMATS",
    "BadText",
    "ExportError",
    "ExportResult",
    "ExportedTable",
    "decode_json",
    "export_data",
    "read_csv",
    "table_file_stem",
    "table_from_stem",
]
