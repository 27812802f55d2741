"""Benchmark: file change detection (service/changes.py) on a tree of 100,000 files.

    .venv/bin/python benchmarks/changes.py [--files 100000] [--modified 1000] [--rounds 5]

Builds once (cached under benchmarks/.cache/changes-N/) a profile whose [source] files
directory holds N small files (1,000 per directory, 100 directories), and runs the first
scan (which hashes everything and fills the catalog's file manifest). Then, round after
round, all warm in the page cache:

  scan      the real code path, in-process through the service: `ProfileService.open` +
            `scan_files(svc)` (what every snapshot and backup runs first) on the UNCHANGED
            tree — every file lstat'ed and compared with its manifest row, nothing hashed;
  find      `find DIR -printf '%s %T@\\n'` (its output to a pipe, read and dropped): the
            anchor, one lstat per file in C; target: scan <= 2.0x find;
  scandir   the same scan as when find is not GNU find (the os.scandir walker, the code
            before find walked), for an A/B in the same run;
  modified  `--modified` files rewritten (new content, same size) before the round, then
            the same scan: the time to detect (and hash) them; checked: exactly that many
            reported modified.

Prints medians and every run, side by side. Figures are noisy on a shared machine: compare
the ratio of medians, and re-run with more --rounds when the load is high.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CACHE = HERE / ".cache"
TARGET_RATIO = 2.0
PER_DIR = 1_000


def build(root: Path, n: int) -> Path:
    """A profile whose files source holds `n` files, already scanned once; returns the config."""
    config = root / "bench.toml"
    done = root / "built"
    if done.exists():
        return config
    shutil.rmtree(root, ignore_errors=True)
    tree = root / "files"
    tree.mkdir(parents=True)
    started = time.perf_counter()
    for i in range(n):
        d = tree / f"dir{i // PER_DIR:03d}"
        if i % PER_DIR == 0:
            d.mkdir()
        (d / f"file-{i:06d}.dat").write_bytes(f"file {i} of the scan benchmark\n".encode() * (1 + i % 7))
    db = root / "app.db"
    import sqlite3

    sqlite3.connect(db).execute("CREATE TABLE t (id INTEGER PRIMARY KEY)").connection.close()
    config.write_text(
        f'[profile]\nname = "bench"\nstate_dir = "{root / "state"}"\n\n'
        f'[source]\ndatabase = "sqlite://{db}"\nfiles = ["{tree}"]\n',
        encoding="utf-8",
    )
    first = scan(config)[2]
    assert first.first_scan and len(first.added) == n, (first.first_scan, len(first.added))
    done.write_text("ok\n")
    print(f"built {n} files and the first scan in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return config


def scan(config: Path, *, scandir: bool = False) -> tuple[float, float, object]:
    """One scan through the service, as a snapshot or backup runs it:
    (wall seconds, CPU seconds of this process AND its children — the find it runs —, changes)."""
    from tui_backup.service import ProfileService, find_walk
    from tui_backup.service.changes import scan_files

    gnu_find = find_walk.gnu_find
    if scandir:  # as when find is not GNU find: the os.scandir walker
        find_walk.gnu_find = lambda search_path: None  # type: ignore[assignment]
    started, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
    try:
        svc = ProfileService.open(config=config)
        try:
            changes = scan_files(svc)
        finally:
            svc.close()
    finally:
        find_walk.gnu_find = gnu_find
    return time.perf_counter() - started, time.process_time() - cpu + children_cpu() - child, changes


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def find(tree: Path) -> tuple[float, float]:
    """`find` as a real process: (wall seconds, CPU seconds)."""
    started, cpu = time.perf_counter(), children_cpu()
    p = subprocess.run(["find", "--", str(tree), "-printf", "%s %T@\\n"], stdout=subprocess.PIPE, check=True)
    elapsed = time.perf_counter() - started
    assert p.stdout.count(b"\n") > 0
    return elapsed, children_cpu() - cpu


def modify(tree: Path, n: int, total: int, round_no: int) -> None:
    """Rewrite `n` files spread over the tree with new content of the same size."""
    step = max(1, total // n)
    for k in range(n):
        i = k * step
        path = tree / f"dir{i // PER_DIR:03d}" / f"file-{i:06d}.dat"
        data = bytearray(path.read_bytes())
        data[:8] = f"{round_no:08d}".encode()[-8:]
        path.write_bytes(bytes(data))
        st = path.stat()  # same size, maybe the same mtime tick: bump it so only content differs
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000))


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s  ({', '.join(f'{v:.3f}' for v in values)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--modified", type=int, default=1_000)
    ap.add_argument("--rounds", type=int, default=5)
    opts = ap.parse_args()
    root = CACHE / f"changes-{opts.files}"
    config = build(root, opts.files)
    tree = root / "files"
    scan(config)  # warm-up: imports, page cache
    find(tree)
    scans: list[float] = []
    scan_cpu: list[float] = []
    finds: list[float] = []
    find_cpu: list[float] = []
    mods: list[float] = []
    olds: list[float] = []
    old_cpu: list[float] = []
    for r in range(opts.rounds):
        wall, cpu = find(tree)
        finds.append(wall)
        find_cpu.append(cpu)
        wall, cpu, changes = scan(config)
        assert not changes.changed and changes.scanned == opts.files, changes  # type: ignore[attr-defined]
        scans.append(wall)
        scan_cpu.append(cpu)
        wall, cpu, changes = scan(config, scandir=True)
        assert not changes.changed and changes.scanned == opts.files, changes  # type: ignore[attr-defined]
        olds.append(wall)
        old_cpu.append(cpu)
        modify(tree, opts.modified, opts.files, int(time.time() * 1000) % 10**8 + r)
        wall, cpu, changes = scan(config)
        got = len(changes.modified)  # type: ignore[attr-defined]
        assert got == opts.modified and changes.hashed == opts.modified, (got, changes.hashed)  # type: ignore[attr-defined]
        mods.append(wall)
    med = statistics.median
    ratio = med(scans) / med(finds)
    load = os.getloadavg()
    print(f"files                                {opts.files} (load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores)")
    print(f"find -printf '%s %T@\\n' (anchor) wall  {fmt(finds)}")
    print(f"scan_files, unchanged tree, wall     {fmt(scans)}")
    print(f"  ratio of medians (wall)            {ratio:.2f}x  target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'}")
    print(f"find CPU (user+sys)                  {fmt(find_cpu)}")
    print(f"scan_files CPU (user+sys, incl. its find) {fmt(scan_cpu)}")
    print(f"  ratio of medians (CPU)             {med(scan_cpu) / med(find_cpu):.2f}x")
    print(f"scandir walker (fallback), wall      {fmt(olds)}  ratio {med(olds) / med(finds):.2f}x")
    print(f"scandir walker CPU (user+sys)        {fmt(old_cpu)}  ratio {med(old_cpu) / med(find_cpu):.2f}x")
    print(f"scan_files, {opts.modified} modified, wall     {fmt(mods)}")


if __name__ == "__main__":
    main()
