//! The daily retention run inside `alongside serve` (the same as `alongside
//! retention run`). Each server process runs it; runs are idempotent, so
//! replicas running it too only repeat an empty run.

use std::time::Duration;

use crate::db::Db;
use crate::domain::DomainError;
use crate::domain::retention::{self, RunMode};

/// The first run, after start-up settles.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(10 * 60);
const EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Spawns the task on the current runtime; it ends with the runtime.
pub fn spawn(db: Db) {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_RUN_AFTER).await;
        loop {
            match db.run(|conn| retention::run_all(conn, RunMode::Apply)).await {
                Ok(reports) => {
                    let erased: usize = reports.iter().map(|r| r.erased.len()).sum();
                    tracing::info!(organisations = reports.len(), erased, "retention run");
                }
                Err(error) => {
                    let error: DomainError = error;
                    tracing::error!(error = %crate::error::cause_chain(&error), "retention run failed");
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
