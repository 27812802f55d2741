"""Benchmark: the change journal at 1,000,000 entries — `journal list` and `journal verify`.

    .venv/bin/python benchmarks/journal.py [--entries 1000000] [--rounds 3]

Builds once (cached under benchmarks/.cache/journal-N/) a profile whose catalog holds a
journal of N entries, inserted directly (executemany in one transaction) with the real
chain computed by tui_backup.catalog.journal.entry_hash — a mix of actions, file-path
targets and small details. Then, medians of `--rounds` runs:

  list      `tui-backup journal list --limit 50` as a real process (wall, incl. start-up);
            target at most 0.3 s;
  list-svc  the same page in-process (ProfileService.journal_list), for the query's cost;
  start-up  `tui-backup --version` (interpreter + typer + the root group: the fixed cost of
            any command) and `tui-backup --help` (imports every command group), for information;
  verify    `tui-backup journal verify` as a real process: entries/s = N / wall;
            target at least 200,000 entries/s (`--no-verify` skips it).

Each process's CPU time (user + system, from RUSAGE_CHILDREN) is printed beside its wall
time: on a busy machine the wall time stretches with the load, the CPU time much less.
The list runs with stdout to a pipe, as from a script (a terminal adds rich's console).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tui_backup.catalog.journal import GENESIS_HASH, canonical_json, entry_hash  # noqa: E402

CACHE = HERE / ".cache"
BIN = Path(sys.executable).parent / "tui-backup"
TARGET_LIST_S = 0.3
TARGET_VERIFY_RATE = 200_000
ACTIONS = ("file.modified", "file.added", "snapshot.create", "backup.run", "file.deleted", "verify")


def build(root: Path, n: int) -> Path:
    """A profile (config + state dir) with a journal of `n` entries; returns the config."""
    config = root / "bench.toml"
    catalog = root / "state" / "catalog.db"
    if config.exists() and catalog.exists():
        return config
    shutil.rmtree(root, ignore_errors=True)
    (root / "files").mkdir(parents=True)
    db = root / "app.db"
    sqlite3.connect(db).execute("CREATE TABLE t (id INTEGER PRIMARY KEY)").connection.close()
    config.write_text(
        f'[profile]\nname = "bench"\nstate_dir = "{root / "state"}"\n\n'
        f'[source]\ndatabase = "sqlite://{db}"\nfiles = ["{root / "files"}"]\n',
        encoding="utf-8",
    )
    # Open once through the service: creates the state dir and the migrated catalog.
    from tui_backup.service import ProfileService

    ProfileService.open(config=config).close()
    actor = canonical_json({"who": "bench@host", "pid": 4242, "interface": "scheduler"})
    conn = sqlite3.connect(catalog)
    conn.execute("PRAGMA journal_mode = WAL")
    started = time.perf_counter()
    prev = GENESIS_HASH
    batch: list[tuple[object, ...]] = []
    conn.execute("BEGIN")
    for seq in range(1, n + 1):
        at = f"2026-{1 + seq * 11 // n:02d}-{1 + seq % 28:02d}T{seq % 24:02d}:00:00.{seq % 1_000_000:06d}Z"
        action = ACTIONS[seq % len(ACTIONS)]
        target = f"/srv/app/files/dir{seq % 997}/file-{seq}.dat"
        details = canonical_json({"size": seq * 7 % 100_000, "sha256": f"{seq:064x}"})
        prev = entry_hash(prev, seq, at, actor, action, target, details)
        batch.append((seq, at, actor, action, target, details, prev))
        if len(batch) >= 50_000:
            conn.executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(f"built {n} entries in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return config


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


LAST_CPU: list[float] = [0.0]  # CPU seconds of the last timed() process


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started, cpu = time.perf_counter(), children_cpu()
    p = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    LAST_CPU[0] = children_cpu() - cpu
    return time.perf_counter() - started, p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-verify", action="store_true", help="time `journal list` and the start-up only")
    opts = ap.parse_args()
    config = build(CACHE / f"journal-{opts.entries}", opts.entries)
    anchor = config.parent / "state" / "journal-verified.json"
    cli = [str(BIN), "-c", str(config), "journal"]

    from tui_backup.service import ProfileService

    lists, list_cpu, svc_lists, versions, version_cpu, helps, verifies = [], [], [], [], [], [], []
    timed([*cli, "list", "--limit", "50"])  # warm-up: page cache, .pyc files
    for _ in range(opts.rounds):
        s, p = timed([*cli, "list", "--limit", "50"])
        assert p.returncode == 0, p.stderr
        lists.append(s)
        list_cpu.append(LAST_CPU[0])
        started = time.perf_counter()
        svc = ProfileService.open(config=config)
        page = svc.journal_list(limit=50)
        svc.close()
        svc_lists.append(time.perf_counter() - started)
        assert len(page) == 50
        versions.append(timed([str(BIN), "--version"])[0])
        version_cpu.append(LAST_CPU[0])
        helps.append(timed([str(BIN), "--help"])[0])
        if opts.no_verify:
            continue
        anchor.unlink(missing_ok=True)
        s, p = timed([*cli, "verify", "--json"])
        assert p.returncode == 0 and json.loads(p.stdout)["checked"] == opts.entries, p.stdout + p.stderr
        verifies.append(s)
    med = statistics.median
    load = os.getloadavg()
    print(f"entries                        {opts.entries}  (load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores)")
    print(f"journal list --limit 50 (wall)  {med(lists):.3f} s  {[round(x, 3) for x in lists]}  "
          f"target <= {TARGET_LIST_S} s: {'met' if med(lists) <= TARGET_LIST_S else 'MISSED'}")
    print(f"  its CPU (user+sys)            {med(list_cpu):.3f} s  {[round(x, 3) for x in list_cpu]}")
    print(f"  the same page in-process      {med(svc_lists):.4f} s")
    print(f"  tui-backup --version (wall)   {med(versions):.3f} s  CPU {med(version_cpu):.3f} s  (fixed start-up)")
    print(f"  tui-backup --help (wall)      {med(helps):.3f} s  (loads every command group)")
    if verifies:
        rate = opts.entries / med(verifies)
        print(f"journal verify (wall)           {med(verifies):.2f} s  {[round(x, 2) for x in verifies]}  "
              f"= {rate:,.0f} entries/s  target >= {TARGET_VERIFY_RATE:,}: {'met' if rate >= TARGET_VERIFY_RATE else 'MISSED'}")


if __name__ == "__main__":
    main()
