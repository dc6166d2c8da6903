"""The library database: connection settings and additive schema migrations (`PRAGMA user_version`).

The database lives in ComfyUI's user directory, never beside the models (read-only LoRA folders must
work). Every connection uses WAL (readers never block the one writer and see a consistent snapshot),
`synchronous=NORMAL` (a crash may lose the last transaction, never corrupt the file) and a busy timeout.

Migrations only ever add tables, columns and indexes, one step per version, each in its own
transaction, so a database written by an older pack opens in a newer one with its user data (profiles)
intact. A database from a *newer* pack is refused with an error naming both versions instead of being
half-understood.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000

# Columns of `files` that hold what the scanner learned about one LoRA file (all rewritten on a change).
_FILES_V1 = """
CREATE TABLE files (
    path TEXT PRIMARY KEY,          -- absolute path as found under a root
    root TEXT NOT NULL,             -- the loras root it was found under
    name TEXT NOT NULL,             -- ComfyUI's name: path under the root, '/'-separated
    id TEXT NOT NULL,               -- stable content id (ids.py)
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sidecar_fp TEXT NOT NULL,       -- names/sizes/mtimes of the sidecars and preview: a change re-reads them
    folder TEXT NOT NULL,           -- folder part of `name` ('' at the root)
    role TEXT NOT NULL,
    role_version INTEGER NOT NULL,
    arch TEXT NOT NULL,
    family TEXT NOT NULL,
    lineage TEXT,
    arch_source TEXT NOT NULL,
    arch_conflicts TEXT NOT NULL,   -- JSON list
    category TEXT NOT NULL,
    layout TEXT,
    blocks TEXT NOT NULL,           -- JSON list of block ids present
    rank INTEGER,
    alpha REAL,
    adapter TEXT NOT NULL,
    has_clip INTEGER NOT NULL,
    clip_encoders TEXT NOT NULL,    -- JSON list
    tensor_count INTEGER NOT NULL,
    trigger_words TEXT NOT NULL,    -- JSON list
    tags TEXT NOT NULL,             -- JSON list
    model_name TEXT NOT NULL,
    base_model TEXT NOT NULL,       -- the sidecar's own base-model string, as written
    sidecar TEXT,
    sidecar_error TEXT,
    preview TEXT,
    error TEXT,                     -- why the file could not be read (it is still listed)
    indexed_at REAL NOT NULL
);
CREATE INDEX files_id ON files(id);
CREATE INDEX files_name ON files(name COLLATE NOCASE);
CREATE INDEX files_family ON files(family);
CREATE INDEX files_layout ON files(layout);
CREATE INDEX files_role ON files(role);
CREATE INDEX files_adapter ON files(adapter);
CREATE INDEX files_has_clip ON files(has_clip);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE profiles (
    pid INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    layout TEXT NOT NULL,
    weights TEXT NOT NULL,          -- JSON list of numbers, exactly as given
    notes TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""

_ENERGY_V2 = """
CREATE TABLE energy (
    id TEXT PRIMARY KEY,            -- content id: duplicates and moved files share their energy
    status TEXT NOT NULL,           -- 'done' | 'failed'
    stats TEXT,                     -- JSON of block_energy.compute_stats
    error TEXT,
    arch TEXT NOT NULL,
    computed_at REAL NOT NULL
);
"""

# External-content FTS5 index over the searchable text, kept in step by triggers.
_FTS_V3 = """
CREATE VIRTUAL TABLE files_fts USING fts5(
    name, model_name, trigger_words, tags, content='files', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER files_fts_ai AFTER INSERT ON files BEGIN
    INSERT INTO files_fts(rowid, name, model_name, trigger_words, tags)
    VALUES (new.rowid, new.name, new.model_name, new.trigger_words, new.tags);
END;
CREATE TRIGGER files_fts_ad AFTER DELETE ON files BEGIN
    INSERT INTO files_fts(files_fts, rowid, name, model_name, trigger_words, tags)
    VALUES ('delete', old.rowid, old.name, old.model_name, old.trigger_words, old.tags);
END;
CREATE TRIGGER files_fts_au AFTER UPDATE OF name, model_name, trigger_words, tags ON files BEGIN
    INSERT INTO files_fts(files_fts, rowid, name, model_name, trigger_words, tags)
    VALUES ('delete', old.rowid, old.name, old.model_name, old.trigger_words, old.tags);
    INSERT INTO files_fts(rowid, name, model_name, trigger_words, tags)
    VALUES (new.rowid, new.name, new.model_name, new.trigger_words, new.tags);
END;
INSERT INTO files_fts(files_fts) VALUES ('rebuild');
"""


# Indexes matching each sort order (`sort_orders.py`), so a first page could be read in order, not sorted.
_SORT_INDEXES_V4 = """
DROP INDEX files_name;
DROP INDEX files_family;
DROP INDEX files_role;
CREATE INDEX files_sort_name ON files(name COLLATE NOCASE, path);
CREATE INDEX files_sort_size ON files(size, path);
CREATE INDEX files_sort_modified ON files(mtime_ns, path);
CREATE INDEX files_sort_family ON files(family, name COLLATE NOCASE, path);
CREATE INDEX files_sort_rank ON files(rank, name COLLATE NOCASE, path);
CREATE INDEX files_sort_role ON files(role, name COLLATE NOCASE, path);
CREATE INDEX files_sort_indexed ON files(indexed_at, path);
CREATE INDEX files_arch ON files(arch);
CREATE INDEX files_category ON files(category);
CREATE INDEX files_folder ON files(folder);
"""


# User data kept by content id (tags, favourite, note: one `updated_at` per field, so two tabs editing
# different fields never overwrite each other), usage recorded by the nodes, and the parts of the stored
# block energy the library sorts and draws by (kept in step with `energy` by triggers, whoever writes it).
_WORKSPACE_V5 = """
CREATE TABLE user_entries (
    uid INTEGER PRIMARY KEY,        -- rowid of the entry's text in user_fts
    id TEXT NOT NULL UNIQUE,        -- content id
    favourite INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    favourite_updated_at REAL,
    note_updated_at REAL,
    tags_updated_at REAL
);
CREATE INDEX user_entries_favourite ON user_entries(favourite, id);
CREATE TABLE user_tags (
    id TEXT NOT NULL,
    tag TEXT NOT NULL COLLATE NOCASE,
    added_at REAL NOT NULL,
    PRIMARY KEY (id, tag)
) WITHOUT ROWID;
CREATE INDEX user_tags_tag ON user_tags(tag, id);
CREATE TABLE usage (
    id TEXT PRIMARY KEY,
    use_count INTEGER NOT NULL,
    first_used REAL NOT NULL,
    last_used REAL NOT NULL
);
CREATE INDEX usage_last_used ON usage(last_used);
CREATE INDEX usage_use_count ON usage(use_count);
CREATE TABLE energy_summary (
    id TEXT PRIMARY KEY,
    input REAL, mid REAL, output REAL, balance REAL
);
CREATE INDEX energy_summary_balance ON energy_summary(balance);
INSERT INTO energy_summary(id, input, mid, output, balance)
    SELECT id, json_extract(stats, '$.input_ratio'), json_extract(stats, '$.mid_ratio'),
           json_extract(stats, '$.output_ratio'), json_extract(stats, '$.balance')
    FROM energy WHERE status = 'done' AND stats IS NOT NULL;
CREATE TRIGGER energy_summary_ai AFTER INSERT ON energy BEGIN
    DELETE FROM energy_summary WHERE id = new.id;
    INSERT INTO energy_summary(id, input, mid, output, balance)
        SELECT new.id, json_extract(new.stats, '$.input_ratio'), json_extract(new.stats, '$.mid_ratio'),
               json_extract(new.stats, '$.output_ratio'), json_extract(new.stats, '$.balance')
        WHERE new.status = 'done' AND new.stats IS NOT NULL;
END;
CREATE TRIGGER energy_summary_au AFTER UPDATE ON energy BEGIN
    DELETE FROM energy_summary WHERE id = old.id OR id = new.id;
    INSERT INTO energy_summary(id, input, mid, output, balance)
        SELECT new.id, json_extract(new.stats, '$.input_ratio'), json_extract(new.stats, '$.mid_ratio'),
               json_extract(new.stats, '$.output_ratio'), json_extract(new.stats, '$.balance')
        WHERE new.status = 'done' AND new.stats IS NOT NULL;
END;
CREATE TRIGGER energy_summary_ad AFTER DELETE ON energy BEGIN
    DELETE FROM energy_summary WHERE id = old.id;
END;
CREATE INDEX files_has_preview ON files((preview IS NOT NULL));
"""

# Word index over user tags and notes (rowid = user_entries.uid), written by `user_data.py`.
_USER_FTS_V5 = """
CREATE VIRTUAL TABLE user_fts USING fts5(tags, note, tokenize='unicode61 remove_diacritics 2');
"""


# The sort keys that live in other tables (energy balance, last use, use count) copied onto `files`,
# kept in step by triggers from whichever side changes (a new or moved file, new energy, a prompt
# run), so those sorts read an index in order like every other sort instead of sorting the library.
# Entries without a value come last in both orders: one index for ascending, one for descending.
_SORT_KEYS_V6 = """
ALTER TABLE files ADD COLUMN balance REAL;
ALTER TABLE files ADD COLUMN last_used REAL;
ALTER TABLE files ADD COLUMN use_count INTEGER;
UPDATE files SET balance = (SELECT balance FROM energy_summary e WHERE e.id = files.id),
                 last_used = (SELECT last_used FROM usage u WHERE u.id = files.id),
                 use_count = (SELECT use_count FROM usage u WHERE u.id = files.id);
CREATE INDEX files_sort_balance ON files((balance IS NULL), balance, name COLLATE NOCASE, path);
CREATE INDEX files_sort_balance_desc ON files((balance IS NOT NULL), balance, name COLLATE NOCASE, path);
CREATE INDEX files_sort_last_used ON files((last_used IS NULL), last_used, name COLLATE NOCASE, path);
CREATE INDEX files_sort_last_used_desc ON files((last_used IS NOT NULL), last_used, name COLLATE NOCASE, path);
CREATE INDEX files_sort_use_count ON files((use_count IS NULL), use_count, name COLLATE NOCASE, path);
CREATE INDEX files_sort_use_count_desc ON files((use_count IS NOT NULL), use_count, name COLLATE NOCASE, path);
CREATE TRIGGER files_sort_keys_ai AFTER INSERT ON files BEGIN
    UPDATE files SET balance = (SELECT balance FROM energy_summary WHERE id = new.id),
                     last_used = (SELECT last_used FROM usage WHERE id = new.id),
                     use_count = (SELECT use_count FROM usage WHERE id = new.id)
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER files_sort_keys_au AFTER UPDATE OF id ON files BEGIN
    UPDATE files SET balance = (SELECT balance FROM energy_summary WHERE id = new.id),
                     last_used = (SELECT last_used FROM usage WHERE id = new.id),
                     use_count = (SELECT use_count FROM usage WHERE id = new.id)
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER energy_summary_files_ai AFTER INSERT ON energy_summary BEGIN
    UPDATE files SET balance = new.balance WHERE id = new.id;
END;
CREATE TRIGGER energy_summary_files_ad AFTER DELETE ON energy_summary BEGIN
    UPDATE files SET balance = NULL WHERE id = old.id;
END;
CREATE TRIGGER usage_files_ai AFTER INSERT ON usage BEGIN
    UPDATE files SET last_used = new.last_used, use_count = new.use_count WHERE id = new.id;
END;
CREATE TRIGGER usage_files_au AFTER UPDATE ON usage BEGIN
    UPDATE files SET last_used = new.last_used, use_count = new.use_count WHERE id = new.id;
END;
CREATE TRIGGER usage_files_ad AFTER DELETE ON usage BEGIN
    UPDATE files SET last_used = NULL, use_count = NULL WHERE id = old.id;
END;
"""


def fts5_available() -> bool:
    """Whether this Python's sqlite3 was built with FTS5 (it is on CPython's official builds and Debian)."""
    conn = sqlite3.connect(":memory:")
    try:
        return bool(conn.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0])
    finally:
        conn.close()


