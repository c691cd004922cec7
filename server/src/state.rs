//! The state shared by every request.

use std::sync::Arc;

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::tokens::JwtKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::sync::SyncHub;

/// Registered once as `web::Data<AppState>`; every field is cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool; use `db.run(|conn| ...)` from handlers.
    pub db: Db,
    /// JWT signing and verification.
    pub keys: Arc<JwtKeys>,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// Failed-login throttling.
    pub limiter: Arc<LoginLimiter>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The document cache and live-update fan-out.
    pub sync: Arc<SyncHub>,
}
