"""Connection details and dump parsing, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_backup.errors import TuiBackupError
from tui_backup.sources.pgconn import (
    password_file_warnings,
    read_password_file,
    resolve_target,
    split_password,
)
from tui_backup.sources.pgscript import parse_script
from tui_backup.sources.pgtools import explain


@pytest.mark.parametrize(
    ("url", "clean", "password"),
    [
        ("postgresql://app@db:5432/app", "postgresql://app@db:5432/app", None),
        ("postgresql://app:p%40ss%3Aw@db:5432/app", "postgresql://app@db:5432/app", "p@ss:w"),
        ("postgres://:pw@db/app", "postgres://db/app", "pw"),
        ("postgresql://app:pw@[::1]:5432/app", "postgresql://app@[::1]:5432/app", "pw"),
        ("postgresql://app:pw@h1:5432,h2:5433/app", "postgresql://app@h1:5432,h2:5433/app", "pw"),
        ("postgresql://app@db/app?sslmode=require&password=a%26b+c", "postgresql://app@db/app?sslmode=require", "a&b+c"),
        ("postgresql:///app?host=/run/postgresql", "postgresql:///app?host=/run/postgresql", None),
    ],
)
def test_split_password(url: str, clean: str, password: str | None) -> None:
    assert split_password(url) == (clean, password)


def test_password_sources_in_order(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("from-file\r\nsecond line ignored\n")
    pw.chmod(0o600)
    t = resolve_target("postgresql://app:from-url@db/app", pw)
    assert (t.url, t.password) == ("postgresql://app@db/app", "from-file")
    assert "from-file" not in repr(t)
    assert resolve_target("postgresql://app:from-url@db/app", None).password == "from-url"
    libpq = resolve_target("postgresql://app@db/app", None)
    assert libpq.password is None and "PGPASSWORD" not in libpq.env()  # libpq's own sources apply
    assert t.env()["PGPASSWORD"] == "from-file" and t.env()["LC_ALL"] == "C"
    assert password_file_warnings(pw) == []
    pw.chmod(0o644)
    assert "chmod 600" in password_file_warnings(pw)[0]


def test_bad_password_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(TuiBackupError, match="is empty"):
        read_password_file(empty)
    with pytest.raises(TuiBackupError, match="does not exist"):
        read_password_file(tmp_path / "missing")


def test_parse_script_counts_rows_and_keys_objects() -> None:
    script = b"""--
-- Dumped from database version 15.18 (Debian)
-- Dumped by pg_dump version 15.18 (Debian)

SET statement_timeout = 0;
\\restrict abc

--
-- Name: Odd; Type: TABLE; Schema: my schema; Owner: -
--

CREATE TABLE "my schema"."Odd" (
    "a""b" text
);


--
-- Data for Name: Odd; Type: TABLE DATA; Schema: my schema; Owner: -
--

COPY "my schema"."Odd" ("a""b") FROM stdin;
x\\ny
\\N
\\.


--
-- Name: t_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.t_seq', 5, true);

\\unrestrict abc
"""
    facts = parse_script(script.splitlines(keepends=True))
    assert facts.tables == {"my schema.Odd": 2}
    assert facts.schema == {"my schema.Odd": 'CREATE TABLE "my schema"."Odd" (\n    "a""b" text\n);'}
    assert facts.dumped_by == "15.18 (Debian)" and facts.dumped_from == "15.18 (Debian)"


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ('pg_dump: error: connection to server at "h", port 1 failed: Connection refused', "connection refused"),
        ('pg_dump: error: could not translate host name "nohost" to address: Name or service not known', "resolve"),
        ('pg_dump: error: connection to server at "h", port 5 failed: timeout expired', "timed out"),
        ('psql: error: connection to server on socket "/x/.s.PGSQL.5432" failed: No such file or directory', "socket"),
        ("pg_dump: error: aborting because of server version mismatch", "older than"),
        ("pg_dump: error: query failed: ERROR:  permission denied for table secrets", "permission denied"),
        ("pg_dump: error: something else entirely", "pg_dump failed: something else entirely"),
    ],
)
def test_explain(stderr: str, expected: str) -> None:
    why = explain("pg_dump", [stderr], where="h:1/db", user="app", password_origin="x")
    assert expected in why.message and why.hint and "\n" not in why.message
