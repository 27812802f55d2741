"""The config schema: every section and key, its type, default and one-line explanation.

One table drives validation, the commented template `init` writes, and the configuration
reference in the README, so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

KeyType = Literal[
    "str", "int", "bool", "path", "path_list", "choice", "db_url",
    "str_list",  # a list of strings (each one of `choices` when given)
    "interval",  # a fixed length of time: "90s", "15m", "6h", "1d" (policies.durations.Interval)
    "span",  # a calendar span, restic's syntax: "14d", "1y6m" (policies.durations.Span)
    "table",  # a sub-table, documented by its own keys
]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType
    default: Any
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    doc_type: str = ""  # the README's "type" column, where the schema type alone says too little


@dataclass(frozen=True)
class Section:
    name: str
    help: str
    keys: tuple[Key, ...] = field(default_factory=tuple)

    def key(self, name: str) -> Key | None:
        for k in self.keys:
            if k.name == name:
                return k
        return None


# [snapshots] row_changes = "auto": the largest database copy whose rows are hashed (the cost
# grows with the size: about 2.5 CPU-s at 1.2 GB would break issue 2's snapshot speed target).
ROW_CHANGES_AUTO_MAX_MB = 256

SECTIONS: tuple[Section, ...] = (
    Section(
        "profile",
        "The protected application.",
        (
            Key("name", "str", None, "Name of this profile (letters, digits, - and _).", required=True),
            Key("description", "str", "", "Free text shown in the app's header."),
            Key(
                "state_dir",
                "path",
                "",
                'Where the catalog, logs and default snapshots live ("" = the platform state dir).',
            ),
        ),
    ),
    Section(
        "source",
        "What this profile protects.",
        (
            Key(
                "database",
                "db_url",
                None,
                'sqlite:///abs/path/app.db or postgresql://user@host:5432/db ("" = $DATABASE_URL).',
                required=True,
            ),
            Key(
                "password_file",
                "path",
                "",
                "File holding the PostgreSQL password (never put it in the URL).",
            ),
            Key("files", "path_list", [], "Directories of user files the application keeps."),
            Key("config_files", "path_list", [], "The application's own config files."),
        ),
    ),
    Section(
        "snapshots",
        "Layer 3: verified, compressed, checksummed copies of the database.",
        (
            Key("dir", "path", "", 'Where snapshots are stored ("" = <state_dir>/snapshots).'),
            Key("keep", "int", 10, "How many snapshots to keep (the newest verified one is never removed).", minimum=1),
            Key(
                "compression_level",
                "int",
                1,
                "zstd level, 1 (fastest; keeps snapshots near copy speed) to 19 (smallest, much slower).",
                minimum=1,
                maximum=19,
            ),
            Key(
                "verify",
                "choice",
                "quick",
                'Integrity check after each copy: "quick" (PRAGMA quick_check) or "full" (integrity_check).',
                choices=("quick", "full"),
            ),
            Key("timeout_seconds", "int", 3600, "Give up on a snapshot that takes longer than this.", minimum=1),
            Key("prune_after_create", "bool", True, "Apply `keep` after every new snapshot."),
            Key(
                "row_changes",
                "choice",
                "auto",
                "Record row changes (`db.changed`, `snapshot diff`) by hashing every row of each SQLite snapshot:"
                f' "auto" (only when the database is at most {ROW_CHANGES_AUTO_MAX_MB} MB: about 0.7 CPU-s at'
                f' {ROW_CHANGES_AUTO_MAX_MB} MB, overlapping the compression), "on" (always) or "off" (never).',
                choices=("auto", "on", "off"),
            ),
        ),
    ),
    Section(
        "volumes",
        "Layer 0: the volume guard.",
        (Key("min_free_mb", "int", 100, "Refuse to write to a volume with less free space than this.", minimum=0),),
    ),
    Section(
        "trash",
        "Layer 1: what the tool removes or overwrites waits here first.",
        (
            Key("retention_days", "int", 30, "Days an item stays in the trash before it is purged.", minimum=1),
            Key(
                "max_size_mb",
                "int",
                0,
                "Size cap: over it, the oldest items are purged first (0 = no cap).",
                minimum=0,
            ),
            Key("min_days", "int", 1, "The size cap never purges an item younger than this many days.", minimum=0),
        ),
    ),
    Section(
        "jobs",
        "The job runner (backups, restores, checks).",
        (
            Key(
                "max_concurrent",
                "int",
                2,
                "How many jobs of this profile may run at once, across all processes.",
                minimum=1,
                maximum=64,
            ),
        ),
    ),
    Section(
        "tui",
        "The terminal app.",
        (Key("theme", "str", "", "Theme name (built-in, or a TOML file in the config dir's themes/); empty: the one last chosen in the app, or mono with NO_COLOR, else dark."),
         Key("keymap", "table", {}, 'Remapped keys, `binding id = "keys"` (e.g. `"snapshot.create" = "n"`,'
             ' `"app.quit" = "ctrl+q,q"`); the help screen (?) lists the ids. Problems are reported in the app.',
             doc_type="table of strings")),
    ),
    Section(
        "notify",
        "Notifications for every policy (a policy's own [policy.notify] adds to these).",
        (
            Key(
                "urls",
                "str_list",
                [],
                "Apprise URLs to notify (mailto://, ntfys://, slack://, tgram://, json://...); they may hold tokens.",
            ),
            Key(
                "on",
                "str_list",
                ["failure", "recovery", "stale"],
                'Which events notify: "failure", "recovery", "stale", "success".',
                choices=("failure", "recovery", "stale", "success"),
            ),
            Key("ping_url", "str", "", 'A healthchecks-style URL pinged at start, success and failure ("" = none).'),
        ),
    ),
    Section(
        "monitoring",
        "Monitoring of the policies.",
        (
            Key(
                "metrics_file",
                "path",
                "",
                'A Prometheus text-format file rewritten after each run, e.g. for node_exporter ("" = none).',
            ),
        ),
    ),
)

# Array-of-tables sections that later layers validate themselves.
OPEN_ARRAYS: tuple[str, ...] = ()

# Array-of-tables sections validated at load time by their own code (`[[destination]]`:
# name and type by the loader, the type's keys by its module, see tui_backup.destinations;
# `[[policy]]`: tui_backup.policies._parse and its POLICY_KEYS).
VALIDATED_ARRAYS: tuple[str, ...] = ("destination", "policy")


def section(name: str) -> Section | None:
    for s in SECTIONS:
        if s.name == name:
            return s
    return None
