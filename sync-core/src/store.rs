//! The device store: one SQLite file per signed-in person.
//!
//! It holds each document (saved Automerge bytes), what the device last knew the
//! server to have (its heads), whether local changes await the server, the
//! rejections the user still has to see, and small settings (the account, tokens).
//! The layout is versioned: [`Store::open`] runs the migrations a file lacks. Every write is one SQLite transaction in WAL mode with
//! `synchronous=FULL`: once a call returns, a killed app finds the write on reopen.
//!
//! A file that is not a healthy store is reported as [`StoreError::Corrupt`] and
//! left exactly as it is, for support to recover; it is never silently replaced.
//!
//! With a [`StoreKey`] ([`Store::open_with_key`]) the file is a SQLCipher database:
//! every page, of the main file and of its write-ahead log, is encrypted
//! (AES-256, with an HMAC per page), so nothing in it reads without the key. A
//! wrong key is [`StoreError::WrongKey`] and changes nothing on disk. A plain
//! store from before encryption is encrypted on its first open with a key
//! ([`Store::encrypt_if_plain`]): exported into a new file beside it, checked,
//! and renamed over it, so a kill at any moment leaves one whole store.

use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use zeroize::Zeroizing;

use crate::ids::{DocHeader, DocumentId};

mod key;

pub(crate) use key::is_sealed;
pub use key::{InvalidKey, StoreKey, WrongKey};

/// How every SQLite database file starts; an encrypted one starts with random bytes.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The store's schema, one migration per version (`PRAGMA user_version` counts the
/// migrations applied). Never edit a migration that has shipped: add one.
const MIGRATION_LIST: &[M<'static>] = &[
    // 1: the first layout. Stores written before versioned migrations are at this
    // version already (they set `user_version = 1` themselves).
    M::up(
        "CREATE TABLE documents (
            id           TEXT PRIMARY KEY,
            header       TEXT NOT NULL,
            bytes        BLOB NOT NULL,
            local_seq    INTEGER NOT NULL DEFAULT 0,
            acked_seq    INTEGER NOT NULL DEFAULT 0,
            server_heads TEXT NOT NULL DEFAULT '',
            sync_state   BLOB,
            pending_since TEXT,
            updated_at   TEXT NOT NULL
        );
        CREATE TABLE rejections (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id TEXT NOT NULL,
            path        TEXT NOT NULL,
            reason      TEXT NOT NULL,
            kept_text   TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );",
    ),
    // 2: the Automerge sync state was written but never read (a fallback sync
    // starts from a fresh state each time).
    M::up("ALTER TABLE documents DROP COLUMN sync_state;"),
    // 3: incremental saves. `documents.bytes` is the last snapshot (a full save,
    // or the server's copy as received); each later write appends Automerge's
    // incremental save (its new changes) as a chunk, and a document is its
    // snapshot followed by its chunks in `seq` order. Existing rows are snapshots
    // with no chunks.
    M::up(
        "CREATE TABLE chunks (
            seq         INTEGER PRIMARY KEY,
            document_id TEXT NOT NULL,
            bytes       BLOB NOT NULL
        );
        CREATE INDEX chunks_by_document ON chunks (document_id, seq);
        ALTER TABLE documents ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN chunk_bytes INTEGER NOT NULL DEFAULT 0;",
    ),
    // 4: the documents with local writes the server has not acknowledged, found
    // without reading every row (a sync with a cursor offers only those).
    M::up("CREATE INDEX documents_pending ON documents (id) WHERE local_seq > acked_seq;"),
];
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// The store layout this build writes: the number of migrations.
const STORE_VERSION: i64 = MIGRATION_LIST.len() as i64;

