"""`tui-backup demo`: a sample application to protect, and a profile over it.

The sample is "assetd", a small self-hosted asset manager: a SQLite database (WAL mode) with
users, folders, assets, tags and an audit log — thousands of rows — a directory of the
files it manages, and its own config file. Everything is generated from a fixed seed and
fixed timestamps, so two demos built the same way hold the same data (the screenshots and
the app's snapshot test rely on it).

The profile is named `demo` and is a normal profile: the user can keep using it with
`tui-backup --profile demo ...`. Running the demo again reuses it instead of failing.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs

from tui_backup.config import load_config, profile_path
from tui_backup.config.locations import APP_NAME
from tui_backup.errors import TuiBackupError
from tui_backup.fsutil import atomic_write_text, commit_temp, make_private_dir, temp_path_for
from tui_backup.service.setup import InitRequest, init_profile

DEMO_PROFILE = "demo"
DEMO_SEED = 20240301
# Every timestamp in the sample data counts from here, so the data never depends on today.
DEMO_EPOCH = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

DB_NAME = "assetd.db"
FILES_DIR = "library"
APP_CONFIG = "assetd.toml"

_FIRST = ["ada", "brian", "chen", "dora", "emil", "fatima", "greta", "hiro", "ines", "jonas",
          "kemal", "lena", "marco", "nadia", "oscar", "priya", "quinn", "rosa", "sami", "tariq",
          "uma", "viktor", "wen", "yusuf"]
_LAST = ["lovelace", "kernighan", "wei", "shaw", "berg", "zahra", "thunberg", "tanaka", "moreau",
         "schulz", "aydin", "novak", "rossi", "haddad", "lind", "patel", "okafor", "diaz",
         "nieminen", "aziz", "rao", "petrov", "zhang", "demir"]
_FOLDERS = ["brand", "campaigns", "product-shots", "events", "press", "team", "web", "social",
            "archive", "drafts", "print", "video-stills"]
_SUBFOLDERS = ["2022", "2023", "2024", "raw", "final", "rejected"]
_TAGS = ["logo", "hero", "portrait", "landscape", "approved", "needs-review", "licensed",
         "internal", "cmyk", "rgb", "transparent", "retina", "thumbnail", "banner", "icon",
         "illustration", "photo", "screenshot", "diagram", "print-ready", "spring", "summer",
         "autumn", "winter", "launch", "conference", "blog", "newsletter", "ad", "archive",
         "favourite", "legal-hold", "vector", "raster", "team", "customer"]
_MIME = [("jpg", "image/jpeg"), ("png", "image/png"), ("svg", "image/svg+xml"),
         ("pdf", "application/pdf"), ("webp", "image/webp"), ("txt", "text/plain")]
_WORDS = ["blue", "launch", "banner", "office", "team", "logo", "hero", "night", "city",
          "product", "detail", "poster", "cover", "print", "draft", "final", "wide", "square"]
_ACTIONS = ["upload", "view", "download", "tag", "untag", "rename", "move", "share", "comment"]

ASSET_COUNT = 2400
AUDIT_COUNT = 6000

_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at TEXT NOT NULL
);
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES folders(id),
    name TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id),
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha1 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assets_folder ON assets(folder_id);
CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);
CREATE TABLE asset_tags (
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (asset_id, tag_id)
) WITHOUT ROWID;
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    action TEXT NOT NULL,
    asset_id INTEGER REFERENCES assets(id),
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
"""


