"""Add, edit, pause/resume and remove `[[policy]]` blocks in a profile's config.

Why blocks: only the lines of the policy being changed are touched, so every comment,
blank line and layout choice elsewhere in the file stays byte-for-byte as the user wrote
it. The block itself is edited with tomlkit (a replaced value keeps its line's comment).
Every change is validated as a whole new config (the loader's own checks, run on the new
text with the real file's name so messages point at it) before the file is replaced
atomically with its own mode: an invalid edit changes nothing and says why. The file is
replaced under the catalog's write lock, its journal entry in the same transaction.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
from tomlkit.items import InlineTable, Item, Table

from tui_backup import clock
from tui_backup.config._load import parse_text, validate_document
from tui_backup.config.models import Config
from tui_backup.errors import ConfigError, NotFoundError, UsageError
from tui_backup.fsutil import atomic_writer
from tui_backup.service import journal as _journal

if TYPE_CHECKING:
    from tui_backup.catalog.trash import TrashItem
    from tui_backup.service.profile import ProfileService

STATES = ("active", "paused")

_POLICY_HEADER = re.compile(r"^\s*\[\[\s*policy\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]")
# The first line of a removed policy's trash item (see _trash_block): not the user's text.
_REMOVED_HEADER = re.compile(r"\A# policy .* removed from .* at \d{8}T\d{6}Z\n")


@dataclass(frozen=True)
class PolicyChange:
    """What one edit did: the TOML text of the policy's block before and after it."""

    action: str  # "add" | "edit" | "pause" | "resume" | "remove"
    policy: str
    before: str | None
    after: str | None
    saved_to: Path | None = None  # remove: where the removed block was kept
    changed: bool = True  # False when the file already said so (e.g. pausing a paused policy)


# ---- the operations (ProfileService's add_policy, edit_policy, ... call these) ----


def add_policy(svc: ProfileService, table: dict[str, object]) -> PolicyChange:
    """Append a new `[[policy]]` (after the last one) from a table of its keys."""
    path, _text, new_text, block = _plan_add(svc, table)
    name = str(table["name"])
    _save(svc, path, new_text, ("policy.add", name, {"after": block}), secrets=notify_secrets(block))
    return PolicyChange("add", name, None, block)


def edit_policy(svc: ProfileService, name: str, changes: dict[str, object], *, action: str = "edit") -> PolicyChange:
    """Set (or, with a value of None, remove) keys of policy `name`: `changes` maps dotted
    keys (`frequency`, `retention.keep_daily`, `hooks.before`) to TOML values."""
    plan = _plan_edit(svc, name, changes)
    new_name = changes.get("name", name)
    if not plan.changed:
        return PolicyChange(action, name, plan.before, plan.after, changed=False)
    _save(
        svc, plan.path, plan.new_text,
        ("policy.edit", name, {"change": action, "keys": changes, "before": plan.before, "after": plan.after}),
        secrets=notify_secrets(plan.before, plan.after, changes=changes),
    )
    return PolicyChange(action, str(new_name), plan.before, plan.after)


def preview_policy_change(svc: ProfileService, name: str | None, table: dict[str, object]) -> tuple[str, str]:
    """The whole config text before and after `add_policy(svc, table)` (name None) or
    `edit_policy(svc, name, table)`, computed by the very code that saves, and validated
    the same way (an invalid change raises here, before anything is shown or written).
    Nothing is written: the TUI shows the difference and asks before saving."""
    if name is None:
        path, text, new_text, _block = _plan_add(svc, table)
    else:
        plan = _plan_edit(svc, name, table)
        path, text, new_text = plan.path, plan.text, plan.new_text
    if new_text != text:
        _validate(path, new_text)
    return text, new_text


def policy_table(path: Path, name: str) -> dict[str, Any] | None:
    """Policy `name`'s own table as the config file at `path` has it (keys that are not
    set stay unset: what a form shows to edit), or None when it is not there."""
    try:
        doc = parse_text(path.read_text(encoding="utf-8"), str(path))
    except (OSError, ConfigError):
        return None
    for table in doc.unwrap().get("policy", []):
        if isinstance(table, dict) and table.get("name") == name:
            return dict(table)
    return None