/// What can go wrong with the device store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a healthy store. It has not been touched.
    #[error("the local store {path} is damaged ({detail}); it was left untouched")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The file was written by a newer version of the app.
    #[error("the local store {path} has format {found}, newer than this app's {supported}; update the app")]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// The file does not open with the key given: another key encrypted it (or
    /// it is damaged, which encryption cannot tell apart). It has not been touched.
    #[error(
        "the local store {path} does not open with this key (a wrong key, or a damaged file); it was left untouched"
    )]
    WrongKey {
        /// The file.
        path: PathBuf,
    },
    /// A stored header could not be read back.
    #[error("stored header of document {id} is unreadable: {source}")]
    BadHeader {
        /// The document.
        id: String,
        /// Why.
        source: serde_json::Error,
    },
    /// SQLite failed (disk full, I/O error...).
    #[error("local store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Bringing the store's layout up to date failed; nothing was changed.
    #[error("local store migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The folder for the store could not be created.
    #[error("local store folder: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    /// What it is.
    pub header: DocHeader,
    /// Saved Automerge bytes: the snapshot followed by the incremental saves
    /// written since, which Automerge loads as one document.
    pub bytes: Vec<u8>,
    /// How `bytes` is made up.
    pub layout: ChunkLayout,
}

/// Chunks appended after a snapshot beyond this many are folded into a new one.
const COMPACT_AFTER_CHUNKS: u64 = 64;
/// Chunk bytes beyond this, or beyond the snapshot's size if larger, are folded too.
const COMPACT_AFTER_CHUNK_BYTES: u64 = 16 * 1024;

/// How a stored document's bytes are made up: a snapshot and the incremental
/// saves appended after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkLayout {
    /// Size of the snapshot.
    pub snapshot_bytes: u64,
    /// Incremental saves appended since the snapshot.
    pub chunks: u64,
    /// Their total size.
    pub chunk_bytes: u64,
}

impl ChunkLayout {
    /// Whether the chunks should be folded into a new snapshot
    /// ([`Store::compact`]): too many of them, or more bytes than the snapshot
    /// (a load replays every chunk's changes one by one).
    pub fn wants_compaction(&self) -> bool {
        self.chunks > COMPACT_AFTER_CHUNKS || self.chunk_bytes > self.snapshot_bytes.max(COMPACT_AFTER_CHUNK_BYTES)
    }
}

/// What the store wrote since it was opened, for measurements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions committed (each one a durable write: an fsync of the log).
    pub commits: u64,
    /// Document bytes written (snapshots and chunks).
    pub document_bytes: u64,
}

/// What the store knows of a document's sync position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncMark {
    /// Local writes so far (a counter).
    pub local_seq: i64,
    /// The local write the server has acknowledged up to.
    pub acked_seq: i64,
    /// Heads the server was last known to have (hex).
    pub server_heads: Vec<String>,
}

/// What [`Store::inventory`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// The documents whose header reads back.
    pub headers: Vec<DocHeader>,
    /// The ids of documents whose stored header is unreadable.
    pub unreadable: Vec<String>,
}

/// A change the server refused, kept so the user can see and re-enter the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRejection {
    /// The document.
    pub document_id: String,
    /// The path the server named.
    pub path: String,
    /// Why it was refused.
    pub reason: String,
    /// The text the user had written there.
    pub kept_text: String,
    /// When it was refused (RFC 3339).
    pub created_at: String,
}

