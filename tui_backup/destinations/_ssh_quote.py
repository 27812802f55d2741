"""Quoting for the three parsers an ssh command line goes through.

None of these is a shell, and each splits words its own way:

- rsync's `-e COMMAND`: words on spaces; single and double quotes group (a doubled quote
  inside is a literal quote); backslashes are literal. `shlex.quote` output parses the
  same there, so it is the documented way to build it.
- restic's `sftp.command`: its own splitter (internal/backend/shell_split.go): quotes
  group but always end a word, a backslash outside quotes splits words, and there is no
  escape for a quote inside quotes. A word holding both quote characters cannot be
  written at all, so it is refused.
- restic's `-o` flag itself is a list flag whose value is read as one CSV record: a
  value holding `,` or `"` must be CSV-quoted or it is split or rejected.
- ssh's own `-o Key=VALUE`: the value is split like a config line (quotes group, a
  backslash escapes `\\`, a quote or a space), then `%x` tokens and `${VAR}` are
  expanded in file names. `%` is escaped as `%%`; `${` has no escape and is refused
  where the path is checked (see ssh.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from tui_backup.errors import TuiBackupError


class UnquotableError(TuiBackupError):
    """A word that a tool's command-line parser cannot carry intact."""


def rsync_rsh(argv: Sequence[str]) -> str:
    """The single string for `rsync -e`, each word quoted so rsync splits it back exactly."""
    return " ".join(shlex.quote(word) for word in argv)


def _restic_word(word: str) -> str:
    if not word:
        raise UnquotableError(
            "an empty word cannot be passed in restic's sftp.command",
            hint="remove the empty ssh option",
        )
    if not any(c.isspace() or c in "'\"\\" for c in word):
        return word
    for quote in ("'", '"'):
        # A backslash just before the closing quote would stop it closing.
        if quote not in word and not word.endswith("\\"):
            return f"{quote}{word}{quote}"
    raise UnquotableError(
        f"{word!r} cannot be passed in restic's sftp.command (it holds both quote characters "
        "or ends with a backslash)",
        hint="rename the file or directory so its path has at most one kind of quote",
    )


def restic_command(argv: Sequence[str]) -> str:
    """The string for restic's `-o sftp.command=...`, split back by restic into `argv`."""
    return " ".join(_restic_word(word) for word in argv)


def ssh_config_value(value: str) -> str:
    """A value for `ssh -o Key=VALUE`, read back by ssh's config-line splitter as one word.

    Backslash escapes rather than quotes, so the word keeps at most the quote characters the
    value itself holds (restic's splitter cannot carry a word with both kinds).
    """
    out = []
    for c in value:
        if c in "\\ '\"":
            out.append("\\")
        out.append(c)
    return "".join(out)


def ssh_percent_escape(path: str) -> str:
    """A file name ssh will not expand `%` tokens in (`IdentityFile`, `UserKnownHostsFile`)."""
    return path.replace("%", "%%")


def pflag_list_item(value: str) -> str:
    """One item for a Go pflag list flag (restic `-o`): CSV-quoted when it must be."""
    if any(c in value for c in ',"\r\n') or value[:1].isspace():
        return '"' + value.replace('"', '""') + '"'
    return value
