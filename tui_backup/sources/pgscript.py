"""Reading the plain SQL that pg_dump / pg_restore print: tables with row counts, schema, versions.

The same parser reads `pg_restore --file=-` of a snapshot and `pg_dump --schema-only` of the
live database, so the two describe objects in exactly the same words and a restore's dry
run can compare them line for line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# "-- Name: assets; Type: TABLE; Schema: public; Owner: -"  (or "-- Data for Name: ...")
_HEADER = re.compile(r"^-- (Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$")
_IDENT = r'(?:"(?:[^"]|"")*"|[^".\s(]+)'
_COPY = re.compile(rf"^COPY ({_IDENT})\.({_IDENT}) ")
_DUMPED_BY = re.compile(r"^-- Dumped by pg_dump version (.+)$")
_DUMPED_FROM = re.compile(r"^-- Dumped from database version (.+)$")
# Entries that carry data, not schema.
DATA_TYPES = frozenset(
    {"TABLE DATA", "SEQUENCE SET", "BLOB", "BLOBS", "BLOB DATA", "LARGE OBJECT", "MATERIALIZED VIEW DATA"}
)
END_OF_COPY = b"\\.\n"
# Objects known by their own name (the restore dry run prefixes the kind it reads from the
# SQL: "changed table assets"). Everything else (constraints, defaults, comments, triggers,
# ...) is named after its table, so its type is added to keep names unique.
NAMED_TYPES = frozenset(
    {"TABLE", "VIEW", "MATERIALIZED VIEW", "INDEX", "SEQUENCE", "FUNCTION", "PROCEDURE", "AGGREGATE",
     "TYPE", "DOMAIN", "FOREIGN TABLE", "SCHEMA", "EXTENSION"}
)  # fmt: skip


def unquote_ident(ident: str) -> str:
    if ident.startswith('"') and ident.endswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident


def table_key(schema: str, name: str) -> str:
    """Tables in `public` go by their bare name (like SQLite's); others are schema-qualified."""
    return name if schema == "public" else f"{schema}.{name}"


def object_key(kind: str, schema: str, name: str, taken: dict[str, str]) -> str:
    """`assets`, `audit.events`, `assets assets_pkey (constraint)`: unique within one listing."""
    key = name if schema in ("-", "public") else f"{schema}.{name}"
    if kind not in NAMED_TYPES or key in taken:
        key = f"{key} ({kind.lower()})"
    return key


@dataclass
class ScriptFacts:
    tables: dict[str, int] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)
    dumped_by: str = ""
    dumped_from: str = ""


def _is_noise(line: str) -> bool:
    """Lines that differ between runs or sessions but say nothing about the objects."""
    return (
        not line.strip()
        or line.startswith("--")
        or line.startswith(("SET ", "SELECT pg_catalog.set_config(", "\\restrict", "\\unrestrict"))
    )


def parse_script(lines: Iterable[bytes]) -> ScriptFacts:
    """One pass over a plain SQL dump: count COPY rows per table, collect each object's SQL."""
    facts = ScriptFacts()
    key: str | None = None  # the schema object whose SQL is being collected
    body: list[str] = []
    copying: str | None = None  # the table whose COPY rows are being counted
    rows = 0

    def flush() -> None:
        nonlocal key, body
        if key is not None:
            facts.schema[key] = "\n".join(body).strip()
        key, body = None, []

    for raw in lines:
        if copying is not None:
            if raw == END_OF_COPY or raw == b"\\.":
                facts.tables[copying] = facts.tables.get(copying, 0) + rows
                copying = None
            else:
                rows += 1
            continue
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("COPY "):
            m = _COPY.match(line)
            if m:
                copying = table_key(unquote_ident(m.group(1)), unquote_ident(m.group(2)))
                facts.tables.setdefault(copying, 0)
                rows = 0
                continue
        if line.startswith("-- "):
            h = _HEADER.match(line)
            if h:
                flush()
                kind, name, schema = h.group(3), h.group(2), h.group(4)
                if h.group(1) is None and kind not in DATA_TYPES:
                    key = object_key(kind, schema, name, facts.schema)
                continue
            if not facts.dumped_by and (m2 := _DUMPED_BY.match(line)):
                facts.dumped_by = m2.group(1)
            elif not facts.dumped_from and (m3 := _DUMPED_FROM.match(line)):
                facts.dumped_from = m3.group(1)
            continue
        if key is not None and not _is_noise(line):
            body.append(line.rstrip())
    flush()
    return facts