@dataclass(frozen=True)
class _EditPlan:
    path: Path
    text: str  # the file now
    new_text: str  # the file after the edit
    before: str  # the policy's block (with its leading comments) now
    after: str  # ... and after the edit

    @property
    def changed(self) -> bool:
        return self.new_text != self.text


def _plan_add(svc: ProfileService, table: dict[str, object]) -> tuple[Path, str, str, str]:
    """(path, text now, text after, the new block) of adding a policy."""
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError("a new policy needs a name", "give it one: name = \"nightly\"")
    path, text = _read(svc)
    if name in _names(text, path):
        raise UsageError(f"a policy named {name!r} already exists", "choose another name, or edit that one")
    block = _render_block(table)
    lines = _lines(text)
    spans = _policy_spans(lines)
    at = spans[-1][2] if spans else len(lines)
    return path, text, _splice(lines, at, at, block), block


def _plan_edit(svc: ProfileService, name: str, changes: dict[str, object]) -> _EditPlan:
    if not changes:
        raise UsageError("nothing to change", "give at least one key=value")
    path, text = _read(svc)
    lines = _lines(text)
    lead, start, end = _span_of(lines, name, path)
    old_block = "".join(lines[start:end])
    new_block = _edit_block(old_block, changes)
    if not new_block.endswith("\n") and old_block.endswith("\n"):
        new_block += "\n"
    before = "".join(lines[lead:end])
    after = "".join(lines[lead:start]) + new_block
    new_text = text if new_block == old_block else _splice(lines, start, end, new_block, blank_around=False)
    return _EditPlan(path, text, new_text, before, after)


def set_policy_state(svc: ProfileService, name: str, state: str) -> PolicyChange:
    """Pause ("paused") or resume ("active") a policy."""
    if state not in STATES:
        raise UsageError(f"unknown policy state {state!r}", f"use one of: {', '.join(STATES)}")
    return edit_policy(svc, name, {"state": state}, action="pause" if state == "paused" else "resume")


def remove_policy(svc: ProfileService, name: str) -> PolicyChange:
    """Remove the policy's block (with the comments just above it). The removed text is in
    `before`, and is also kept in the trash (kind "policy"; `saved_to` is its file). The
    restore points it made stay where they are."""
    path, text = _read(svc)
    lines = _lines(text)
    lead, _start, end = _span_of(lines, name, path)
    before = "".join(lines[lead:end])
    new_text = _splice(lines, lead, end, "")
    config = _validate(path, new_text)
    saved = _keep_removed(svc, name, before)  # (its own catalog transactions: before the lock)
    _save(svc, path, new_text, ("policy.remove", name, {"before": before, "saved_to": saved}),
          secrets=notify_secrets(before), validated=config)
    return PolicyChange("remove", name, before, None, saved_to=saved)


