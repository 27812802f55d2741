"""Benchmark: `tui-backup snapshot create` / `snapshot restore` against their anchors.

    .venv/bin/python benchmarks/snapshot.py [--size-mb 1024] [--rounds 3]

Builds once (cached under benchmarks/.cache/) a SQLite database in WAL mode with random
blobs and text, then alternates, round after round:

  create   `tui-backup snapshot create` (the real CLI: copy, integrity check, zstd,
           SHA-256, fsync, rename, catalog)
  floor    `sqlite3 DB ".backup OUT"`
  seeds    `sqlite3 DB ".backup OUT" && gzip OUT && sha256sum OUT.gz`

and for restore:

  restore        `tui-backup snapshot restore ID --yes` (checksum, decompress, integrity
                 check, safety snapshot, backup-API write into the live file, verification)
  restore-floor  `sqlite3 OUT ".backup DB"` (the plain copy back into the live file)

Each command runs as a subprocess (argv lists, no shell but the seeds' fixed recipe),
outputs are removed and `sync` is run between runs (untimed). It prints the medians, the
ratios and the targets (create <= 2.0x floor and <= 0.4x seeds; restore <= 3.0x its
floor), plus a per-stage profile of one in-process create and restore.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _dbgen import build_database  # noqa: E402

CACHE = HERE / ".cache"
PYTHON = sys.executable
SEEDS_RECIPE = 'sqlite3 "$1" ".backup \\"$2\\"" && gzip "$2" && sha256sum "$2.gz"'
TARGETS = {"create/floor": 2.0, "create/seeds": 0.4, "restore/restore-floor": 3.0}


def children_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of all finished children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime, r.ru_stime


LAST_SPLIT: list[float] = [0.0, 0.0]  # user, system seconds of the last run()


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run one command; return (wall seconds, CPU seconds of it and its children). Fail loudly."""
    u0, s0 = children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{argv[:6]} failed ({r.returncode}):\n{r.stderr.decode(errors='replace')[-2000:]}")
    u1, s1 = children_cpu()
    LAST_SPLIT[:] = [u1 - u0, s1 - s0]
    return elapsed, (u1 - u0) + (s1 - s0)


def cli(config: Path, *args: str) -> list[str]:
    return [PYTHON, "-m", "tui_backup", "--config", str(config), *args]


def quiesce() -> None:
    """Let the previous run's writeback finish so it does not slow down the next one."""
    subprocess.run(["sync"], check=True)
    time.sleep(0.5)


def remove(*paths: Path) -> None:
    for p in paths:
        for q in (p, Path(f"{p}.gz"), Path(f"{p}-journal"), Path(f"{p}-wal"), Path(f"{p}-shm")):
            q.unlink(missing_ok=True)