/// The device store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
    document_bytes: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Open the store at `path`, creating it (and its folder) if missing; a plain
    /// (unencrypted) store. See [`Store::open_with_key`].
    ///
    /// A new store is laid out under a temporary name and renamed into place, so a
    /// file at `path` is always a laid-out store: an empty one (SQLite would take
    /// it for a new database) is damage, reported as [`StoreError::Corrupt`].
    pub fn open(path: &FsPath) -> Result<Self, StoreError> {
        Self::open_with_key(path, None)
    }

    /// Open the store at `path` as [`Store::open`] does, encrypted with `key`
    /// when one is given: a new store is created encrypted, a plain one is
    /// encrypted first ([`Store::encrypt_if_plain`]), and an encrypted one that
    /// does not open with `key` is [`StoreError::WrongKey`], left untouched.
    pub fn open_with_key(path: &FsPath, key: Option<&StoreKey>) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.len() == 0 => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: "the file is empty (its contents were lost)".into(),
                });
            }
            Ok(_) => {
                if let Some(key) = key {
                    Self::encrypt_if_plain(path, key)?;
                }
                Self::probe(path, key)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if side_file(path, "-wal").exists() {
                    // A write-ahead log without its main file: the main file was lost.
                    return Err(StoreError::Corrupt {
                        path: path.to_owned(),
                        detail: "the main file is missing but its write-ahead log is present".into(),
                    });
                }
                Self::create(path, key)?;
            }
            Err(e) => return Err(e.into()),
        }
        let mut conn = Self::connect(path, OpenFlags::empty(), key)?;
        Self::check_layout(&conn, path, key)?;
        let unreadable = |e: rusqlite::Error| unreadable(path, key, e);
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).map_err(unreadable)?;
        conn.execute_batch("PRAGMA synchronous=FULL;")?;
        // All pending migrations run in one transaction: a store is never left half-migrated.
        MIGRATIONS.to_latest(&mut conn)?;
        let commits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = std::sync::Arc::clone(&commits);
        conn.commit_hook(Some(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            false // go ahead with the commit
        }))?;
        Ok(Self { conn, path: path.to_owned(), commits, document_bytes: 0 })
    }

    /// Check that the file's first page reads (with `key`, if given) without
    /// touching anything on disk: opened immutable, SQLite neither locks nor
    /// looks at the log and its index, which an ordinary open would rebuild
    /// before finding out that the key is wrong. A store's main file always has
    /// its first page (a new one is laid out whole before it takes its name).
    fn probe(path: &FsPath, key: Option<&StoreKey>) -> Result<(), StoreError> {
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| unreadable(path, key, e))?;
        if let Some(key) = key {
            apply_key(&conn, key)?;
        }
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())).map_err(|e| unreadable(path, key, e))
    }

    /// Check that the open file is a healthy store this build can read; returns
    /// its layout version. Reads only.
    fn check_layout(conn: &Connection, path: &FsPath, key: Option<&StoreKey>) -> Result<i64, StoreError> {
        let unreadable = |e: rusqlite::Error| unreadable(path, key, e);
        let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0)).map_err(unreadable)?;
        if check != "ok" {
            return Err(StoreError::Corrupt { path: path.to_owned(), detail: check });
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(unreadable)?;
        if version > STORE_VERSION {
            return Err(StoreError::NewerFormat { path: path.to_owned(), found: version, supported: STORE_VERSION });
        }
        if version == 0 {
            let has_tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
            if has_tables > 0 {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: "an SQLite file that is not an Alongside store".into(),
                });
            }
        }
        Ok(version)
    }

    /// Encrypt the plain store at `path` with `key`, if it is one; returns whether
    /// it did. A file that is not plain SQLite (already encrypted, or not a store
    /// at all) is left for the open to judge.
    ///
    /// Crash-safe: the store is checked (a damaged one is left as it is), its log
    /// folded in, and everything copied with `sqlcipher_export` into a new file
    /// beside it (`<name>.encrypting`), which is checked, made durable and renamed
    /// over the store. A kill before the rename leaves the plain store whole (the
    /// half-made copy is removed on the next try); after it, the encrypted one.
    pub fn encrypt_if_plain(path: &FsPath, key: &StoreKey) -> Result<bool, StoreError> {
        if !is_plain_sqlite(path)? {
            return Ok(false);
        }
        let temporary = sibling(path, ".encrypting");
        remove_with_side_files(&temporary);
        let temporary_name = temporary.to_str().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the store's folder name is not valid UTF-8")
        })?;
        let version = {
            // SQLITE_OPEN_CREATE lets ATTACH create the new file.
            let conn = Self::connect(path, OpenFlags::SQLITE_OPEN_CREATE, None)?;
            let version = Self::check_layout(&conn, path, None)?;
            let raw_key = key.sqlcipher_raw_key();
            conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", params![temporary_name, raw_key.as_str()])?;
            conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
            // sqlcipher_export copies the schema and rows, not the header's version.
            conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
            // Fold the log into the plain file, so nothing of it is left beside the
            // encrypted file once that takes the store's name.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            conn.close().map_err(|(_, e)| e)?;
            version
        };
        {
            let copy = Self::connect(&temporary, OpenFlags::empty(), Some(key))?;
            if Self::check_layout(&copy, &temporary, Some(key))? != version {
                return Err(StoreError::Corrupt {
                    path: temporary.clone(),
                    detail: "the encrypted copy lost the store's version".into(),
                });
            }
        }
        std::fs::File::open(&temporary)?.sync_all()?;
        let wal = side_file(path, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 0) {
            remove_with_side_files(&temporary);
            return Err(StoreError::Io(std::io::Error::other(
                "the plain store's write-ahead log could not be folded in; it stays plain for now",
            )));
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(side_file(path, suffix));
        }
        std::fs::rename(&temporary, path)?;
        sync_folder(path);
        Ok(true)
    }

    fn connect(path: &FsPath, create: OpenFlags, key: Option<&StoreKey>) -> Result<Connection, StoreError> {
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt { path: path.to_owned(), detail: e.to_string() };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | create,
        )
        .map_err(corrupt)?;
        if let Some(key) = key {
            apply_key(&conn, key)?;
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Lay out a new store beside `path` and rename it into place once durable.
    fn create(path: &FsPath, key: Option<&StoreKey>) -> Result<(), StoreError> {
        let temporary = sibling(path, ".new");
        remove_with_side_files(&temporary);
        {
            // No log and no fsync per statement: the file is made durable once,
            // below, before it takes the store's name (opening switches it to WAL).
            let mut conn = Self::connect(&temporary, OpenFlags::SQLITE_OPEN_CREATE, key)?;
            conn.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;")?;
            MIGRATIONS.to_latest(&mut conn)?;
        }
        std::fs::File::open(&temporary)?.sync_all()?;
        std::fs::rename(&temporary, path)?;
        sync_folder(path);
        Ok(())
    }

    /// The file this store lives in.
    pub fn path(&self) -> &FsPath {
        &self.path
    }

    /// Save a document after a local edit: its whole bytes (a new snapshot; any
    /// chunks are dropped), and one more local write to send. Returns once the
    /// write is durable.
    pub fn save_local(&mut self, header: &DocHeader, bytes: &[u8]) -> Result<(), StoreError> {
        self.upsert(header, bytes, 1)
    }

    /// Save a document as received from the server (no local write to send): its
    /// whole bytes, stored as they are, replacing any snapshot and chunks.
    pub fn save_remote(&mut self, header: &DocHeader, bytes: &[u8]) -> Result<(), StoreError> {
        self.upsert(header, bytes, 0)
    }

    fn upsert(&mut self, header: &DocHeader, bytes: &[u8], local_writes: i64) -> Result<(), StoreError> {
        let header_json = serde_json::to_string(header)
            .map_err(|source| StoreError::BadHeader { id: header.id.to_string(), source })?;
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO documents (id, header, bytes, local_seq, updated_at, pending_since)
             VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?4 > 0 THEN ?5 END)
             ON CONFLICT(id) DO UPDATE SET bytes = excluded.bytes,
                 local_seq = documents.local_seq + ?4, updated_at = excluded.updated_at,
                 chunk_count = 0, chunk_bytes = 0,
                 pending_since = CASE
                     WHEN documents.pending_since IS NULL AND ?4 > 0 THEN ?5
                     ELSE documents.pending_since END",
            params![header.id.to_string(), header_json, bytes, local_writes, crate::document::now_rfc3339()],
        )?;
        tx.execute("DELETE FROM chunks WHERE document_id = ?1", [header.id.to_string()])?;
        tx.commit()?;
        self.document_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Append an incremental save (Automerge's `save_after` of what the device
    /// had stored: its new changes) after a local edit, and count one more local
    /// write to send. Returns the document's layout after it, so the caller can
    /// fold the chunks ([`ChunkLayout::wants_compaction`], [`Store::compact`]).
    /// Durable once it returns, like every write.
    pub fn append_local(&mut self, header: &DocHeader, chunk: &[u8]) -> Result<ChunkLayout, StoreError> {
        self.append(header, chunk, 1)
    }

    /// Append changes received from the server (an incremental save, or change
    /// chunks as sent) without loading the document: no local write to send.
    pub fn append_remote(&mut self, header: &DocHeader, chunk: &[u8]) -> Result<ChunkLayout, StoreError> {
        self.append(header, chunk, 0)
    }

    fn append(&mut self, header: &DocHeader, chunk: &[u8], local_writes: i64) -> Result<ChunkLayout, StoreError> {
        let id = header.id.to_string();
        let tx = self.conn.savepoint()?;
        let now = crate::document::now_rfc3339();
        let layout = tx
            .query_row(
                "UPDATE documents SET local_seq = local_seq + ?2, updated_at = ?3,
                     chunk_count = chunk_count + 1, chunk_bytes = chunk_bytes + ?4,
                     pending_since = CASE
                         WHEN pending_since IS NULL AND ?2 > 0 THEN ?3 ELSE pending_since END
                 WHERE id = ?1
                 RETURNING length(bytes), chunk_count, chunk_bytes",
                params![id, local_writes, now, chunk.len() as i64],
                layout_from_row,
            )
            .optional()?;
        let layout = match layout {
            Some(layout) => {
                tx.execute("INSERT INTO chunks (document_id, bytes) VALUES (?1, ?2)", params![id, chunk])?;
                layout
            }
            None => {
                // Not stored yet: the chunk alone is the document (Automerge loads
                // a run of changes as well as a snapshot).
                drop(tx);
                self.upsert(header, chunk, local_writes)?;
                return Ok(ChunkLayout { snapshot_bytes: chunk.len() as u64, chunks: 0, chunk_bytes: 0 });
            }
        };
        tx.commit()?;
        self.document_bytes += chunk.len() as u64;
        Ok(layout)
    }

    /// Fold a document's chunks into `snapshot`, a full save of the document
    /// holding everything its snapshot and chunks hold, in one transaction: a
    /// kill leaves either the old snapshot and chunks or the new snapshot.
    pub fn compact(&mut self, id: DocumentId, snapshot: &[u8]) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE documents SET bytes = ?2, chunk_count = 0, chunk_bytes = 0 WHERE id = ?1",
            params![id.to_string(), snapshot],
        )?;
        tx.execute("DELETE FROM chunks WHERE document_id = ?1", [id.to_string()])?;
        tx.commit()?;
        self.document_bytes += snapshot.len() as u64;
        Ok(())
    }

    /// A stored document, if the device has it: its snapshot and chunks as one
    /// run of bytes.
    pub fn load(&self, id: DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let row: Option<(String, String, Vec<u8>, i64)> = self
            .conn
            .query_row("SELECT id, header, bytes, chunk_count FROM documents WHERE id = ?1", [id.to_string()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?;
        let Some((id, header, mut bytes, chunk_count)) = row else { return Ok(None) };
        let header = parse_header(&id, &header)?;
        let mut layout = ChunkLayout { snapshot_bytes: bytes.len() as u64, ..ChunkLayout::default() };
        if chunk_count > 0 {
            let mut stmt = self.conn.prepare_cached("SELECT bytes FROM chunks WHERE document_id = ?1 ORDER BY seq")?;
            let mut rows = stmt.query([&id])?;
            while let Some(row) = rows.next()? {
                let chunk = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                layout.chunks += 1;
                layout.chunk_bytes += chunk.len() as u64;
                bytes.extend_from_slice(chunk);
            }
        }
        Ok(Some(StoredDocument { header, bytes, layout }))
    }

    /// The header of a stored document, without its bytes.
    pub fn header(&self, id: DocumentId) -> Result<Option<DocHeader>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT header FROM documents WHERE id = ?1", [id.to_string()], |row| row.get(0))
            .optional()?;
        json.map(|json| parse_header(&id.to_string(), &json)).transpose()
    }

    /// Run `work` as one transaction: one durable write (one fsync) for all the
    /// writes it makes, and none of them if it fails (rolled back), panics, or
    /// the app is killed before it returns. Inside another transaction it joins
    /// that one.
    pub fn transaction<R, E: From<StoreError>>(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<R, E>,
    ) -> Result<R, E> {
        let started = self.begin_outer()?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        if !started {
            return outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        let failed = match outcome {
            Ok(Ok(value)) => match self.commit_outer() {
                Ok(()) => return Ok(value),
                Err(error) => Err(E::from(error)),
            },
            Ok(Err(error)) => Err(error),
            Err(panic) => {
                self.rollback_outer();
                std::panic::resume_unwind(panic);
            }
        };
        self.rollback_outer();
        failed
    }

    /// Start a transaction unless one is open; whether it started one (which
    /// the caller must then end with [`Store::commit_outer`] or
    /// [`Store::rollback_outer`]).
    pub(crate) fn begin_outer(&mut self) -> Result<bool, StoreError> {
        if !self.conn.is_autocommit() {
            return Ok(false);
        }
        // IMMEDIATE: take the write lock now, so the commit cannot fail on it.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(true)
    }

    pub(crate) fn commit_outer(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    pub(crate) fn rollback_outer(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(error) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(%error, "local store: rolling back a failed transaction failed");
        }
    }

    /// What the store wrote since it was opened.
    pub fn write_stats(&self) -> WriteStats {
        WriteStats {
            commits: self.commits.load(std::sync::atomic::Ordering::Relaxed),
            document_bytes: self.document_bytes,
        }
    }

    /// The headers of every stored document.
    pub fn headers(&self) -> Result<Vec<DocHeader>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, header FROM documents ORDER BY id")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        let mut headers = Vec::new();
        for row in rows {
            let (id, header) = row?;
            headers.push(parse_header(&id, &header)?);
        }
        Ok(headers)
    }

    /// Every stored document's header, and apart from them the ids of the rows
    /// whose header cannot be read: one damaged row must not hide the others.
    pub fn inventory(&self) -> Result<Inventory, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, header FROM documents ORDER BY id")?;
        // A header that is not even text (damage) counts as unreadable too.
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1).ok())))?;
        let mut inventory = Inventory::default();
        for row in rows {
            let (id, header) = row?;
            match header.as_deref().map(|json| parse_header(&id, json)) {
                Some(Ok(header)) => inventory.headers.push(header),
                _ => inventory.unreadable.push(id),
            }
        }
        Ok(inventory)
    }

    /// The headers of the documents with local writes the server has not
    /// acknowledged (what a sync with a cursor offers), and the ids of such rows
    /// whose header cannot be read.
    pub fn pending_inventory(&self) -> Result<Inventory, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, header FROM documents WHERE local_seq > acked_seq ORDER BY id")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1).ok())))?;
        let mut inventory = Inventory::default();
        for row in rows {
            let (id, header) = row?;
            match header.as_deref().map(|json| parse_header(&id, json)) {
                Some(Ok(header)) => inventory.headers.push(header),
                _ => inventory.unreadable.push(id),
            }
        }
        Ok(inventory)
    }

    /// Replace a damaged document with the server's copy (header and bytes), and
    /// count every local write as acknowledged: only done when none was pending.
    pub fn restore_from_server(&mut self, header: &DocHeader, bytes: &[u8]) -> Result<(), StoreError> {
        let header_json = serde_json::to_string(header)
            .map_err(|source| StoreError::BadHeader { id: header.id.to_string(), source })?;
        let tx = self.conn.savepoint()?;
        tx.execute(
            "INSERT INTO documents (id, header, bytes, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET header = excluded.header, bytes = excluded.bytes,
                 chunk_count = 0, chunk_bytes = 0,
                 acked_seq = documents.local_seq, pending_since = NULL, updated_at = excluded.updated_at",
            params![header.id.to_string(), header_json, bytes, crate::document::now_rfc3339()],
        )?;
        tx.execute("DELETE FROM chunks WHERE document_id = ?1", [header.id.to_string()])?;
        tx.commit()?;
        self.document_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Where a document stands with the server.
    pub fn sync_mark(&self, id: DocumentId) -> Result<Option<SyncMark>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT local_seq, acked_seq, server_heads FROM documents WHERE id = ?1",
                [id.to_string()],
                |row| {
                    let heads: String = row.get(2)?;
                    Ok(SyncMark {
                        local_seq: row.get(0)?,
                        acked_seq: row.get(1)?,
                        server_heads: heads.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect(),
                    })
                },
            )
            .optional()?)
    }

    /// Record what the server now has: its heads, and that local writes up to
    /// `acked_seq` reached it.
    pub fn mark_synced(&mut self, id: DocumentId, server_heads: &[String], acked_seq: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE documents SET server_heads = ?2, acked_seq = max(acked_seq, ?3),
                 pending_since = CASE WHEN max(acked_seq, ?3) >= local_seq THEN NULL ELSE pending_since END
             WHERE id = ?1",
            params![id.to_string(), server_heads.join(","), acked_seq],
        )?;
        Ok(())
    }

    /// How many documents have local changes the server has not acknowledged.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 =
            self.conn.query_row("SELECT count(*) FROM documents WHERE local_seq > acked_seq", [], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// When the oldest local change still waiting for the server was written (RFC 3339).
    pub fn oldest_pending_since(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT min(pending_since) FROM documents WHERE local_seq > acked_seq", [], |row| row.get(0))?)
    }

    /// Remove a document (access withdrawn), with its rejections.
    pub fn delete(&mut self, id: DocumentId) -> Result<(), StoreError> {
        let tx = self.conn.savepoint()?;
        tx.execute("DELETE FROM documents WHERE id = ?1", [id.to_string()])?;
        tx.execute("DELETE FROM chunks WHERE document_id = ?1", [id.to_string()])?;
        tx.execute("DELETE FROM rejections WHERE document_id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    /// Keep a refused change for the user.
    pub fn add_rejection(&mut self, rejection: &StoredRejection) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO rejections (document_id, path, reason, kept_text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![rejection.document_id, rejection.path, rejection.reason, rejection.kept_text, rejection.created_at],
        )?;
        Ok(())
    }

    /// Every rejection the user has not dismissed, oldest first.
    pub fn rejections(&self) -> Result<Vec<StoredRejection>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT document_id, path, reason, kept_text, created_at FROM rejections ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok(StoredRejection {
                document_id: row.get(0)?,
                path: row.get(1)?,
                reason: row.get(2)?,
                kept_text: row.get(3)?,
                created_at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A small setting (account, tokens).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0)).optional()?)
    }

    /// Set or clear a small setting.
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(value) => self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?,
            None => self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// Delete everything the device holds for this person.
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "BEGIN; DELETE FROM documents; DELETE FROM chunks; DELETE FROM rejections; DELETE FROM settings;
             COMMIT; VACUUM;",
        )?;
        Ok(())
    }
}

