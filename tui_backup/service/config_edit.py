"""Changing one `SECTION.KEY` of a profile's config, journaled as `config.change`.

The edit goes through `ConfigDocument` (tomlkit: comments and layout kept, the whole file
validated before it is written atomically). Every successful write is journaled (layer 2)
with the value before and after; values that are or may hold secrets (password keys,
notification URLs, which carry tokens, a ping URL) are redacted before they reach the
journal, and URL credentials anywhere are masked by the journal itself.

The file is written while the catalog's write lock is held and the entry is appended in
the same transaction: a config change never lands without its entry (a catalog locked by
another process refuses the edit, the file untouched). The CLI can run `config set` on a
profile whose config does not load yet (fixing it is the point): then the document is
edited first, and only the saved, valid config opens the service that writes the entry
(best-effort).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.service import journal as _journal

if TYPE_CHECKING:
    from tui_backup.config import ConfigDocument
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
    doc, before, changed = _plan(path, key, value, raw=raw)
    return _save(doc, key, before, changed)


def _plan(path: Path, key: str, value: Any, *, raw: bool) -> tuple[ConfigDocument, Any, bool]:
    """The edited document (validated, not written), the value before, and whether the
    file's text changes."""
    from tui_backup.config import ConfigDocument, coerce_value

    doc = ConfigDocument(path)
    new = coerce_value(key, value) if raw else value
    before, text = doc.get(key), doc.doc.as_string()
    doc.set(key, new)
    doc.validate(check_paths=True)  # an invalid value is refused before the catalog is locked
    return doc, before, doc.doc.as_string() != text


def _save(doc: ConfigDocument, key: str, before: Any, changed: bool) -> tuple[ConfigChange, Config]:
    config = doc.save(check_paths=True)
    return ConfigChange(key, before, doc.get(key), str(doc.path), changed, tuple(config.warnings)), config


def set_value(svc: ProfileService, key: str, value: Any, *, raw: bool = False) -> ConfigChange:
    """Set `key` in the service's own config (reloaded afterwards) and journal it.
    `raw=True`: `value` is command-line text, turned into the key's type first."""
    change, _config = _set_journaled(svc, Path(svc.config.file), key, value, raw=raw, follow_state=False)
    return change


def set_value_at(
    path: Path, key: str, value: Any, *, raw: bool = False, interface: str = "cli"
) -> ConfigChange:
    """`set_value` for a config file no service has open (the CLI's `config set`). A config
    that does not load yet (fixing it is the point) is edited first and journaled after,
    best-effort, in the profile the saved config describes."""
    svc = _service_at(path, interface)
    if svc is None:
        change, config = _edit(path, key, value, raw=raw)
        if change.changed:
            _record_for(config, change, interface)
        return change
    try:
        change, moved_to = _set_journaled(svc, path, key, value, raw=raw, follow_state=True)
    finally:
        svc.close()
    if moved_to is not None:  # the state dir moved: the entry goes where the profile now lives
        _record_for(moved_to, change, interface)
    return change


def _set_journaled(
    svc: ProfileService, path: Path, key: str, value: Any, *, raw: bool, follow_state: bool
) -> tuple[ConfigChange, Config | None]:
    """Write the edit under the catalog's write lock, its entry in the same transaction
    (a locked catalog refuses the edit: the file stays as it was). With `follow_state`, an
    edit that moves the profile's catalog is not journaled here: returns the new config
    for the caller to journal it there (else None)."""
    from tui_backup.service.profile import profile_paths

    doc, before, changed = _plan(path, key, value, raw=raw)
    if not changed:  # nothing to journal: the file is rewritten as it was
        change, config = _save(doc, key, before, changed)
        svc.config = config
        return change, None
    with _journal.recording(svc) as journal:
        change, config = _save(doc, key, before, changed)
        svc.config = config
        if follow_state and profile_paths(config).catalog != svc.paths.catalog:
            return change, config
        journal.record(ACTION, change.key, journal_details(change.key, change.before, change.after, change.file))
    return change, None


def _service_at(path: Path, interface: str) -> ProfileService | None:
    """A service on the config at `path` as it is now, or None when it cannot be had (the
    config does not load, the state dir is unwritable): `config set` repairs those. A
    locked catalog is not one of them: it refuses the edit."""
    from tui_backup.catalog._db import CatalogLocked
    from tui_backup.config import load_config
    from tui_backup.service.profile import ProfileService

    try:
        return ProfileService(load_config(path, check_paths=False), interface=interface)
    except CatalogLocked as exc:  # (opening migrates under the write lock)
        raise _journal.refused(exc) from None
    except Exception as exc:
        _journal.log.debug("config set on %s without a service first: %s", path, exc)
        return None


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
