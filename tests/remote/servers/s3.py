"""An S3-compatible server on 127.0.0.1 for restic's `s3:` backend: moto's server mode.

moto (a dev dependency) runs as its own process (`python -m moto.server`), so a test that
keeps the GIL busy cannot stall it. Credentials are fixed dummies; moto does not check
signatures, restic sends them anyway.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.remote.servers import ServerFixtureError, free_port, wait_for_port

HOST = "127.0.0.1"
ACCESS_KEY = "tui-backup-test-key"
SECRET_KEY = "tui-backup-test-secret"


@dataclass
class S3Server:
    root: Path
    port: int
    bucket: str
    log_file: Path
    host: str = HOST
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What restic needs in its environment to reach the server (no secrets in argv)."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            # A proxy from the environment must not capture loopback traffic.
            "NO_PROXY": HOST,
            "no_proxy": HOST,
        }

    def repository(self, path: str, bucket: str | None = None) -> str:
        """A restic repository location on this server: `s3:http://127.0.0.1:PORT/bucket/path`."""
        return f"s3:{self.endpoint}/{bucket or self.bucket}/{path.strip('/')}"

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        with _opener().open(request, timeout=10) as response:
            if response.status != 200:
                raise ServerFixtureError(f"creating bucket {name}: HTTP {response.status}")

    def list_keys(self, bucket: str | None = None) -> str:
        """The bucket listing (XML), to check what restic wrote."""
        with _opener().open(
            f"{self.endpoint}/{bucket or self.bucket}?list-type=2", timeout=10
        ) as r:
            body: bytes = r.read()
            return body.decode()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 30) -> None:
        if self.running:
            return
        log = self.log_file.open("ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.root,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_for_port(self.port, lambda: self.running, timeout, self.log_file)
        except ServerFixtureError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _opener() -> urllib.request.OpenerDirector:
    # No proxies: the server is on loopback.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_s3(root: Path, bucket: str = "tui-backup-test") -> S3Server:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise ServerFixtureError(
            "moto's server mode is not installed: pip install -e '.[dev]' (it needs moto[server])"
        )
    root.mkdir(parents=True, exist_ok=True)
    server = S3Server(root=root, port=free_port(), bucket=bucket, log_file=root / "moto.log")
    server.start()
    try:
        server.create_bucket(bucket)
    except Exception:
        server.stop()
        raise
    return server