/// Give a just-opened connection the store's key. Must come before anything reads
/// the file; it reads nothing itself.
fn apply_key(conn: &Connection, key: &StoreKey) -> Result<(), StoreError> {
    let statement = Zeroizing::new(format!("PRAGMA key = \"{}\";", key.sqlcipher_raw_key().as_str()));
    conn.execute_batch(&statement)?;
    // Sorts and temporary tables in memory, never in plain files; and no
    // SQLCipher log lines on stderr: a wrong key comes back as an error.
    conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA cipher_log_level = NONE;")?;
    Ok(())
}

/// `path` for an SQLite `file:` URI: every byte outside the unreserved set and
/// `/` percent-encoded.
fn uri_path(path: &FsPath) -> String {
    let mut out = String::new();
    for &byte in path.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a failure to read a just-opened file means: with a key, SQLCipher's "not
/// a database" is a key that does not fit.
fn unreadable(path: &FsPath, key: Option<&StoreKey>, error: rusqlite::Error) -> StoreError {
    if key.is_some() && error.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
        StoreError::WrongKey { path: path.to_owned() }
    } else {
        StoreError::Corrupt { path: path.to_owned(), detail: error.to_string() }
    }
}

/// Whether the file at `path` starts as a plain SQLite database does.
fn is_plain_sqlite(path: &FsPath) -> Result<bool, StoreError> {
    use std::io::Read;
    let mut start = [0u8; SQLITE_HEADER.len()];
    let mut file = std::fs::File::open(path)?;
    match file.read_exact(&mut start) {
        Ok(()) => Ok(&start == SQLITE_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A file beside `path`, named `path`'s name plus `suffix`.
fn sibling(path: &FsPath, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// Remove a database file and whatever SQLite kept beside it.
fn remove_with_side_files(path: &FsPath) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(side_file(path, suffix));
    }
}

/// Make a rename in `path`'s folder durable where the platform allows it.
fn sync_folder(path: &FsPath) {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(folder) = std::fs::File::open(folder)
    {
        let _ = folder.sync_all();
    }
}

/// `path` with `suffix` appended (SQLite's `-wal`, `-shm`, `-journal` files).
fn side_file(path: &FsPath, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn layout_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChunkLayout> {
    let count = |n: usize| row.get::<_, i64>(n).map(|v| u64::try_from(v).unwrap_or(0));
    Ok(ChunkLayout { snapshot_bytes: count(0)?, chunks: count(1)?, chunk_bytes: count(2)? })
}

fn parse_header(id: &str, json: &str) -> Result<DocHeader, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::BadHeader { id: id.to_owned(), source })
}
