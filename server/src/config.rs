//! Typed settings. The command line (`cli.rs`) fills them from flags and
//! `ALONGSIDE_*` environment variables; tests build them directly.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

/// The database used when none is given: a SQLite file under `./data`, so a fresh
/// checkout runs with no setup.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/alongside.sqlite3";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (see `Application::port`).
    pub bind: String,
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Where the generated JWT secret is kept when `jwt_secret` is not set.
    pub data_dir: PathBuf,
    /// HS256 signing secret (at least 32 bytes). When absent one is generated on
    /// first run and stored in `<data_dir>/jwt-secret` with mode 0600.
    pub jwt_secret: Option<SecretString>,
    /// HTTP worker threads; `None` lets actix use one per core.
    pub workers: Option<usize>,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    /// Largest accepted JSON body, in bytes.
    pub json_limit: usize,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens: long, because phones stay offline whole shifts.
    pub refresh_token_ttl: Duration,
    /// Failed-login throttling.
    pub login_limits: LoginLimits,
    /// The document cache's budget in MiB of estimated memory (see `sync::cache`).
    pub doc_cache_mb: u64,
    /// How fast request bodies must arrive (see `body_deadline`).
    pub body_deadline: crate::body_deadline::BodyDeadline,
}

/// How many failed logins are tolerated within `window` before answering 429.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_account: 5, per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            jwt_secret: None,
            workers: None,
            db_pool_size: 8,
            json_limit: 64 * 1024,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            login_limits: LoginLimits::default(),
            doc_cache_mb: crate::sync::DEFAULT_CACHE_MB,
            body_deadline: crate::body_deadline::BodyDeadline::default(),
        }
    }
}
