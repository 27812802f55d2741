"""A real OpenSSH server on 127.0.0.1 (the recipe in REFERENCE.md), with pinned host keys.

Host key checking stays on in every test: the client's known_hosts holds the generated host
key. `wrong_known_hosts()` / `empty_known_hosts()` make the files for the host-key errors,
`stranger_key()` a client key the server does not know (authentication errors), and
`stop()` / `start()` take the server away and back (mid-transfer failures).
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.remote.servers import (
    ServerFixtureError,
    accepts_tcp,
    descendants,
    free_port,
    wait_for_port,
)
from tui_backup.destinations.ssh import RemotePath, SshTarget

SSHD = "/usr/sbin/sshd"
HOST = "127.0.0.1"
# Keep the run hermetic: no system-wide known_hosts may vouch for (or against) the test host.
TEST_SSH_OPTIONS = ("GlobalKnownHostsFile=/dev/null",)


def _keygen(path: Path, comment: str) -> str:
    """A new ed25519 key pair at `path`; returns the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def _require(binary: str, package: str) -> str:
    found = shutil.which(binary) or (binary if os.access(binary, os.X_OK) else None)
    if found is None:
        raise ServerFixtureError(f"{binary} not found: install it (apt-get install {package})")
    return found


@dataclass
class SshServer:
    root: Path
    port: int
    user: str
    identity_file: Path
    known_hosts_file: Path
    host_key_line: str
    config_file: Path
    log_file: Path
    host: str = HOST
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    # -- what tests connect with ------------------------------------------------------
    @property
    def target(self) -> SshTarget:
        """The pinned, key-authenticated target for this server."""
        return SshTarget(
            host=self.host,
            user=self.user,
            port=self.port,
            identity_file=self.identity_file,
            known_hosts_file=self.known_hosts_file,
            ssh_options=TEST_SSH_OPTIONS,
        )

    def target_with(self, **changes: object) -> SshTarget:
        """`target` with some fields replaced (another key, known_hosts, port...)."""
        return dataclasses.replace(self.target, **changes)  # type: ignore[arg-type]

    def remote(self, path: str | Path, target: SshTarget | None = None) -> RemotePath:
        return RemotePath(target or self.target, str(path))

    def ssh(
        self, *remote: str, target: SshTarget | None = None, timeout: float = 20
    ) -> subprocess.CompletedProcess[str]:
        """Run a command on the server over ssh (for checks and setup in tests)."""
        return subprocess.run(
            (target or self.target).ssh_command(*remote),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # -- files for the failure tests ----------------------------------------------------
    def wrong_known_hosts(self, directory: Path) -> Path:
        """A known_hosts that pins a *different* key for this host:port (a changed host key)."""
        key = directory / "impostor_host_key"
        if not key.exists():
            _keygen(key, "impostor")
        pub = key.with_name(key.name + ".pub").read_text().split()
        out = directory / "known_hosts.wrong"
        out.write_text(f"[{self.host}]:{self.port} {pub[0]} {pub[1]}\n")
        return out

    def empty_known_hosts(self, directory: Path) -> Path:
        """A known_hosts with no key for this host (an unknown host)."""
        out = directory / "known_hosts.empty"
        out.write_text("")
        return out

    def stranger_key(self, directory: Path) -> Path:
        """A client key not in authorized_keys (authentication fails)."""
        key = directory / "stranger_key"
        if not key.exists():
            _keygen(key, "stranger")
        return key

    def closed_port(self) -> int:
        """A port on 127.0.0.1 where nothing listens (connection refused)."""
        port = free_port()
        while port == self.port:
            port = free_port()
        return port

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10) -> None:
        if self.running:
            return
        log = self.log_file.open("ab")
        try:
            self.proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_for_port(self.port, lambda: self.running, timeout, self.log_file)
        except ServerFixtureError:
            self.stop()
            raise

    def stop(self, kill_sessions: bool = True) -> None:
        """Stop the listener and (by default) every session it forked, as a dying host would."""
        if self.proc is None:
            return
        victims = descendants(self.proc.pid) if kill_sessions else []
        if self.proc.poll() is None:
            self.proc.terminate()
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        # The port must be really free before a restart or a "refused" test relies on it.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not accepts_tcp(self.port):
                break
            time.sleep(0.05)


def start_sshd(root: Path) -> SshServer:
    """Generate keys and config under `root` (a fresh temp dir), start sshd, return it."""
    _require(SSHD, "openssh-server")
    _require("ssh", "openssh-client")
    _require("ssh-keygen", "openssh-client")
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    user = pwd.getpwuid(os.geteuid()).pw_name
    host_key = root / "ssh_host_ed25519_key"
    host_pub = _keygen(host_key, "test-host").split()
    client_key = root / "id_ed25519"
    client_pub = _keygen(client_key, "test-client")
    authorized = root / "authorized_keys"
    authorized.write_text(client_pub + "\n")
    authorized.chmod(0o600)
    port = free_port()
    known_hosts = root / "known_hosts"
    host_key_line = f"[{HOST}]:{port} {host_pub[0]} {host_pub[1]}"
    known_hosts.write_text(host_key_line + "\n")
    config = root / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                f"ListenAddress {HOST}",
                f"HostKey {host_key}",
                f"PidFile {root / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                # pytest's temp dirs are not owned the way StrictModes wants.
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                "MaxStartups 50",
                "LogLevel INFO",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        # A root sshd wants its privilege-separation directory.
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
    check = subprocess.run(
        [SSHD, "-t", "-f", str(config)], stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if check.returncode != 0:
        raise ServerFixtureError(f"sshd -t rejected the test config: {check.stderr.strip()}")
    server = SshServer(
        root=root,
        port=port,
        user=user,
        identity_file=client_key,
        known_hosts_file=known_hosts,
        host_key_line=host_key_line,
        config_file=config,
        log_file=root / "sshd.log",
    )
    server.start()
    return server