def restore_from_trash(svc: ProfileService, item_id: str, *, overwrite: bool = False) -> TrashItem:
    """Put a removed policy's block (trash item of kind "policy", comments and all) back
    after the last policy. A policy of that name in the config is a conflict, refused
    unless `overwrite`, which replaces it (its block going to the trash in turn). The new
    config is validated first (e.g. its destination must still exist): an invalid result
    changes nothing. Journaled as `policy.add` ("restored from trash") and `trash.restore`."""
    from tui_backup.service import trash

    item = trash.get(svc, item_id)
    if item.kind != "policy":
        raise UsageError(f"trash item {item.id} is a {item.kind}, not a policy", "restore it with `tui-backup trash restore ID`")
    if item.state != "trashed":
        raise UsageError(f"trash item {item.id} is {item.state}, not in the trash", "see `tui-backup trash list`")
    try:
        stored = Path(item.stored).read_text(encoding="utf-8")
    except OSError as exc:
        raise trash.TrashError(f"cannot read trash item {item.id}: {exc.strerror}", "see `tui-backup trash show ID`") from None
    block = _REMOVED_HEADER.sub("", stored, count=1)
    name = _block_name(block, item.stored)
    path, text = _read(svc)
    lines = _lines(text)
    replaced: str | None = None
    if name in _names(text, path):
        if not overwrite:
            raise trash.TrashConflictError(
                f"a policy named {name!r} already exists in {path}",
                "rerun with --overwrite (the current block goes to the trash) or use --to FILE",
            )
        lead, _start, end = _span_of(lines, name, path)
        replaced = "".join(lines[lead:end])
        new_text = _splice(lines, lead, end, block if block.endswith("\n") else block + "\n", blank_around=False)
    else:
        spans = _policy_spans(lines)
        at = spans[-1][2] if spans else len(lines)
        new_text = _splice(lines, at, at, block)
    config = _validate(path, new_text)  # before anything changes
    details: dict[str, Any] = {"after": block, "restored_from_trash": item.id, "note": "restored from trash"}
    if replaced is not None:
        details["before"] = replaced
        details["replaced_by_trash_item"] = _trash_block(
            svc, name, replaced, reason=f"replaced by restoring trash item {item.id}"
        ).id
    _save(svc, path, new_text, ("policy.add", name, details), secrets=notify_secrets(block, replaced or ""),
          validated=config)
    return trash.mark_restored(svc, item, str(path), policy=name)


def notify_secrets(*blocks: str, changes: dict[str, object] | None = None) -> list[str]:
    """The notification URLs (tokens in their paths) in policy blocks and in edited keys,
    for the journal to mask: a URL just removed is no longer in the config it knows of."""
    found: list[str] = []

    def collect(notify: object) -> None:
        if isinstance(notify, dict):
            for key in ("urls", "ping_url"):
                value = notify.get(key)
                found.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v)

    for block in blocks:
        try:
            doc = parse_text(block, "policy block").unwrap()
        except ConfigError:
            continue
        for table in doc.get("policy", []):
            if isinstance(table, dict):
                collect(table.get("notify"))
    for key, value in (changes or {}).items():
        if key.startswith("notify."):
            collect({key.split(".", 1)[1]: value})
        elif key == "notify":
            collect(value)
    return found


def _block_name(block: str, where: str) -> str:
    """The name of the one [[policy]] a stored block holds."""
    doc = parse_text(block, where)
    policies = doc.get("policy", [])
    if len(policies) != 1 or not isinstance(policies[0], dict) or not isinstance(policies[0].get("name"), str):
        raise UsageError(f"trash item {where} does not hold exactly one named [[policy]]", "restore it with --to FILE")
    return str(policies[0]["name"])


# ---- the policy blocks of a config text ----


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _policy_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """(lead, header, end) of every [[policy]] block, 0-based, end exclusive: `lead` is the
    first of the comment lines right above the header (they describe it); the block ends at
    its last key or sub-table line, before blank lines and the comments right above the
    next section (those belong to what follows)."""
    out: list[tuple[int, int, int]] = []
    for h, line in enumerate(lines):
        if not _POLICY_HEADER.match(line):
            continue
        stop = len(lines)
        for j in range(h + 1, len(lines)):
            m = _ANY_HEADER.match(lines[j])
            if m and not m.group(1).replace(" ", "").startswith("policy."):
                stop = j
                break
        end = stop
        if stop < len(lines):
            while end > h + 1 and _is_comment(lines[end - 1]):
                end -= 1
        while end > h + 1 and not lines[end - 1].strip():
            end -= 1
        if stop == len(lines):  # at the end of the file: a comment run after a blank line is not ours
            last = end
            while last > h + 1 and _is_comment(lines[last - 1]):
                last -= 1
            if last < end and last > h + 1 and not lines[last - 1].strip():
                end = last
                while end > h + 1 and not lines[end - 1].strip():
                    end -= 1
        lead = h
        while lead > 0 and _is_comment(lines[lead - 1]):
            lead -= 1
        out.append((lead, h, end))
    return out


def _names(text: str, path: Path) -> list[str]:
    doc = parse_text(text, str(path))
    policies = doc.get("policy", [])
    return [str(p.get("name")) for p in policies if isinstance(p, dict)]


