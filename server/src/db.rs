//! Storage: one connection type for SQLite and PostgreSQL, the pool, migrations,
//! and the per-table query modules.
//!
//! The backend is chosen from the URL scheme (`sqlite://PATH` or `postgres://...`).
//! Both backends store ids as TEXT uuids, instants as fixed-width TEXT
//! `YYYY-MM-DDTHH:MM:SSZ` and dates as TEXT `YYYY-MM-DD` (the typed values of
//! [`crate::model`]), so one code path serves both and ordering by those columns
//! is chronological. Diesel is synchronous: async code goes through [`Db::run`],
//! which takes a pooled connection on a blocking thread.
//!
//! Errors: query functions return diesel's own `QueryResult`; what can fail
//! around them (the pool, the permit, the blocking thread, setting up) is a
//! [`DbError`]. Nothing here knows about HTTP.

pub mod audit_events;
pub mod auth_cache;
pub mod concerns;
pub mod departures;
pub mod devices;
pub mod documents;
pub mod governance;
pub mod group_commit;
pub mod groups;
pub(crate) mod id_list;
pub(crate) mod keep_prepared;
pub mod mentorships;
pub mod organisations;
pub mod password_resets;
pub mod people;
pub mod programmes;
pub mod projections;
pub mod refresh_tokens;
pub mod reminders;
pub mod reports;
pub mod retired_actors;
pub mod scheme_projections;
pub mod sites;
mod sql;
pub mod survey_responses;
pub mod training;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use time::Date;

use crate::model::Day;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Arbitrary constant naming the advisory lock that serialises migrations when
/// several replicas start against the same PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x616c_6f6e_6773;

/// A connection to either backend. Queries written against it run on both;
/// backend-specific SQL matches on the variant inside the query function.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Which database a URL designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database url (expected `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`)")]
    UnsupportedUrl,
    #[error("cannot create the database directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the database file {path}")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    #[error("cannot prepare the database connection")]
    Prepare(#[source] diesel::result::Error),
    #[error("database connection pool failed")]
    Pool(#[source] r2d2::PoolError),
    #[error("database migrations failed")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    #[error("the database call was cancelled")]
    Cancelled,
}

impl DbError {
    /// The diesel error of a failed query, if that is what this is.
    pub fn as_query(&self) -> Option<&diesel::result::Error> {
        match self {
            Self::Query(error) => Some(error),
            _ => None,
        }
    }

    /// Whether a unique index refused the write (two concurrent inserts of the
    /// same thing: the loser reports a conflict).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self.as_query(),
            Some(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
        )
    }
}

impl DatabaseTarget {
    /// Parses `sqlite://PATH` (relative or absolute) or `postgres[ql]://...`.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbError::UnsupportedUrl);
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    fn establish(&self) -> Result<DbConnection, DbError> {
        match self {
            Self::Sqlite(path) => {
                let path = path.to_string_lossy();
                SqliteConnection::establish(&path).map(DbConnection::Sqlite).map_err(DbError::Connect)
            }
            Self::Postgres(url) => PgConnection::establish(url).map(DbConnection::Pg).map_err(DbError::Connect),
        }
    }
}

/// r2d2 manager that picks the connection type from the URL scheme (the derived
/// `establish` would try each backend in turn and could turn a mistyped PostgreSQL
/// URL into a SQLite file).
#[derive(Debug)]
pub struct Manager {
    target: DatabaseTarget,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.target.establish().map_err(|error| match error {
            DbError::Connect(inner) => r2d2::Error::ConnectionError(inner),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(other.to_string())),
        })
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Per-connection SQLite settings: WAL so readers never block the writer, a busy
/// timeout so concurrent writers wait instead of failing, `synchronous = FULL` so
/// a commit is on disk (the WAL fsynced) before anything is acknowledged (sync's
/// group commit shares that fsync among concurrent requests), and foreign keys
/// (off by default in SQLite).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(conn) = conn {
            prepare_sqlite(conn).map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

fn prepare_sqlite(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )
}

pub type PooledDbConnection = PooledConnection<Manager>;

/// The connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// One permit per pooled connection: requests queue here, on the async
    /// executor, rather than as blocking threads parked inside the pool.
    permits: Arc<tokio::sync::Semaphore>,
    /// SQLite: the connection that writes sync requests' shared transactions.
    group: Option<Arc<group_commit::GroupCommit>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish()
    }
}

