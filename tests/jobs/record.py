"""Record the raw output of the real restic and rsync for the parser and classifier tests.

Run as root on a machine with restic, rsync and sshd (`python tests/jobs/record.py`); it
rewrites tests/jobs/recorded/. Every case saves `<name>.stdout` and `<name>.stderr` (raw
bytes, `\\r` kept) and `<name>.json` ({"argv": [...], "exit_code": N}). Paths in argv are
the temporary ones used while recording. Nothing here is hand-written output.

Tricks used because we run as root:
- unreadable files: the tool runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv),
  so a mode-000 file is really unreadable;
- disk full: a 2 MB tmpfs;
- ssh failures: a closed 127.0.0.1 port, an unresolvable host, and a loopback sshd with an
  empty known_hosts (host key verification) or an unknown client key (publickey).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

OUT = Path(__file__).parent / "recorded"
PASSWORD = "recording-password"
NO_DAC = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
]


def save(name: str, argv: list[str], proc: subprocess.CompletedProcess[bytes]) -> None:
    (OUT / f"{name}.stdout").write_bytes(proc.stdout)
    (OUT / f"{name}.stderr").write_bytes(proc.stderr)
    (OUT / f"{name}.json").write_text(json.dumps({"argv": argv, "exit_code": proc.returncode}, indent=1) + "\n")
    print(f"{name}: exit {proc.returncode}, {len(proc.stdout)} + {len(proc.stderr)} bytes")


def run(name: str, argv: list[str], env: dict[str, str] | None = None, **kw: object) -> subprocess.CompletedProcess[bytes]:
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LC_ALL": "C"}
    full_env.update(env or {})
    if "input" not in kw:
        kw["stdin"] = subprocess.DEVNULL
    proc = subprocess.run(argv, env=full_env, capture_output=True, **kw)  # type: ignore[call-overload]
    save(name, argv, proc)
    return proc  # type: ignore[no-any-return]


def make_tree(root: Path, files: int, size: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        sub = root / f"d{i % 5}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i:04d}.bin").write_bytes(os.urandom(size))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def record_restic(tmp: Path) -> None:
    repo = tmp / "repo"
    env = {"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": PASSWORD, "RESTIC_PROGRESS_FPS": "10"}
    data = tmp / "data"
    make_tree(data, 60, 1_000_000)
    make_tree(tmp / "extra", 3, 1000)
    (data / "empty").mkdir()
    run("restic-init", ["restic", "init"], env)
    # --limit-upload stretches the run over seconds: seconds_elapsed/remaining appear.
    run("restic-backup", ["restic", "backup", "--json", "--limit-upload", "15000", "--", str(data)], env)
    # -vv: per-file verbose_status lines and 0.14's scan_finished sent as a "status".
    run("restic-backup-verbose", ["restic", "backup", "--json", "-vv", "--", str(data), str(tmp / "extra")], env)
    # Second run: nothing changed; fast, zero fields omitted.
    run("restic-backup-unchanged", ["restic", "backup", "--json", "--", str(data)], env)
    # --stdin: restic cannot know the total, seconds_remaining goes huge.
    # Fed slowly (~3 s) so the status lines carry elapsed and (2^63) remaining seconds.
    argv = ["restic", "backup", "--json", "--stdin", "--stdin-filename", "dump.sql"]
    feeder = subprocess.Popen(argv, env={"PATH": os.environ["PATH"], **env}, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert feeder.stdin is not None
    chunks = [os.urandom(1_000_000) for _ in range(30)]

    def feed() -> None:
        assert feeder.stdin is not None
        for c in chunks:
            feeder.stdin.write(c)
            time.sleep(0.1)
        feeder.stdin.close()

    t = threading.Thread(target=feed)
    t.start()
    assert feeder.stdout is not None and feeder.stderr is not None
    out_b, err_b = feeder.stdout.read(), feeder.stderr.read()
    t.join()
    save("restic-backup-stdin", argv, subprocess.CompletedProcess(argv, feeder.wait(), out_b, err_b))
    # One path missing among others (0.14: exit 0) and all paths missing (exit 1).
    run("restic-backup-some-missing", ["restic", "backup", "--json", "--", str(data / "d0"), str(tmp / "nope")], env)
    run("restic-backup-all-missing", ["restic", "backup", "--json", "--", str(tmp / "nope")], env)
    # Unreadable files: exit 3, snapshot still made.
    unreadable = tmp / "unreadable"
    make_tree(unreadable, 4, 1000)
    (unreadable / "d1" / "f0001.bin").chmod(0)
    (unreadable / "secret-dir").mkdir()
    (unreadable / "secret-dir" / "x").write_text("x")
    (unreadable / "secret-dir").chmod(0)
    repo.chmod(0o777)
    for p in repo.rglob("*"):
        p.chmod(0o777 if p.is_dir() else 0o666)
    run("restic-backup-unreadable", [*NO_DAC, "restic", "backup", "--json", "--", str(unreadable)], env)
    (unreadable / "secret-dir").chmod(0o700)
    run("restic-wrong-password", ["restic", "backup", "--json", "--", str(data)], {**env, "RESTIC_PASSWORD": "wrong"})
    run("restic-no-repo", ["restic", "snapshots", "--json"], {**env, "RESTIC_REPOSITORY": str(tmp / "norepo")})
    run("restic-no-repo-backup", ["restic", "backup", "--json", "--", str(data)], {**env, "RESTIC_REPOSITORY": str(tmp / "norepo")})
    run("restic-snapshots", ["restic", "snapshots", "--json"], env)
    # A lock held by a live restic (a --stdin backup we keep waiting), then by a dead one.
    holder = subprocess.Popen(
        ["restic", "backup", "--json", "--stdin"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"], **env},
    )
    assert holder.stdin is not None
    holder.stdin.write(b"x" * 1000)
    holder.stdin.flush()
    time.sleep(1.5)
    run("restic-locked", ["restic", "check"], env)
    holder.kill()
    holder.wait()
    run("restic-locked-dead", ["restic", "check"], env)
    run("restic-unlock", ["restic", "unlock"], env)
    # Interrupted: SIGINT in the middle of a backup (exit 130).
    big = tmp / "big"
    make_tree(big, 30, 5_000_000)
    full_env = {"PATH": os.environ["PATH"], "HOME": "/root", **env}
    proc = subprocess.Popen(["restic", "backup", "--json", "--", str(big)], env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.6)
    proc.send_signal(2)
    out, err = proc.communicate()
    save("restic-interrupted", proc.args, subprocess.CompletedProcess(proc.args, proc.returncode, out, err))  # type: ignore[arg-type]
    # Disk full: a repository on a 3 MB tmpfs.
    mnt = tmp / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], check=True)
    try:
        small_env = {**env, "RESTIC_REPOSITORY": str(mnt / "repo")}
        run("restic-init-small", ["restic", "init"], small_env)
        run("restic-disk-full", ["restic", "backup", "--json", "--", str(data)], small_env)
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    # SFTP to a closed port.
    port = free_port()
    run("restic-sftp-refused", [
        "restic", "-r", "sftp:127.0.0.1:/repo", "-o",
        f"sftp.command=ssh -p {port} -o BatchMode=yes -o LogLevel=ERROR 127.0.0.1 -s sftp", "snapshots", "--json",
    ], env)
    # Not installed: an absent binary name is an exec failure, nothing to record.


def record_rsync(tmp: Path) -> None:
    src = tmp / "src"
    make_tree(src, 12, 400_000)
    (src / "link").symlink_to("d0")
    dst = tmp / "dst"
    base = ["rsync", "-a", "--info=progress2", "--no-inc-recursive"]
    run("rsync-progress2", [*base, "--bwlimit=1500", "--", f"{src}/", f"{dst}/"])
    dst2 = tmp / "dst2"
    run("rsync-progress2-itemize-stats", [*base, "-ii", "--stats", "--bwlimit=2000", "--", f"{src}/", f"{dst2}/"])
    # Second dated copy with --link-dest: unchanged files are hard links ("hf"), one changed file.
    (src / "d1" / "f0001.bin").write_bytes(os.urandom(400_000))
    (src / "new.txt").write_text("new\n")
    run("rsync-link-dest", [*base, "-ii", "--stats", f"--link-dest={dst2}", "--", f"{src}/", f"{tmp / 'dst3'}/"])
    # info=stats2 instead of --stats.
    run("rsync-stats2", [*base, "--info=progress2,stats2", "--", f"{src}/", f"{tmp / 'dst4'}/"])
    # Incremental recursion (no --no-inc-recursive): ir-chk while the list is incomplete.
    many = tmp / "many"
    make_tree(many, 3000, 2000)
    run("rsync-ir-chk", ["rsync", "-a", "--info=progress2", "--bwlimit=3000", "--", f"{many}/", f"{tmp / 'many-dst'}/"])
    # Errors.
    run("rsync-source-missing", [*base, "--", str(tmp / "nope"), f"{tmp / 'dst5'}/"])
    bad = tmp / "bad"
    make_tree(bad, 3, 1000)
    (bad / "d1" / "f0001.bin").chmod(0)
    (bad / "closed").mkdir()
    (bad / "closed" / "x").write_text("x")
    (bad / "closed").chmod(0)
    out = tmp / "bad-dst"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    run("rsync-unreadable", [*NO_DAC, *base, "--", f"{bad}/", f"{out}/"])
    (bad / "closed").chmod(0o700)
    # Vanished: a file deleted while a big one crawls through --bwlimit.
    van = tmp / "van"
    van.mkdir()
    (van / "a-big.bin").write_bytes(os.urandom(1_500_000))
    (van / "z-small.bin").write_bytes(b"z" * 100)
    timer = threading.Timer(0.5, lambda: (van / "z-small.bin").unlink())
    timer.start()
    run("rsync-vanished", [*base, "--bwlimit=1000", "--", f"{van}/", f"{tmp / 'van-dst'}/"])
    timer.join()
    # Destination problems.
    run("rsync-dest-parent-missing", [*base, "--", f"{src}/", f"{tmp / 'no' / 'such' / 'dir'}/"])
    mnt = tmp / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        run("rsync-disk-full", [*base, "--", f"{src}/", f"{mnt}/"])
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    # SSH failures.
    port = free_port()
    ssh = f"ssh -p {port} -o BatchMode=yes -o LogLevel=ERROR"
    for i in range(3):  # 12 or 255 at random: keep a few
        run(f"rsync-ssh-refused-{i}", [*base, "-e", ssh, "--", f"{src}/", f"127.0.0.1:{tmp}/r/"])
    run("rsync-ssh-unresolved", [*base, "-e", "ssh -o BatchMode=yes -o LogLevel=ERROR", "--", f"{src}/",
                                 "no-such-host.invalid:/tmp/r/"])
    record_rsync_sshd(tmp, src, base)
    run("rsync-syntax", ["rsync", "--no-such-option", "a", "b"])


def record_rsync_sshd(tmp: Path, src: Path, base: list[str]) -> None:
    d = tmp / "sshd"
    d.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "client")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "stranger")], check=True)
    shutil.copy(d / "client.pub", d / "authorized_keys")
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host'}\nPidFile {d / 'pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        "Subsystem sftp internal-sftp\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        host_pub = (d / "host.pub").read_text().split()
        (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        (d / "empty_known_hosts").write_text("")
        common = f"ssh -p {port} -o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes"
        run("rsync-ssh-hostkey", [*base, "-e", f"{common} -i {d / 'client'} -o UserKnownHostsFile={d / 'empty_known_hosts'}"
                                  " -o StrictHostKeyChecking=yes", "--", f"{src}/", f"127.0.0.1:{tmp}/r1/"])
        run("rsync-ssh-publickey", [*base, "-e", f"{common} -i {d / 'stranger'} -o UserKnownHostsFile={d / 'known_hosts'}",
                                    "--", f"{src}/", f"127.0.0.1:{tmp}/r2/"])
        run("rsync-ssh-ok", [*base, "--stats", "-e", f"{common} -i {d / 'client'} -o UserKnownHostsFile={d / 'known_hosts'}",
                             "--", f"{src}/", f"127.0.0.1:{tmp}/r3/"])
    finally:
        sshd.terminate()
        sshd.wait()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    which = sys.argv[1:] or ["restic", "rsync"]
    for old in OUT.iterdir():
        if old.name.split("-", 1)[0] in which:
            old.unlink()
    with tempfile.TemporaryDirectory(prefix="tb-record-") as t:
        tmp = Path(t)
        tmp.chmod(0o755)
        if "restic" in which:
            (tmp / "restic").mkdir()
            record_restic(tmp / "restic")
        if "rsync" in which:
            (tmp / "rsync").mkdir()
            record_rsync(tmp / "rsync")


if __name__ == "__main__":
    main()
