"""Build the benchmark's SQLite database: WAL mode, random blobs and text.

About 60 % of the bytes are random blobs (incompressible, like photos or encrypted data)
and 40 % text: random words drawn with natural-language (Zipf) frequencies from a
vocabulary of 20,000 made-up words — compressible like notes or comments, with no long
repeats for zstd to find cheaply. Both zstd's fast path (stored blocks) and its real work
are measured.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
from pathlib import Path

WORDS_SEED = 1234


def _words(rng: random.Random, n: int = 20_000) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(alphabet, k=rng.randint(2, 11))) for _ in range(n)]


def build_database(path: Path, size_mb: int) -> Path:
    """Create `path` (replacing a half-built one) with about `size_mb` MB of rows."""
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    rng = random.Random(WORDS_SEED)
    words = _words(rng)
    # Zipf's law (s = 1.1): a few words are common, most are rare, as in real text.
    cum = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(len(words))))
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(
        """
        CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL, mime TEXT, body BLOB NOT NULL);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, author TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL);
        CREATE INDEX notes_author ON notes(author);
        CREATE INDEX files_name ON files(name);
        """
    )
    target = size_mb * 1024 * 1024
    blob_target = int(target * 0.6)
    done_blob = done_text = 0
    batch = 0
    while done_blob + done_text < target:
        if done_blob < blob_target:
            rows = []
            for _ in range(200):
                n = rng.randint(1024, 16 * 1024)
                rows.append((f"file-{rng.getrandbits(40):010x}.bin", "application/octet-stream", os.urandom(n)))
                done_blob += n
            conn.executemany("INSERT INTO files (name, mime, body) VALUES (?, ?, ?)", rows)
        text_rows = []
        for _ in range(200):
            body = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(50, 1500)))
            text_rows.append((rng.choice(words), " ".join(rng.choices(words, cum_weights=cum, k=6)), body))
            done_text += len(body)
        conn.executemany("INSERT INTO notes (author, title, body) VALUES (?, ?, ?)", text_rows)
        batch += 1
        if batch % 20 == 0:
            conn.commit()
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return path
