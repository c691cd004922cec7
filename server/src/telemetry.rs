//! Logging setup: quiet unless asked (`RUST_LOG`, or `TEST_LOG=1` in tests).

use tracing_subscriber::EnvFilter;

/// Installs a subscriber printing to stderr; `default_filter` applies when
/// `RUST_LOG` is not set. Safe to call more than once.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