def default_demo_dir() -> Path:
    """Where `tui-backup demo` puts the sample application unless `--dir` says otherwise."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "demo"


def _ts(rng: random.Random, start_days: float, span_days: float) -> str:
    offset = timedelta(days=start_days + rng.random() * span_days)
    return (DEMO_EPOCH + offset).strftime("%Y-%m-%d %H:%M:%S")


def build_database(path: Path, seed: int = DEMO_SEED) -> None:
    """Write the sample database to `path` (a temporary name first, then renamed)."""
    rng = random.Random(seed)
    tmp = temp_path_for(path)
    try:
        conn = sqlite3.connect(tmp)
        try:
            tmp.chmod(0o600)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            users = []
            for i, (first, last) in enumerate(zip(_FIRST, _LAST, strict=True), start=1):
                role = "admin" if i <= 2 else ("editor" if i <= 10 else "viewer")
                users.append((i, f"{first}.{last}", f"{first.title()} {last.title()}",
                              f"{first}.{last}@assetd.example", role, _ts(rng, -400, 30)))
            conn.executemany("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)", users)
            folders: list[tuple[int, int | None, str, int, str]] = []
            for name in _FOLDERS:
                parent = len(folders) + 1
                folders.append((parent, None, name, rng.randint(1, 10), _ts(rng, -380, 20)))
                for sub in rng.sample(_SUBFOLDERS, 3):
                    folders.append((len(folders) + 1, parent, sub, rng.randint(1, 10), _ts(rng, -360, 200)))
            conn.executemany("INSERT INTO folders VALUES (?, ?, ?, ?, ?)", folders)
            conn.executemany("INSERT INTO tags VALUES (?, ?)", list(enumerate(_TAGS, start=1)))
            assets = []
            for i in range(1, ASSET_COUNT + 1):
                ext, mime = rng.choice(_MIME)
                stem = "-".join(rng.sample(_WORDS, 2))
                is_image = mime.startswith("image/") and ext != "svg"
                assets.append((
                    i, rng.randint(1, len(folders)), f"{stem}-{i:05d}.{ext}", mime,
                    rng.randint(2_000, 9_000_000), hashlib.sha1(f"{seed}:{i}".encode()).hexdigest(),
                    rng.choice((1920, 1280, 800, 3000)) if is_image else None,
                    rng.choice((1080, 720, 600, 2000)) if is_image else None,
                    rng.randint(1, 10), _ts(rng, -340, 330),
                    rng.choice(("", "", "approved by marketing", "needs a crop", "from the 2023 shoot")),
                ))
            conn.executemany("INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", assets)
            links = sorted({(rng.randint(1, ASSET_COUNT), rng.randint(1, len(_TAGS))) for _ in range(5200)})
            conn.executemany("INSERT INTO asset_tags VALUES (?, ?)", links)
            audit = []
            for i in range(1, AUDIT_COUNT + 1):
                action = rng.choice(_ACTIONS)
                audit.append((i, _ts(rng, -330, 329), rng.randint(1, len(users)), action,
                              rng.randint(1, ASSET_COUNT), f"via web ({action})"))
            audit.sort(key=lambda row: row[1])
            conn.executemany(
                "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
                [(n, *row[1:]) for n, row in enumerate(audit, start=1)],
            )
            conn.commit()
        finally:
            conn.close()  # the last connection checkpoints and removes the -wal file
        commit_temp(tmp, path)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise


def build_files(directory: Path, seed: int = DEMO_SEED) -> None:
    """A small library of the files the application manages."""
    rng = random.Random(seed + 1)
    make_private_dir(directory)
    for folder in _FOLDERS[:6]:
        sub = make_private_dir(directory / folder)
        for n in range(1, 7):
            stem = "-".join(rng.sample(_WORDS, 2))
            kind = rng.choice(("svg", "txt", "json"))
            if kind == "svg":
                colour = f"#{rng.randrange(0x1000000):06x}"
                body = (f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
                        f'<rect width="64" height="64" fill="{colour}"/></svg>\n')
            elif kind == "json":
                body = (f'{{"title": "{stem}", "folder": "{folder}", '
                        f'"rating": {rng.randint(1, 5)}}}\n')
            else:
                body = f"{stem}: notes for the {folder} team, revision {rng.randint(1, 9)}.\n" * 8
            atomic_write_text(sub / f"{stem}-{n:02d}.{kind}", body)


def build_app_config(path: Path) -> None:
    atomic_write_text(
        path,
        "# assetd: the sample application tui-backup's demo protects.\n"
        "[server]\nlisten = \"127.0.0.1:8080\"\nworkers = 4\n\n"
        "[storage]\n"
        f"database = \"{DB_NAME}\"\nlibrary = \"{FILES_DIR}\"\nmax_upload_mb = 200\n",
    )


def build_sample_app(directory: Path, seed: int = DEMO_SEED) -> Path:
    """The sample application's data in `directory`; returns the database's path.

    Parts that already exist are kept (a user may have changed them on purpose).
    """
    make_private_dir(directory)
    db = directory / DB_NAME
    if not db.exists():
        build_database(db, seed)
    if not (directory / FILES_DIR).exists():
        build_files(directory / FILES_DIR, seed)
    if not (directory / APP_CONFIG).exists():
        build_app_config(directory / APP_CONFIG)
    return db


def create_demo(
    directory: Path,
    *,
    config_path: Path | None = None,
    state_dir: Path | None = None,
    snapshots: int = 1,
    seed: int = DEMO_SEED,
    with_policy: bool = False,
) -> Path:
    """Create (or reuse) the demo profile over a sample application in `directory`.

    Returns the profile's config file: `config_path` if given (tests and the screenshots
    keep everything inside one temporary directory), else the normal profiles dir, so the
    user can keep using the profile. An existing demo profile is reused (its sample data
    rebuilt if it was deleted). A new profile gets `snapshots` snapshots, so the app's
    Snapshots pane is not empty, and with `with_policy` (what `tui-backup demo` does) a
    local destination in `directory` and a nightly policy that has run once, so the
    Policies pane and the Dashboard show a working setup, plus an rsync destination (a
    local directory, the real rsync) to back up to from the Destinations view.
    """
    path = Path(config_path) if config_path is not None else profile_path(DEMO_PROFILE)
    if path.exists():
        config = load_config(path, check_paths=False)
        db = config.source.database.path
        if db is not None and not db.exists() and db.name == DB_NAME:
            build_sample_app(db.parent, seed)
        return path.resolve()
    directory = Path(directory).expanduser().absolute()
    db = build_sample_app(directory, seed)
    config = init_profile(
        InitRequest(
            name=DEMO_PROFILE,
            database=f"sqlite://{db}",
            files=(directory / FILES_DIR,),
            config_files=(directory / APP_CONFIG,),
            state_dir=state_dir,
            description="Demo: assetd, a sample asset manager (database, files, config)",
            config_path=path,
        )
    )
    if snapshots > 0:
        _take_snapshots(config.file, snapshots)
    if with_policy:
        _add_policy(config.file, directory / DRIVE_DIR, directory / MIRROR_DIR)
    return config.file


DRIVE_DIR = "backup-drive"
MIRROR_DIR = "rsync-mirror"
DEMO_MIRROR = "demo-mirror"
DEMO_POLICY = """
# The demo's backups: a local copy in {drive} (in real life: a USB drive or a NAS mount).
[[destination]]
name = "demo-drive"
type = "local"
path = "{drive}"