def _fts_script() -> str:
    if fts5_available():
        return _FTS_V3
    log.warning("this Python's sqlite3 has no FTS5: library text search falls back to LIKE (slower)")
    return ""


# Composition history (`compositions.py`): one row per combine the user ran or kept, newest last.
_COMPOSITIONS_V7 = """
CREATE TABLE compositions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,       -- seconds since the epoch
    source TEXT NOT NULL,           -- 'node' (a combiner node run) | 'editor' (a preview the user kept)
    policy TEXT NOT NULL,
    headroom REAL NOT NULL,
    inputs TEXT NOT NULL,           -- JSON: the combine request {loras, policy, headroom}
    result TEXT NOT NULL            -- JSON: the combine answer (combiner/response.py)
);
CREATE INDEX compositions_created ON compositions(created_at, id);
"""


# The search's column snapshot (`columns.py`) read from one narrow covering index instead of every row (rows
# carry block lists and JSON: a table scan reads ~100 MB at 30k files), and what changed since it was read: a
# counter per part ('files': a file row added, removed or rescanned; 'keys': its energy balance or usage;
# 'user': favourites, tags, notes) bumped by triggers, so a tag re-reads the user part only (a column added to
# `files` later belongs in the 'files' trigger's list). The sort indexes of v4/v6 go: sorts are orders over
# the snapshot now, and each index cost every scan and every usage record a write.
_SEARCH_SNAPSHOT_V8 = """
DROP INDEX files_sort_size;
DROP INDEX files_sort_modified;
DROP INDEX files_sort_family;
DROP INDEX files_sort_rank;
DROP INDEX files_sort_role;
DROP INDEX files_sort_indexed;
DROP INDEX files_sort_balance;
DROP INDEX files_sort_balance_desc;
DROP INDEX files_sort_last_used;
DROP INDEX files_sort_last_used_desc;
DROP INDEX files_sort_use_count;
DROP INDEX files_sort_use_count_desc;
DROP INDEX files_has_preview;
CREATE INDEX files_snapshot ON files(family, arch, layout, role, adapter, category, folder, rank, has_clip, size,
    mtime_ns, indexed_at, balance, last_used, use_count, preview, error, id);
CREATE TABLE search_changes (part TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO search_changes(part, n) VALUES ('files', 0), ('keys', 0), ('user', 0);
CREATE TRIGGER search_changes_files_ai AFTER INSERT ON files BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'files';
END;
CREATE TRIGGER search_changes_files_au AFTER UPDATE OF path, root, name, id, size, mtime_ns, sidecar_fp, folder, role,
    role_version, arch, family, lineage, arch_source, arch_conflicts, category, layout, blocks, rank, alpha, adapter,
    has_clip, clip_encoders, tensor_count, trigger_words, tags, model_name, base_model, sidecar, sidecar_error, preview,
    error, indexed_at ON files BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'files';
END;
CREATE TRIGGER search_changes_keys_au AFTER UPDATE OF balance, last_used, use_count ON files BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'keys';
END;
CREATE TRIGGER search_changes_files_ad AFTER DELETE ON files BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'files';
END;
CREATE TRIGGER search_changes_entries_ai AFTER INSERT ON user_entries BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
CREATE TRIGGER search_changes_entries_au AFTER UPDATE ON user_entries BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
CREATE TRIGGER search_changes_entries_ad AFTER DELETE ON user_entries BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
CREATE TRIGGER search_changes_tags_ai AFTER INSERT ON user_tags BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
CREATE TRIGGER search_changes_tags_au AFTER UPDATE ON user_tags BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
CREATE TRIGGER search_changes_tags_ad AFTER DELETE ON user_tags BEGIN
    UPDATE search_changes SET n = n + 1 WHERE part = 'user';
END;
"""