impl Db {
    /// Opens a pool on `url`, creating a SQLite file and its directory if missing.
    /// Connects once up front so a bad URL fails fast with the real reason.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, DbError> {
        let target = DatabaseTarget::parse(url)?;
        let backend = match &target {
            DatabaseTarget::Sqlite(_) => Backend::Sqlite,
            DatabaseTarget::Postgres(_) => Backend::Postgres,
        };
        let first = connect_target(&target)?;
        // On SQLite the first connection stays, as the group writer of sync.
        let group = match &first {
            DbConnection::Sqlite(_) => Some(Arc::new(group_commit::GroupCommit::new(first))),
            DbConnection::Pg(_) => None,
        };
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(Manager { target })
            .map_err(DbError::Pool)?;
        let permits = Arc::new(tokio::sync::Semaphore::new(usize::try_from(pool_size.max(1)).unwrap_or(1)));
        Ok(Self { pool, backend, permits, group })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where sync requests write: SQLite's shared transactions (group commit),
    /// or on PostgreSQL each request's own.
    pub fn writer(&self) -> group_commit::Writer<'_> {
        match &self.group {
            Some(group) => group_commit::Writer::Grouped(group),
            None => group_commit::Writer::Direct,
        }
    }

    /// A pooled connection, for synchronous callers (the CLI, test fixtures).
    pub fn get(&self) -> Result<PooledDbConnection, DbError> {
        self.pool.get().map_err(DbError::Pool)
    }

    /// Runs `f` with a pooled connection on a blocking thread, off the async
    /// executor. At most one call per pooled connection is on a blocking thread at
    /// a time; the rest wait for a permit without a thread of their own. (Under a
    /// burst of 500 syncs, parking 500 blocking threads on the pool cost more in
    /// context switches and memory than the work itself.)
    ///
    /// `f` returns its caller's error type, which must take a [`DbError`] for the
    /// failures around the call (no permit, no connection, a cancelled thread).
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| DbError::Cancelled)?;
        actix_web::web::block(move || {
            let _permit = permit;
            let mut conn = pool.get().map_err(DbError::Pool)?;
            f(&mut conn)
        })
        .await
        .map_err(|_| DbError::Cancelled)?
    }

    /// Applies pending migrations; returns the names of those applied.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.get()?;
        run_migrations(&mut conn)
    }
}

/// One connection without a pool, for one-shot commands. A pool's worker threads
/// may still be inside libpq or OpenSSL when such a command's process exits, which
/// crashed `alongside org create` on PostgreSQL now and then (SIGSEGV at exit).
pub fn connect_one(url: &str) -> Result<DbConnection, DbError> {
    connect_target(&DatabaseTarget::parse(url)?)
}

/// Connects once, creating a SQLite file and its directory if missing.
fn connect_target(target: &DatabaseTarget) -> Result<DbConnection, DbError> {
    if let DatabaseTarget::Sqlite(path) = target {
        create_parent_dir(path)?;
        create_private_file(path)?;
    }
    let mut conn = target.establish()?;
    if let DbConnection::Sqlite(sqlite) = &mut conn {
        prepare_sqlite(sqlite).map_err(DbError::Prepare)?;
    }
    Ok(conn)
}

/// Creates a missing SQLite file readable and writable by its owner only (0600):
/// it holds everyone's notes. SQLite gives its `-wal` and `-shm` files the main
/// file's permissions. An existing file keeps the permissions it has.
fn create_private_file(path: &Path) -> Result<(), DbError> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(DbError::CreateFile { path: path.to_owned(), source }),
    }
}

fn create_parent_dir(path: &Path) -> Result<(), DbError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir { path: parent.to_owned(), source })
        }
        _ => Ok(()),
    }
}

/// Runs `f` in a transaction that writes. On SQLite it begins with `BEGIN
/// IMMEDIATE`, taking the write lock up front: a deferred transaction that reads
/// before it writes cannot upgrade its lock while another connection writes, and
/// fails at once with "database is locked" whatever the busy timeout. With the
/// lock taken first, concurrent writers queue on the busy timeout instead.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    let nested = Manager::transaction_manager_status_mut(conn).transaction_depth()?.is_some();
    let DbConnection::Sqlite(sqlite) = conn else { return conn.transaction(f) };
    if nested {
        // Inside a transaction the lock is already decided; a savepoint will do.
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            Manager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// Run `f` reading one consistent snapshot of the database: a read transaction
/// (repeatable read and read only on PostgreSQL), or the caller's transaction
/// when there is one already. On SQLite it also spares every statement in `f`
/// a read transaction of its own: its shared lock, and the re-reading of pages
/// that a commit by another connection in between makes SQLite drop from this
/// connection's cache.
pub fn read_snapshot<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    if Manager::transaction_manager_status_mut(conn).transaction_depth()?.is_some() {
        return f(conn);
    }
    conn.transaction(|conn| {
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(pg)?;
        }
        f(conn)
    })
}

/// Applies the embedded migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(conn) => conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConnection::Pg(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(conn)?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(conn)?;
            result
        }
    };
    applied.map_err(DbError::Migrate)
}

/// A fresh random id, for rows whose ids have no type of their own (refresh
/// tokens, audit events).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The stored form of a date (see [`Day`]).
pub fn date_text(date: Date) -> String {
    Day::from(date).to_string()
}

/// Today's date in UTC.
pub fn today() -> Date {
    Day::today().date()
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::{DbConnection, connect_one};

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// SQLite is built with the query planner stability guarantee on (see
    /// `.cargo/config.toml`): else every cached statement with `LIMIT ?` is
    /// parsed and planned again at each run, because the planner reads the
    /// bound limit. And without the shared page-cache group and memory
    /// statistics, whose mutexes threads queued on.
    #[test]
    fn sqlite_keeps_its_plans_whatever_the_bound_values() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("options.db").display());
        let mut conn = connect_one(&url).unwrap();
        let DbConnection::Sqlite(sqlite) = &mut conn else { panic!("a SQLite URL gives SQLite") };
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options").load(sqlite).unwrap();
        let options: Vec<String> = options.into_iter().map(|o| o.compile_options).collect();
        assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:#?}");
        // Each connection's page cache its own, and no statistics mutex on
        // every allocation (`.cargo/config.toml`).
        assert!(options.iter().all(|o| o != "ENABLE_MEMORY_MANAGEMENT"), "{options:#?}");
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:#?}");
    }
}
