"""Benchmark: `tui-backup backup run DEST` against raw `rsync -a` and raw `restic backup`.

    .venv/bin/python benchmarks/destinations.py [--size-mb 300] [--files 2000] [--rounds 3]

Builds once (cached under benchmarks/.cache/) a tree of ~300 MB in ~2,000 files (mostly
small files, a few large ones; about half compressible text, half random bytes) and a
small SQLite app database, and a profile whose [source] files = that tree, with an rsync
and a restic destination. Then, round after round (the order rotates each round):

  rsync    fresh destination dir each round;
           first:  `tui-backup backup run rs --type files`  vs  `rsync -a -- TREE/ DIR/`
           second (unchanged data, hard links to the first):
                   the same command again                   vs  `rsync -a --link-dest=FIRST ...`
  restic   fresh repository each round (`restic init`, untimed, both sides);
           first:  `tui-backup backup run rx --type files`  vs  `restic backup -- TREE`
           second: the same again (the tool passes --parent) vs  the same again
  full     `tui-backup backup run rs --type full` (snapshot + files), for information.

Every command is a subprocess (argv lists, no shell); `sync` runs between runs (untimed).
Prints medians and ratios: the first backups' against the target (<= 1.05x, issue 3: the
backup of the tree); the second, unchanged runs' for information (the issue's target for
them is disk usage, not time). And the disk usage a second, unchanged rsync backup adds (blocks of files with link count 1 in the new dated dir, as a
fraction of the first dir's usage; target < 1%).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
TARGET = 1.05
TARGET_SECOND_USAGE = 0.01
VOLUME_MARKER = ".tui-backup-volume"
PASSWORD = "bench-password-not-secret"


def build_tree(root: Path, size_mb: int, files: int) -> None:
    """~size_mb MB in ~files files in nested dirs: 95% small (1-64 KB), 5% large; half
    of each compressible (repeated words), half random. Deterministic."""
    tmp = root.with_name(root.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    rng = random.Random(3)
    n_large = max(1, files // 20)
    sizes = [rng.randint(1024, 64 * 1024) for _ in range(files - n_large)]
    rest = max(size_mb * 1024 * 1024 - sum(sizes), n_large * 1024)
    weights = [rng.uniform(0.5, 1.5) for _ in range(n_large)]
    sizes += [int(rest * w / sum(weights)) for w in weights]
    rng.shuffle(sizes)
    words = b"alpha beta gamma delta asset image thumbnail album export render cache ".split()
    for i, size in enumerate(sizes):
        d = tmp / f"d{i % 17:02d}" / f"s{i % 5}"
        d.mkdir(parents=True, exist_ok=True)
        if i % 2:
            data = rng.randbytes(size)
        else:
            line = b" ".join(rng.choice(words) for _ in range(24)) + b"\n"
            data = (line * (size // len(line) + 1))[:size]
        (d / f"f{i:05d}.{'bin' if i % 2 else 'txt'}").write_bytes(data)
    tmp.rename(root)


def du_bytes(paths: list[Path], only_single_links: bool = False) -> int:
    """Allocated bytes (st_blocks * 512) of the inodes under `paths`, each counted once;
    with only_single_links, only inodes with one link (i.e. not shared with another point)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root in paths:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                key = (st.st_dev, st.st_ino)
                if key in seen or (only_single_links and st.st_nlink > 1):
                    continue
                seen.add(key)
                total += st.st_blocks * 512
    return total


