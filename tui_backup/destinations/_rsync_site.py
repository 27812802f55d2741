"""Where an rsync destination lives: a local directory or a directory on an ssh host.

`RsyncSite` gives the rsync arguments for paths under the base directory and the few
filesystem operations a backup needs besides rsync itself (mkdir, the `.inprogress` →
final rename, the atomic `latest` switch, removing a cancelled run).

Locally these are plain `os` calls. Over ssh they are one remote command each: ssh joins
its remote arguments into ONE string that the remote user's login shell parses, so a shell
is unavoidable there; every path in it is `shlex.quote`d and the command is POSIX `sh`
with GNU coreutils (`mv -T`, `ln -sfn`). `cd --` into the base first keeps a relative
base (to the remote home) and a base starting with '-' safe.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup.destinations.ssh import RemotePath
from tui_backup.fsutil import fsync_dir, make_private_dir

if TYPE_CHECKING:
    from tui_backup.jobs.runner import JobContext

LATEST = "latest"
LATEST_TMP = ".latest.tmp"


@dataclass(frozen=True)
class RsyncSite:
    local: Path | None = None
    remote: RemotePath | None = None

    @property
    def is_remote(self) -> bool:
        return self.remote is not None

    @property
    def display(self) -> str:
        return self.remote.display if self.remote is not None else str(self.local)

    def arg(self, *parts: str, slash: bool = False) -> str:
        """The rsync argument (after `--`) for `base/parts...`, with a trailing '/' if asked."""
        if self.remote is not None:
            text = self.remote.rsync_arg(*parts)
        else:
            assert self.local is not None
            text = str(self.local.joinpath(*parts))
        return text + "/" if slash and not text.endswith("/") else text

    def rsh(self) -> list[str]:
        """`-e SSH` for a remote site; nothing for a local one."""
        return self.remote.rsync_args() if self.remote is not None else []

    def _ssh(self, script: str) -> list[str]:
        assert self.remote is not None
        base = shlex.quote(self.remote.path)
        return self.remote.target.ssh_command(f"cd -- {base} && {script}")

    # ---- operations ----

    async def make_base(self, ctx: JobContext) -> None:
        if self.remote is None:
            assert self.local is not None
            await ctx.in_thread(make_private_dir, self.local)
            return
        path = shlex.quote(self.remote.path)
        result = await ctx.run(self.remote.target.ssh_command(f"mkdir -p -m 700 -- {path}"))
        _raise_ssh(result.exit_code, result.stderr_lines, ctx.target)

    async def commit(self, ctx: JobContext, inprogress: str, final: str) -> None:
        """Rename the finished run to its final name, then point `latest` at it atomically."""
        if self.remote is None:
            await ctx.in_thread(_commit_local, self.local, inprogress, final)
            return
        q = shlex.quote
        script = (
            f"mv -T -- {q(inprogress)} {q(final)} && "
            f"ln -sfn -- {q(final)} {LATEST_TMP} && mv -T -- {LATEST_TMP} {LATEST}"
        )
        result = await ctx.run(self._ssh(script))
        _raise_ssh(result.exit_code, result.stderr_lines, ctx.target)

    async def remove_stale(self, ctx: JobContext, suffix: str) -> None:
        """Remove every `base/*<suffix>` (runs killed before they could clean up); best effort.
        Only called by a run holding the destination's lock, so none of them is still written."""
        if self.remote is None:
            assert self.local is not None
            for p in self.local.glob(f"*{suffix}"):
                await ctx.in_thread(shutil.rmtree, p, True)
            return
        assert suffix.replace(".", "").isalnum(), suffix  # the glob is left unquoted for the remote shell
        script = f'for d in ./*{suffix}; do [ -e "$d" ] && rm -rf -- "$d"; done; true'
        with contextlib.suppress(Exception):
            await ctx.run(self._ssh(script), grace=(2.0, 2.0))

    async def remove(self, ctx: JobContext, name: str) -> None:
        """Remove `base/name` (a cancelled run's directory); best effort."""
        if self.remote is None:
            assert self.local is not None
            await ctx.in_thread(shutil.rmtree, self.local / name, True)
            return
        with contextlib.suppress(Exception):
            await ctx.run(self._ssh(f"rm -rf -- {shlex.quote(name)}"), grace=(2.0, 2.0))


def _commit_local(base: Path | None, inprogress: str, final: str) -> None:
    assert base is not None
    os.rename(base / inprogress, base / final)
    fsync_dir(base)
    tmp = base / LATEST_TMP
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(final)  # relative: the destination stays valid when moved or mounted elsewhere
    os.replace(tmp, base / LATEST)
    fsync_dir(base)


def _raise_ssh(exit_code: int, stderr: tuple[str, ...], destination: str) -> None:
    if exit_code == 0:
        return
    from tui_backup.jobs.errors import classify_rsync

    # ssh's own failures read the same as rsync-over-ssh ones; anything else is a plain failure.
    context = {"destination": destination, "tool": "ssh"}
    classify_rsync(exit_code if exit_code in (12, 255) else 1, stderr, context).raise_if_failed()