def _span_of(lines: list[str], name: str, path: Path) -> tuple[int, int, int]:
    spans = _policy_spans(lines)
    names = _names("".join(lines), path)
    if len(names) != len(spans):  # e.g. policy = [{...}] written as an inline array
        raise UsageError(
            f"{path}: the policies are not written as [[policy]] blocks",
            "write each policy as a [[policy]] block to edit it with tui-backup",
        )
    for policy_name, span in zip(names, spans, strict=True):
        if policy_name == name:
            return span
    known = ", ".join(str(n) for n in names) or "none yet (add one with `tui-backup policy add`)"
    raise NotFoundError(f"no policy {name!r} in {path}", f"policies: {known}")


def _splice(lines: list[str], start: int, end: int, block: str, *, blank_around: bool = True) -> str:
    """Replace lines[start:end] with `block`; with `blank_around`, one blank line separates
    it (or, when removing, the text that closes up) from its neighbours."""
    head, tail = lines[:start], lines[end:]
    if not blank_around:
        return "".join(head) + block + "".join(tail)
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"
    if not block:  # removing: drop the blank lines the block leaves behind
        while tail and not tail[0].strip():
            tail.pop(0)
        if not tail:
            while head and not head[-1].strip():
                head.pop()
        return "".join(head) + "".join(tail)
    while head and not head[-1].strip():
        head.pop()
    body = ("\n" if head else "") + block.rstrip("\n") + "\n"
    rest = "".join(tail).lstrip("\n")
    return "".join(head) + body + ("\n" + rest if rest else "")


# ---- editing one block ----


def _render_block(table: dict[str, object]) -> str:
    """A new [[policy]] block: the plain keys first, then its sub-tables ([policy.retention] ...)."""
    t = tomlkit.table()
    for key, value in table.items():
        if value is not None and not isinstance(value, dict):
            t.add(key, value)
    for key, value in table.items():
        if isinstance(value, dict):
            t.add(key, _sub_table(value))
    doc = tomlkit.document()
    aot = tomlkit.aot()
    aot.append(t)
    doc.append("policy", aot)
    return doc.as_string()


def _sub_table(value: dict[str, Any]) -> Table:
    sub = tomlkit.table()
    for k, v in value.items():
        if v is not None:
            sub.add(k, v)
    return sub


def _edit_block(block: str, changes: dict[str, object]) -> str:
    """Apply `changes` to one [[policy]] block's text.

    Replaced and removed values go through tomlkit (a replaced value keeps its line's
    comment). A NEW key of a table that has its own header is inserted as a line right
    after that table's last value: tomlkit would put it after the comments that introduce
    the next sub-table (they belong to that header, not to this table)."""
    doc = tomlkit.parse(block)
    table = doc["policy"][0]
    later: list[tuple[tuple[str, ...], str, object]] = []
    for dotted, value in changes.items():
        added = _apply(table, dotted, value)
        if added is not None:
            later.append(added)
    text = doc.as_string()
    for path, key, value in later:
        inserted = _insert_line(text, path, key, value)
        if inserted is None:  # no header of its own (e.g. a dotted-key table): tomlkit places it
            doc = tomlkit.parse(text)
            container = doc["policy"][0]
            for part in path:
                container = container[part]
            container.add(key, value)
            inserted = doc.as_string()
        text = inserted
    return text


