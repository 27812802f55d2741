"""Ordered migrations of the catalog schema.

Each entry upgrades the catalog from version N-1 to N. Never edit a released migration:
append a new one. `schema_version` records which were applied and when.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema — snapshots and jobs.
    """
    CREATE TABLE snapshots (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        artifact TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        db_size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        duration_s REAL NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX snapshots_created ON snapshots(created_at);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        bytes INTEGER NOT NULL DEFAULT 0,
        duration_s REAL,
        error TEXT,
        log_path TEXT
    );
    CREATE INDEX jobs_started ON jobs(started_at);
    """,
    # 2: snapshot details (tables, pages, verification, kind), who ran each job, volume markers.
    """
    ALTER TABLE snapshots ADD COLUMN kind TEXT NOT NULL DEFAULT 'manual';
    ALTER TABLE snapshots ADD COLUMN page_size INTEGER;
    ALTER TABLE snapshots ADD COLUMN page_count INTEGER;
    ALTER TABLE snapshots ADD COLUMN tables_json TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE snapshots ADD COLUMN row_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE snapshots ADD COLUMN engine_version TEXT NOT NULL DEFAULT '';
    ALTER TABLE snapshots ADD COLUMN verified_at TEXT;
    ALTER TABLE snapshots ADD COLUMN verify_status TEXT;
    ALTER TABLE snapshots ADD COLUMN verify_detail TEXT;
    ALTER TABLE snapshots ADD COLUMN job_id INTEGER REFERENCES jobs(id);
    ALTER TABLE jobs ADD COLUMN pid INTEGER;
    ALTER TABLE jobs ADD COLUMN host TEXT;
    ALTER TABLE jobs ADD COLUMN interface TEXT;
    ALTER TABLE jobs ADD COLUMN summary TEXT;
    CREATE TABLE volumes (
        path TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        marker_id TEXT NOT NULL,
        device INTEGER,
        created_at TEXT NOT NULL,
        last_seen_at TEXT
    );
    """,
    # 3: backup policies (layer 4): every run of a policy (backups, drills, prunes,
    # verifications) and each policy's scheduler, retry and alert state.
    """
    CREATE TABLE policy_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        policy TEXT NOT NULL,
        kind TEXT NOT NULL,
        trigger TEXT NOT NULL,
        slot TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        job_id INTEGER REFERENCES jobs(id),
        point_id TEXT,
        size_bytes INTEGER,
        duration_s REAL,
        error_kind TEXT,
        error TEXT,
        pid INTEGER,
        details_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX policy_runs_policy ON policy_runs(policy, kind, started_at);
    CREATE TABLE policy_state (
        policy TEXT PRIMARY KEY,
        last_slot_done TEXT,
        last_success_at TEXT,
        last_attempt_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        retry_at TEXT,
        alert_state TEXT NOT NULL DEFAULT 'ok',
        alert_reason TEXT,
        alerted_at TEXT
    );
    """,
    # 4: the trash (layer 1), the tamper-evident change journal (layer 2), and the manifest
    # of the protected files (change detection between scans).
    """
    CREATE TABLE trash_items (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        original TEXT NOT NULL,
        stored TEXT NOT NULL,
        size_bytes INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        deleted_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        job_id INTEGER,
        state TEXT NOT NULL,
        details_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX trash_items_state ON trash_items(state, expires_at);
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details_json TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX journal_action ON journal(action, seq);
    CREATE INDEX journal_target ON journal(target, seq);
    CREATE INDEX journal_at ON journal(at);
    CREATE TABLE file_manifest (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        mode INTEGER NOT NULL,
        sha256 TEXT,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX file_manifest_sha ON file_manifest(sha256);
    """,
    # 5: the digest of the last clean scan's listing, per set of roots: an unchanged tree is
    # then one listing compared, not 100,000 manifest rows (service/changes.py). Written in
    # the same transaction as the manifest rows it stands for.
    """
    CREATE TABLE scan_digest (
        scope TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        files INTEGER NOT NULL,
        saved_at TEXT NOT NULL
    );
    """,
)

LATEST_VERSION = len(MIGRATIONS)