class Bench:
    def __init__(self, size_mb: int, rounds: int) -> None:
        self.rounds = rounds
        self.source = CACHE / f"bench-{size_mb}mb.db"
        self.work = CACHE / "work"
        self.live = self.work / "live.db"
        self.out = self.work / "out.db"
        home = self.work / "home"
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "NO_COLOR": "1",
        }
        self.env.pop("TUI_BACKUP_CONFIG", None)
        self.env.pop("TUI_BACKUP_PROFILE", None)
        self.config = home / ".config" / "tui-backup" / "profiles" / "bench.toml"
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.split: dict[str, list[tuple[float, float]]] = {}

    # ---- setup ----

    def prepare(self, size_mb: int, level: int | None) -> None:
        CACHE.mkdir(exist_ok=True)
        if not self.source.exists():
            print(f"building {self.source.name} (once; cached) ...", flush=True)
            build_database(self.source, size_mb)
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        shutil.copyfile(self.source, self.live)
        run([PYTHON, "-m", "tui_backup", "init", "--name", "bench", "--db", f"sqlite://{self.live}"], self.env)
        if level is not None:
            run(cli(self.config, "config", "set", "snapshots.compression_level", str(level)), self.env)
        os.environ.update({k: self.env[k] for k in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")})

    def snapshot_ids(self) -> list[str]:
        r = subprocess.run(cli(self.config, "snapshot", "list", "--json"), env=self.env, capture_output=True, check=True)
        data = json.loads(r.stdout)
        items = data["snapshots"] if isinstance(data, dict) else data
        return [str(s["id"]) for s in items]

    def delete_snapshots(self, keep: str | None = None) -> None:
        for sid in self.snapshot_ids():
            if sid != keep:
                run(cli(self.config, "snapshot", "delete", sid, "--yes"), self.env)

    # ---- timed runs ----

    def timed(self, name: str, argv: list[str]) -> None:
        quiesce()
        t, cpu = run(argv, self.env)
        self.times.setdefault(name, []).append(t)
        self.cpu.setdefault(name, []).append(cpu)
        user, system = LAST_SPLIT
        self.split.setdefault(name, []).append((user, system))
        print(
            f"  {name:14s} {t:7.2f} s  (cpu {cpu:6.2f} s = user {user:5.2f} + sys {system:5.2f})"
            f"  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    def create_round(self, i: int, quick: bool = False) -> None:
        order = ["floor", "create"] if quick else ["floor", "create", "seeds"]
        order = order[i % len(order) :] + order[: i % len(order)]  # rotate so no method always goes first
        for name in order:
            if name == "floor":
                self.timed(name, ["sqlite3", str(self.live), f'.backup "{self.out}"'])
                remove(self.out)
            elif name == "seeds":
                self.timed(name, ["bash", "-c", SEEDS_RECIPE, "seeds", str(self.live), str(self.out)])
                remove(self.out)
            else:
                self.timed(name, cli(self.config, "snapshot", "create", "--json"))
                self.delete_snapshots()

    def restore_round(self, i: int, snapshot_id: str, plain_copy: Path) -> None:
        order = ["restore-floor", "restore"] if i % 2 == 0 else ["restore", "restore-floor"]
        for name in order:
            if name == "restore":
                self.timed(name, cli(self.config, "snapshot", "restore", snapshot_id, "--yes", "--json"))
                self.delete_snapshots(keep=snapshot_id)  # the safety snapshot
            else:
                self.timed(name, ["sqlite3", str(plain_copy), f'.backup "{self.live}"'])

    # ---- profile (in-process, one run each) ----

    def profile(self) -> dict[str, dict[str, list[float]]]:
        from tui_backup.jobs.events import Progress
        from tui_backup.service import ProfileService

        def now() -> tuple[float, float]:
            r = resource.getrusage(resource.RUSAGE_SELF)
            return time.perf_counter(), r.ru_utime + r.ru_stime

        def recorder(marks: list[tuple[str, tuple[float, float]]]) -> Any:
            def on(p: Progress) -> None:
                if not marks or marks[-1][0] != p.stage:
                    marks.append((p.stage, now()))

            return on

        def spans(t0: tuple[float, float], marks: list[tuple[str, tuple[float, float]]]) -> dict[str, list[float]]:
            """stage -> [wall s, cpu s] from when it was first reported to the next stage."""
            out: dict[str, list[float]] = {}
            points = [("start", t0), *marks, ("end", now())]
            for (stage, (w, c)), (_, (w2, c2)) in zip(points, points[1:], strict=False):
                acc = out.setdefault(stage, [0.0, 0.0])
                acc[0] = round(acc[0] + w2 - w, 3)
                acc[1] = round(acc[1] + c2 - c, 3)
            return out

        svc = ProfileService.open(config=self.config)
        try:
            quiesce()
            marks: list[tuple[str, tuple[float, float]]] = []
            t0 = now()
            rec = svc.create_snapshot("profile", progress=recorder(marks))
            create = spans(t0, marks)
            quiesce()
            marks = []
            t0 = now()
            svc.restore_snapshot(rec.id, to=None, progress=recorder(marks))
            restore = spans(t0, marks)
        finally:
            svc.close()
        self.delete_snapshots()
        return {"create": create, "restore": restore}


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024, help="size of the benchmark database (default 1024)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each command (default 3)")
    ap.add_argument("--level", type=int, help="zstd level for the profile (default: the config's default)")
    ap.add_argument("--no-profile", action="store_true", help="skip the per-stage profile")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument(
        "--quick", action="store_true", help="only create against the floor (no seeds, no restore, no profile)"
    )
    args = ap.parse_args()

    b = Bench(args.size_mb, args.rounds)
    b.prepare(args.size_mb, args.level)
    size = b.live.stat().st_size
    level = args.level if args.level is not None else "default"
    print(f"database: {size / 1e6:.0f} MB, WAL, {args.rounds} rounds, zstd level {level}; "
          f"{platform.platform()}, {os.cpu_count()} cores")  # fmt: skip

    print("snapshot create:")
    for i in range(args.rounds):
        b.create_round(i, quick=args.quick)

    if not args.quick:
        print("restore:")
        run(cli(b.config, "snapshot", "create", "--note", "to restore", "--json"), b.env)
        snapshot_id = b.snapshot_ids()[0]
        plain = b.work / "plain-copy.db"
        run(["sqlite3", str(b.live), f'.backup "{plain}"'], b.env)
        for i in range(args.rounds):
            b.restore_round(i, snapshot_id, plain)
        remove(plain)
        b.delete_snapshots()

    med = {k: median(v) for k, v in b.times.items()}
    ratios = {"create/floor": med["create"] / med["floor"]}
    if not args.quick:
        ratios["create/seeds"] = med["create"] / med["seeds"]
        ratios["restore/restore-floor"] = med["restore"] / med["restore-floor"]
    print("\nmedians:")
    for k, v in med.items():
        runs = ", ".join(f"{x:.2f}" for x in b.times[k])
        user = median([u for u, _ in b.split[k]])
        system = median([s for _, s in b.split[k]])
        print(
            f"  {k:14s} {v:7.2f} s   cpu {median(b.cpu[k]):6.2f} s (user {user:5.2f}, sys {system:5.2f})   (runs: {runs})"
        )
    print("ratios:")
    for k, v in ratios.items():
        verdict = "ok" if v <= TARGETS[k] else "MISSED"
        print(f"  {k:22s} {v:5.2f}x  (target <= {TARGETS[k]}x: {verdict})")

    prof = {} if args.no_profile or args.quick else b.profile()
    if prof:
        print("profile of one in-process run (per stage: wall s / cpu s of all threads):")
        for op, stages in prof.items():
            print(f"  {op}: " + ", ".join(f"{s} {w:.2f}/{c:.2f}" for s, (w, c) in stages.items()))
    result = {
        "size_bytes": size,
        "rounds": args.rounds,
        "level": level,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "times": b.times,
        "cpu": b.cpu,
        "cpu_user_system": b.split,
        "medians": med,
        "ratios": ratios,
        "targets": TARGETS,
        "profile": prof,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