class Bench:
    def __init__(self, size_mb: int, files: int, rounds: int) -> None:
        self.size_mb, self.n_files, self.rounds = size_mb, files, rounds
        self.tree = CACHE / f"tree-{size_mb}mb-{files}"
        self.db_source = CACHE / "app-8mb.db"
        self.work = CACHE / "dest-work"
        self.live = self.work / "app.db"
        self.rs_dir = self.work / "rsync-dest"
        self.raw_dir = self.work / "raw-rsync"
        self.rx_repo = self.work / "restic-tool"
        self.raw_repo = self.work / "restic-raw"
        self.pw_file = self.work / "restic.pw"
        home = self.work / "home"
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "NO_COLOR": "1",
        }
        for k in ("TUI_BACKUP_CONFIG", "TUI_BACKUP_PROFILE", "RESTIC_REPOSITORY", "RESTIC_PASSWORD"):
            self.env.pop(k, None)
        self.restic_env = {**self.env, "RESTIC_PASSWORD_FILE": str(self.pw_file)}
        self.state = home / ".local" / "state"
        self.config = home / ".config" / "tui-backup" / "profiles" / "bench.toml"
        self.times: dict[str, list[float]] = {}
        self.usage: list[tuple[int, int]] = []

    # ---- setup ----

    def prepare(self) -> None:
        CACHE.mkdir(exist_ok=True)
        if not self.tree.exists():
            print(f"building {self.tree.name} (once; cached) ...", flush=True)
            build_tree(self.tree, self.size_mb, self.n_files)
        if not self.db_source.exists():
            build_database(self.db_source, 8)
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        shutil.copyfile(self.db_source, self.live)
        fd = os.open(self.pw_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, PASSWORD.encode() + b"\n")
        os.close(fd)
        self.run([PYTHON, "-m", "tui_backup", "init", "--name", "bench", "--db", f"sqlite://{self.live}",
                  "--files", str(self.tree)])
        with open(self.config, "a", encoding="utf-8") as f:
            f.write(f'\n[[destination]]\nname = "rs"\ntype = "rsync"\npath = "{self.rs_dir}"\n'
                    f'\n[[destination]]\nname = "rx"\ntype = "restic"\nrepository = "{self.rx_repo}"\n'
                    f'password_file = "{self.pw_file}"\n')
        files = sum(len(f) for _, _, f in os.walk(self.tree))
        print(f"tree: {du_bytes([self.tree]) / 1e6:.0f} MB allocated in {files} files", flush=True)

    def run(self, argv: list[str], env: dict[str, str] | None = None) -> float:
        t0 = time.perf_counter()
        r = subprocess.run(argv, env=env or self.env, capture_output=True, check=False)
        elapsed = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"{argv[:6]} failed ({r.returncode}):\n{r.stderr.decode(errors='replace')[-2000:]}"
                             f"\n{r.stdout.decode(errors='replace')[-2000:]}")
        return elapsed

    def cli(self, *args: str) -> list[str]:
        return [PYTHON, "-m", "tui_backup", "--config", str(self.config), *args]

    def timed(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        subprocess.run(["sync"], check=True)
        time.sleep(0.3)
        t = self.run(argv, env)
        self.times.setdefault(name, []).append(t)
        print(f"  {name:24s} {t:7.2f} s  load {os.getloadavg()[0]:.1f}", flush=True)

    # ---- rounds ----

    def fresh(self, *paths: Path) -> None:
        for p in paths:
            if p.exists():
                shutil.rmtree(p)

    def clear(self, d: Path) -> None:
        """Empty d but keep its volume marker (the guard refuses a destination without it)."""
        d.mkdir(exist_ok=True)
        for p in d.iterdir():
            if p.name != VOLUME_MARKER:
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()

    def forget_digests(self) -> None:
        """A first backup ever has no remembered source digests: hash everything."""
        (self.state / "tui-backup" / "bench" / "hash-cache.json").unlink(missing_ok=True)

    def rsync_round(self, i: int) -> None:
        self.clear(self.rs_dir)
        self.forget_digests()
        self.fresh(self.raw_dir)
        self.raw_dir.mkdir()
        tool = self.cli("backup", "run", "rs", "--type", "files", "--json")
        first_raw = self.raw_dir / "first"
        raw1 = ["rsync", "-a", "--", f"{self.tree}/", f"{first_raw}/"]
        raw2 = ["rsync", "-a", f"--link-dest={first_raw}", "--", f"{self.tree}/", f"{self.raw_dir / 'second'}/"]
        pairs = [("rsync first: tool", tool, "rsync first: raw", raw1)]
        for label, a, rlabel, b in pairs:
            for name, argv in ([(label, a), (rlabel, b)] if i % 2 == 0 else [(rlabel, b), (label, a)]):
                self.timed(name, argv)
        time.sleep(1.1)  # dated dirs are per second
        order = [("rsync second: tool", tool), ("rsync second: raw", raw2)]
        for name, argv in (order if i % 2 == 0 else order[::-1]):
            self.timed(name, argv)
        points = sorted(p for p in self.rs_dir.iterdir()
                        if not p.is_symlink() and (p / "metadata.json").is_file())
        if len(points) == 2:
            first = du_bytes([points[0]])
            added = du_bytes([points[0], points[1]]) - first
            self.usage.append((first, added))
            print(f"  second rsync point adds {added / 1e6:.2f} MB to {first / 1e6:.1f} MB "
                  f"({100 * added / first:.3f}%)", flush=True)

    def restic_round(self, i: int) -> None:
        self.clear(self.rx_repo)  # keeps the volume marker; restic init accepts that dir
        self.fresh(self.raw_repo, self.state / "tui-backup" / "restic-parents",
                   self.state / "restic-parents")
        for repo in (self.rx_repo, self.raw_repo):
            self.run(["restic", "init", "--repo", str(repo)], self.restic_env)
        self.forget_digests()
        tool = self.cli("backup", "run", "rx", "--type", "files", "--json")
        raw = ["restic", "backup", "--json", "--repo", str(self.raw_repo), "--", str(self.tree)]
        for stage in ("first", "second"):
            order = [(f"restic {stage}: tool", tool, self.env), (f"restic {stage}: raw", raw, self.restic_env)]
            for name, argv, env in (order if i % 2 == 0 else order[::-1]):
                self.timed(name, argv, env)

    def full_round(self) -> None:
        self.clear(self.rs_dir)
        self.forget_digests()
        self.timed("rsync first: tool full", self.cli("backup", "run", "rs", "--type", "full", "--json"))

    def phases(self, dest: str, label: str) -> dict[str, float]:
        """One run of the tool (untimed by the medians), split by its job log: process
        start-up, job start -> manifest written (hashing), -> done (transfer), exit."""
        subprocess.run(["sync"], check=True)
        t0 = time.time()
        r = subprocess.run(self.cli("backup", "run", dest, "--type", "files", "--json"), env=self.env,
                           capture_output=True, check=True)
        t_end = time.time()
        started = json.loads(r.stdout.splitlines()[0])
        marks: list[tuple[str, float]] = []
        for line in Path(started["log_path"]).read_text().splitlines():
            stamp, _, rest = line.partition(" INFO ")
            if rest.startswith(("backup ", "backing up", "succeeded")):
                when = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + int(stamp[20:23]) / 1000
                marks.append((rest.split(" ")[0], when))  # the log's stamps are local time, as mktime
        out = {"total": t_end - t0}
        if len(marks) == 3:
            out["start-up"] = marks[0][1] - t0
            out["hashing + manifest"] = marks[1][1] - marks[0][1]
            out["transfer + commit"] = marks[2][1] - marks[1][1]
            out["exit"] = t_end - marks[2][1]
        print(f"  phases of one {label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in out.items()), flush=True)
        return out

    # ---- report ----

    def report(self) -> dict[str, Any]:
        med = {k: statistics.median(v) for k, v in self.times.items()}
        print("\nmedians (s):")
        for k, v in med.items():
            print(f"  {k:24s} {v:7.2f}   runs: {', '.join(f'{t:.2f}' for t in self.times[k])}")
        ratios: dict[str, float] = {}
        print(f"\nratios (target for the first backups <= {TARGET}x):")
        for dest in ("rsync", "restic"):
            for stage in ("first", "second"):
                tool, raw = med.get(f"{dest} {stage}: tool"), med.get(f"{dest} {stage}: raw")
                if tool and raw:
                    ratios[f"{dest} {stage}"] = round(tool / raw, 3)
                    ok = ("ok" if tool / raw <= TARGET else "MISSED") if stage == "first" else "(information)"
                    print(f"  {dest} {stage:6s} tool/raw = {tool / raw:5.2f}x  {ok}")
        if "cli startup (--help)" in med:
            print(f"  (the tool's fixed start-up cost, for information: {med['cli startup (--help)']:.2f} s)")
        if "rsync first: tool full" in med:
            print(f"  (full backup to rsync, for information: {med['rsync first: tool full']:.2f} s)")
        usage = [a / f for f, a in self.usage]
        if usage:
            m = statistics.median(usage)
            ok = "ok" if m < TARGET_SECOND_USAGE else "MISSED"
            print(f"\nsecond unchanged rsync point adds {100 * m:.3f}% of the first's disk usage "
                  f"(target < {100 * TARGET_SECOND_USAGE:.0f}%)  {ok}")
        return {"medians_s": {k: round(v, 3) for k, v in med.items()}, "ratios": ratios,
                "second_rsync_usage_fraction": usage}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=300)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=("rsync", "restic", "full"), action="append")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    for tool in ("rsync", "restic", "sync"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH")
    bench = Bench(args.size_mb, args.files, args.rounds)
    bench.prepare()
    only = set(args.only or ("rsync", "restic", "full"))
    for i in range(args.rounds):
        print(f"round {i + 1}/{args.rounds}", flush=True)
        if "rsync" in only:
            bench.rsync_round(i)
        if "restic" in only:
            bench.restic_round(i)
        if "full" in only:
            bench.full_round()
        # the fixed cost of any tool run: interpreter, imports, the CLI (no job, no I/O)
        bench.timed("cli startup (--help)", bench.cli("--help"))
    figures = bench.report()
    if "rsync" in only:
        print("\nwhere the tool's time goes (rsync destination):")
        bench.clear(bench.rs_dir)
        bench.forget_digests()
        figures["phases_first"] = bench.phases("rs", "first backup")
        time.sleep(1.1)
        figures["phases_second"] = bench.phases("rs", "second backup")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