# Everything (database, files, config) every night at 02:00; a week of dailies and a
# month of weeklies are kept (see `tui-backup policy prune nightly --dry-run`).
[[policy]]
name = "nightly"
destination = "demo-drive"
include = "full"
frequency = "daily"
time = "02:00"

[policy.retention]
keep_daily = 7
keep_weekly = 4

# A second destination, backed up to by hand (Policies → d → b): rsync into dated
# directories, unchanged files hard-linked to the previous backup (in real life: a NAS over
# ssh, path = "user@nas:/backups/assetd"). No policy: `tui-backup backup run {mirror}` or the app.
[[destination]]
name = "{mirror}"
type = "rsync"
path = "{mirror_dir}"
"""


def _add_policy(config_file: Path, drive: Path, mirror: Path) -> None:
    from tui_backup.service.profile import ProfileService

    make_private_dir(drive)
    make_private_dir(mirror)
    with open(config_file, "a", encoding="utf-8") as f:
        f.write(DEMO_POLICY.format(drive=drive, mirror=DEMO_MIRROR, mirror_dir=mirror))
    svc = ProfileService.open(config=config_file, interface="demo")
    try:
        svc.run_policy("nightly")  # a failure is recorded and shown in the app: still a demo
    except TuiBackupError:
        pass
    finally:
        svc.close()


def _take_snapshots(config_file: Path, count: int) -> None:
    from tui_backup.service.profile import ProfileService

    svc = ProfileService.open(config=config_file, interface="demo")
    try:
        for i in range(count):
            note = "demo: first snapshot" if i == 0 else f"demo: snapshot {i + 1}"
            try:
                svc.create_snapshot(note)
            except NotImplementedError:  # the snapshot engine is not there yet (development)
                return
            except TuiBackupError:
                return  # e.g. low space: the demo still works, the pane just starts empty
    finally:
        svc.close()
