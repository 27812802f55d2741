"""Changing one `SECTION.KEY` of a profile's config, journaled as `config.change`.

The edit goes through `ConfigDocument` (tomlkit: comments and layout kept, the whole file
validated before it is written atomically). Every successful write is journaled (layer 2)
with the value before and after; values that are or may hold secrets (password keys,
notification URLs, which carry tokens, a ping URL) are redacted before they reach the
journal, and URL credentials anywhere are masked by the journal itself.

The CLI can run `config set` on a profile whose config does not load yet (fixing it is
the point): the document is edited first, and only the saved, valid config opens the
service that writes the journal entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.service import journal as _journal

if TYPE_CHECKING:
    from tui_backup.config.models import Config
    from tui_backup.service.profile import ProfileService

ACTION = "config.change"
# Keys whose values may carry credentials even though their names do not say "password".
_SECRET_BEARING = frozenset({"notify.urls", "notify.ping_url"})


@dataclass(frozen=True)
class ConfigChange:
    """One key changed: its value before and after (as written), and the file."""

    key: str
    before: Any
    after: Any
    file: str
    changed: bool
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def journal_details(key: str, before: Any, after: Any, file: str) -> dict[str, Any]:
    """The entry's details: secret-bearing values masked (the journal masks the rest)."""
    leaf = key.rsplit(".", 1)[-1]
    if key in _SECRET_BEARING or _journal.redact({leaf: "x"})[leaf] == _journal.REDACTED:
        before = _journal.REDACTED if before not in (None, "", [], False) else before
        after = _journal.REDACTED if after not in (None, "", [], False) else after
    # "setting", not "key": the journal masks any detail named like "key".
    return {"setting": key, "before": before, "after": after, "file": file}


def _edit(path: Path, key: str, value: Any, *, raw: bool) -> tuple[ConfigChange, Config]:
    from tui_backup.config import ConfigDocument, coerce_value

    doc = ConfigDocument(path)
    new = coerce_value(key, value) if raw else value
    before, text = doc.get(key), doc.doc.as_string()
    doc.set(key, new)
    config = doc.save(check_paths=True)
    changed = doc.doc.as_string() != text  # the file was rewritten with other content
    return ConfigChange(
        key, before, doc.get(key), str(doc.path), changed, tuple(config.warnings)
    ), config


def set_value(svc: ProfileService, key: str, value: Any, *, raw: bool = False) -> ConfigChange:
    """Set `key` in the service's own config (reloaded afterwards) and journal it.
    `raw=True`: `value` is command-line text, turned into the key's type first."""
    change, config = _edit(Path(svc.config.file), key, value, raw=raw)
    svc.config = config
    if change.changed:
        _journal.try_record(
            svc,
            ACTION,
            change.key,
            journal_details(change.key, change.before, change.after, change.file),
        )
    return change


def set_value_at(
    path: Path, key: str, value: Any, *, raw: bool = False, interface: str = "cli"
) -> ConfigChange:
    """`set_value` for a config file no service has open (the CLI's `config set`): the
    journal entry goes to the profile the saved config describes."""
    change, config = _edit(path, key, value, raw=raw)
    if change.changed:
        _record_for(config, change, interface)
    return change


def _record_for(config: Config, change: ConfigChange, interface: str) -> None:
    from tui_backup.service.profile import ProfileService

    try:
        svc = ProfileService(config, interface=interface)
    except Exception as exc:  # the journal never fails the edit (e.g. an unwritable state dir)
        _journal.log.warning("could not journal %s %s: %s", ACTION, change.key, exc)
        return
    try:
        _journal.try_record(
            svc,
            ACTION,
            change.key,
            journal_details(change.key, change.before, change.after, change.file),
        )
    finally:
        svc.close()


__all__ = ["ACTION", "ConfigChange", "journal_details", "set_value", "set_value_at"]