def _apply(table: Table, dotted: str, value: object) -> tuple[tuple[str, ...], str, object] | None:
    """Apply one change; a new plain key of an existing header table is returned instead
    (path, key, value) for `_insert_line`."""
    parts = dotted.split(".")
    if not all(p.strip() for p in parts):
        raise UsageError(f"bad key {dotted!r}", "use KEY or TABLE.KEY, e.g. retention.keep_daily")
    container: Table | InlineTable = table
    created = False
    for part in parts[:-1]:
        if part not in container:
            if value is None:
                return None  # removing a key of a table that is not there: nothing to do
            container.add(part, tomlkit.table())
            created = True
        inner = container[part]
        if not isinstance(inner, (Table, InlineTable)):
            raise UsageError(f"{dotted}: {part!r} is not a table", f"set {part} as a whole instead")
        container = inner
    key = parts[-1]
    if value is None:
        if key in container:
            del container[key]
        return None
    is_table = isinstance(value, dict) and isinstance(container, Table)
    if key in container:
        old = container.item(key) if isinstance(container, Table) else container[key]
        new = tomlkit.item(_sub_table(value) if is_table else value)  # type: ignore[arg-type]
        if isinstance(old, Item) and not isinstance(old, Table) and not isinstance(new, Table):
            # Keep the line's indentation, the spacing before its comment, and the comment.
            for attr in ("indent", "comment_ws", "comment", "trail"):
                setattr(new.trivia, attr, getattr(old.trivia, attr))
        container[key] = new
        return None
    if isinstance(container, Table) and not created and not is_table:
        return (tuple(parts[:-1]), key, value)
    container.add(key, _sub_table(value) if is_table else value)  # type: ignore[arg-type]
    return None


def _insert_line(text: str, path: tuple[str, ...], key: str, value: object) -> str | None:
    """`key = value` as a new line after the last value of the table `policy.<path>` (its
    header must be in `text`), or None when that table has no header line of its own."""
    lines = _lines(text)
    want = ".".join(["policy", *path])
    header = None
    for i, line in enumerate(lines):
        m = _ANY_HEADER.match(line)
        if m and m.group(1).replace(" ", "") == want and (path or line.lstrip().startswith("[[")):
            header = i
            break
    if header is None:
        return None
    end = len(lines)
    for j in range(header + 1, len(lines)):
        if _ANY_HEADER.match(lines[j]):
            end = j
            break
    last = header
    for j in range(header + 1, end):
        if lines[j].strip() and not _is_comment(lines[j]):
            last = j  # a multi-line value ends on a line like this too (its closing ] or """)
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, tomlkit.dumps({key: value}))
    return "".join(lines)


# ---- validate, save, reload ----


def _read(svc: ProfileService) -> tuple[Path, str]:
    path = Path(svc.config.file).resolve()
    try:
        return path, path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror}", hint="check the file's permissions") from None


def _validate(path: Path, text: str) -> Config:
    """The whole new config through the loader's checks (paths are not required to exist:
    a source on an unplugged drive must not block a policy edit)."""
    doc = parse_text(text, str(path))
    return validate_document(doc, path, text, check_paths=False)


def _write(path: Path, text: str) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    with atomic_writer(path) as (_tmp, fd):
        os.fchmod(fd, mode)
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]


def _reload(svc: ProfileService, validated: Config) -> None:
    try:
        svc.reload_config()
    except ConfigError:  # e.g. a source path that is missing right now: the edit itself was valid
        svc.config = validated


def _save(
    svc: ProfileService, path: Path, text: str, entry: tuple[str, str, dict[str, Any]], *,
    secrets: list[str], validated: Config | None = None,
) -> None:
    """Validate (unless done), then write the file under the catalog's write lock with its
    journal `entry` (action, target, details) in the same transaction: a locked catalog
    refuses the edit with the file untouched, and a failed write journals nothing."""
    config = validated if validated is not None else _validate(path, text)
    with _journal.recording(svc) as journal:
        _write(path, text)
        _reload(svc, config)  # first: the entry's redaction knows the secrets of the new config
        action, target, details = entry
        journal.record(action, target, details, secrets=secrets)


def _keep_removed(svc: ProfileService, name: str, block: str, *, reason: str = "policy remove") -> Path:
    """The removed block (with its comments) goes to the trash (layer 1) as a 0600 file."""
    return Path(_trash_block(svc, name, block, reason=reason).stored)


def _trash_block(svc: ProfileService, name: str, block: str, *, reason: str) -> TrashItem:
    from tui_backup.service import trash

    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    header = f"# policy {name!r} removed from {svc.config.file} at {stamp}\n"
    return trash.put_text(
        svc, header + block, kind="policy", original=f"{svc.config.file} [[policy]] {name}",
        reason=reason, name=f"{name}.toml",
    )  # fmt: skip