# One SQL script per schema version, in order; version N is MIGRATIONS[N - 1]. Only ever append.
MIGRATIONS: tuple[Callable[[], str], ...] = (
    lambda: _FILES_V1,
    lambda: _ENERGY_V2,
    _fts_script,
    lambda: _SORT_INDEXES_V4,
    lambda: _WORKSPACE_V5 + (_USER_FTS_V5 if fts5_available() else ""),
    lambda: _SORT_KEYS_V6,
    lambda: _COMPOSITIONS_V7,
    lambda: _SEARCH_SNAPSHOT_V8,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    pass


def _statements(script: str) -> list[str]:
    out, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise SchemaError(f"incomplete SQL statement in a migration: {buffer.strip()[:80]!r}")
    return out


def _apply(conn: sqlite3.Connection, version: int) -> None:
    """Run migration `version` and bump user_version in one transaction (executescript would commit early)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= version:  # another connection migrated meanwhile
            conn.execute("ROLLBACK")
            return
        for statement in _statements(MIGRATIONS[version - 1]()):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database to schema `target` (default: the newest); returns the version it is at."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise SchemaError(f"library database has schema version {current}, newer than this pack's {SCHEMA_VERSION}; "
                          "update the pack or delete the database to rebuild it")
    for version in range(current + 1, target + 1):
        log.info("library database: migrating to schema version %d", version)
        _apply(conn, version)
    return conn.execute("PRAGMA user_version").fetchone()[0]


def connect(db_path: str | Path, *, migrate_to: int | None = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (creating folder and file if needed) the library database, migrated to `migrate_to`.

    The connection is in autocommit mode (`isolation_level=None`): writers open their own
    `BEGIN IMMEDIATE` transactions, readers each see one WAL snapshot per statement or transaction.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if migrate_to is not None:
        migrate(conn, migrate_to)
    return conn


def _use_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch the database to WAL (persistent in the file, so only the first connection does it).

    Changing the journal mode needs an exclusive lock and SQLite may answer "database is locked"
    at once, without its busy handler, when another connection is opening the new file at the
    same moment: retry briefly.
    """
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(0.02)


def has_fts(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'files_fts'").fetchone() is not None


def has_user_fts(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'user_fts'").fetchone() is not None


# Rows sampled per index by ANALYZE: bounded work (about 0.1 s on 30k files), statistics good enough.
ANALYSIS_LIMIT = 1000


def refresh_statistics(conn: sqlite3.Connection, changed_rows: int) -> bool:
    """Re-measure the tables for SQLite's query planner when a scan changed a tenth of the files or there are
    no statistics yet. Without them SQLite takes `format=lora` (most of a library) for a selective filter
    and sorts half the library instead of reading the sort's index; returns whether it ran."""
    total = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    has_stats = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is not None
    if total == 0 or (has_stats and changed_rows * 10 < total):
        return False
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    conn.execute("ANALYZE")
    return True
