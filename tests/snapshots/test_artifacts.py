"""The compress+hash and hash+decompress pipelines round-trip exactly.

Guards against a real failure: zstandard's `read_to_iter` with worker threads produced a
corrupt stream on data like this (alternating incompressible and text runs, tens of MB).
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from tui_backup.service.artifacts import ChecksumMismatch, compress_file, decompress_file


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(5)
    words = ["".join(rng.choices("abcdefghij", k=rng.randint(2, 9))) for _ in range(5000)]
    path = tmp_path_factory.mktemp("artifacts") / "mixed.bin"
    with open(path, "wb") as f:
        for _ in range(64):  # ~36 MB
            f.write(os.urandom(300_000))
            f.write(" ".join(rng.choices(words, k=40_000)).encode())
    return path


@pytest.mark.parametrize(("level", "threads"), [(1, 2), (3, 2), (3, 0)])
def test_round_trip(mixed_file: Path, tmp_path: Path, level: int, threads: int) -> None:
    stored = tmp_path / "stored.zst"
    seen: list[int] = []
    art = compress_file(mixed_file, stored, level=level, threads=threads, on_bytes=seen.append)
    assert art.raw_bytes == mixed_file.stat().st_size == seen[-1]
    assert art.stored_bytes == stored.stat().st_size < art.raw_bytes
    assert art.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert stored.stat().st_mode & 0o777 == 0o600
    out = tmp_path / "out.bin"
    assert decompress_file(stored, out, expected_sha256=art.sha256) == art.raw_bytes
    assert out.read_bytes() == mixed_file.read_bytes()


def test_checksum_mismatch_is_reported_even_when_decompression_breaks(mixed_file: Path, tmp_path: Path) -> None:
    stored = tmp_path / "stored.zst"
    art = compress_file(mixed_file, stored, level=1, threads=0)
    data = bytearray(stored.read_bytes())
    data[len(data) // 3] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch) as err:
        decompress_file(stored, tmp_path / "out.bin", expected_sha256=art.sha256)
    assert err.value.actual == hashlib.sha256(bytes(data)).hexdigest()


def test_decompresses_to(mixed_file: Path, tmp_path: Path) -> None:
    from tui_backup.service.artifacts import decompresses_to

    stored = tmp_path / "stored.zst"
    compress_file(mixed_file, stored, level=1, threads=2)
    assert decompresses_to(stored, mixed_file)
    other = tmp_path / "other.bin"
    data = bytearray(mixed_file.read_bytes())
    data[12345] ^= 1
    other.write_bytes(bytes(data))
    assert not decompresses_to(stored, other)
    other.write_bytes(bytes(data[:-1]))
    assert not decompresses_to(stored, other)
