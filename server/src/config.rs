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
    /// How often an open live WebSocket re-checks its token against the
    /// database, so a sign-out, revocation or deactivation closes it.
    pub live_recheck: Duration,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// How fast request bodies must arrive (see `body_deadline`).
    pub body_deadline: crate::body_deadline::BodyDeadline,
    /// Where the coordinators' weekly digest is sent from and through
    /// (`ALONGSIDE_SMTP_URL`); `None` (the default): no digest is sent.
    pub smtp: Option<SmtpSettings>,
    /// When `serve` looks for digests due.
    pub digest: DigestSchedule,
}

/// The mail server for the digest. The URL may carry credentials, so it is a
/// secret: never logged, printed as `[REDACTED]` by `Debug`.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://HOST:PORT` (plain, for a relay on the same host or network),
    /// `smtp://HOST:PORT?tls=required` (STARTTLS) or `smtps://USER:PASSWORD@HOST:PORT`
    /// (TLS from the start); credentials percent-encoded.
    pub url: SecretString,
    /// The sender, e.g. `Alongside <alongside@care.example>`.
    pub from: String,
}

/// The default sender of the digest.
pub const DEFAULT_SMTP_FROM: &str = "Alongside <alongside@localhost>";

/// How `serve` schedules the digest: it checks every `check_every` (the
/// first time `first_check_after` start-up) and sends an organisation's digest
/// when none was sent in the last `period` (recorded in the database, so
/// several processes and restarts send it once).
#[derive(Debug, Clone, Copy)]
pub struct DigestSchedule {
    pub first_check_after: Duration,
    pub check_every: Duration,
    pub period: Duration,
}

impl Default for DigestSchedule {
    fn default() -> Self {
        Self {
            first_check_after: Duration::from_secs(5 * 60),
            check_every: Duration::from_secs(60 * 60),
            period: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// Who may read the Prometheus metrics (`ALONGSIDE_METRICS`). They name routes,
/// rates and error counts: operational detail that is nobody else's business,
/// so they are off unless configured.
#[derive(Debug, Clone, Default)]
pub enum MetricsAccess {
    /// `off` (the default): `/metrics` answers 404.
    #[default]
    Off,
    /// `public`: anyone who can reach the server.
    Public,
    /// `token:SECRET`: requests with `Authorization: Bearer SECRET` (what a
    /// Prometheus `bearer_token` sends); others get 401.
    Token(SecretString),
    /// `listen:ADDR`: served only on a separate address (e.g. `127.0.0.1:9091`,
    /// reachable from the host or a private network), never on the main one.
    Listen(String),
}

impl std::str::FromStr for MetricsAccess {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text.split_once(':') {
            _ if text == "off" => Ok(Self::Off),
            _ if text == "public" => Ok(Self::Public),
            Some(("token", secret)) if secret.len() >= 16 => Ok(Self::Token(SecretString::from(secret.to_owned()))),
            Some(("token", _)) => Err("a metrics token must be at least 16 characters long".to_owned()),
            Some(("listen", address)) if !address.is_empty() => Ok(Self::Listen(address.to_owned())),
            _ => Err(format!("`{text}` is not one of off, public, token:SECRET, listen:ADDR")),
        }
    }
}

/// How many failed password attempts are tolerated within `window` before
/// answering 429 (see `auth::rate_limit`).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures for one account from one address: then refused.
    pub per_account: usize,
    /// Failures from one address across accounts: then refused.
    pub per_address: usize,
    pub window: Duration,
    /// Failures for one account from anywhere before each further attempt is
    /// delayed (doubling from one second)...
    pub account_delay_after: usize,
    /// ...up to this long.
    pub max_account_delay: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
            account_delay_after: 10,
            max_account_delay: Duration::from_secs(60),
        }
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
            live_recheck: Duration::from_secs(5),
            metrics: MetricsAccess::Off,
            body_deadline: crate::body_deadline::BodyDeadline::default(),
            smtp: None,
            digest: DigestSchedule::default(),
        }
    }
}
